using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline.Templating;

/// <summary>
/// Builds YAML nodes from a list of parser events, so that resolved values keep the line and column of the
/// text they were written as (YamlDotNet sets a node's marks only from events).
/// </summary>
internal sealed class ResolvedYaml
{
    private readonly List<ParsingEvent> _events = [];

    public void Scalar(string value, ScalarStyle style, YamlNode at, string? tag = null) =>
        _events.Add(
            new Scalar(
                AnchorName.Empty,
                tag is null ? TagName.Empty : new TagName(tag),
                value,
                style,
                tag is null,
                tag is null,
                at.Start,
                at.End
            )
        );

    public void StartMap(YamlNode at) =>
        _events.Add(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block, at.Start, at.End));

    public void EndMap() => _events.Add(new MappingEnd());

    public void StartList(YamlNode at) =>
        _events.Add(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block, at.Start, at.End));

    public void EndList() => _events.Add(new SequenceEnd());

    /// <summary>The node the events describe (one root node).</summary>
    public YamlNode Build(string displayPath)
    {
        List<ParsingEvent> all = [new StreamStart(), new DocumentStart(), .. _events, new DocumentEnd(true), new StreamEnd()];
        var stream = new YamlStream();
        try
        {
            stream.Load(new EventParser(all));
        }
        catch (YamlException e)
        {
            // Resolved keys can repeat one another (two outs named by the same value).
            throw new ExpException(ExitCode.InvalidProject, $"{Yaml.At(displayPath, e.Start)}: {e.Message}", e);
        }

        return stream.Documents[0].RootNode;
    }

    private sealed class EventParser(List<ParsingEvent> events) : IParser
    {
        private int _index = -1;

        public ParsingEvent? Current => _index >= 0 && _index < events.Count ? events[_index] : null;

        public bool MoveNext() => ++_index < events.Count;
    }
}
