using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>Plot properties of stage plots and the top-level <c>plots</c> list (DVC's schema).</summary>
public static partial class PipelineParser
{
    private const string PlotEntryShape = "a path, or a {name: {x: ..., y: ...}} map";

    // DVC's top-level plots: a list of paths and single-key {id: props} maps (DVC 2 also wrote one map of id: props).
    private static List<PlotDefinition> ParsePlots(string file, YamlNode value)
    {
        var result = new List<PlotDefinition>();
        if (Yaml.IsNull(value))
        {
            return result;
        }

        IEnumerable<(YamlNode Id, YamlNode? Props)> entries = value switch
        {
            YamlSequenceNode list => list.Children.Select(item =>
                item switch
                {
                    YamlScalarNode s when !Yaml.IsNull(s) => ((YamlNode)s, (YamlNode?)null),
                    YamlMappingNode { Children.Count: 1 } one => (one.Children.First().Key, one.Children.First().Value),
                    _ => throw Yaml.Error(file, item, $"'plots' entries must be {PlotEntryShape}"),
                }
            ),
            YamlMappingNode map => map.Children.Select(p => (p.Key, (YamlNode?)p.Value)),
            _ => throw Yaml.Error(file, value, $"'plots' must be a list of {PlotEntryShape}"),
        };
        var dir = RepoPath.DirectoryOf(file);
        foreach (var (idNode, propsNode) in entries.ToList())
        {
            var id = Yaml.ScalarText(idNode);
            if (string.IsNullOrEmpty(id))
            {
                throw Yaml.Error(file, idNode, $"'plots' entries must be {PlotEntryShape}");
            }

            var props = new PlotProps();
            if (propsNode is not null && !Yaml.IsNull(propsNode))
            {
                if (propsNode is not YamlMappingNode map)
                {
                    throw Yaml.Error(file, propsNode, $"plots: properties of '{id}' must be a map like {{x: step, y: loss}}");
                }

                foreach (var (keyNode, propValue) in map.Children)
                {
                    var key = Yaml.ScalarText(keyNode) ?? "";
                    if (!TryPlotProp(file, dir, $"plots: {id}", key, propValue, ref props))
                    {
                        throw Yaml.Error(
                            file,
                            keyNode,
                            $"plots: unknown property '{key}' of '{id}' (expected x, y, template, title, x_label, y_label or header)"
                        );
                    }
                }
            }

            // A plot whose y names files is a name; any other id is a data file (or folder) beside the pipeline file.
            var path = props.NamesFiles ? id : RepoPath.Combine(dir, id);
            if (string.IsNullOrEmpty(path))
            {
                throw Yaml.Error(file, idNode, $"plots: '{id}' must be a relative path inside the repository");
            }

            result.Add(new PlotDefinition(path, props, file));
        }

        return result;
    }

    /// <summary>Reads one plot property into <paramref name="props"/>; false when <paramref name="key"/> is not one.</summary>
    private static bool TryPlotProp(string file, string dir, string where, string key, YamlNode value, ref PlotProps props)
    {
        switch (key)
        {
            case "x":
                props = props with { X = PlotAxis(file, dir, $"{where}: x", value) };
                return true;
            case "y":
                props = props with { Y = PlotAxis(file, dir, $"{where}: y", value) };
                return true;
            case "template":
                props = props with { Template = PlotText(file, $"{where}: template", value) };
                return true;
            case "title":
                props = props with { Title = PlotText(file, $"{where}: title", value) };
                return true;
            case "x_label":
                props = props with { XLabel = PlotText(file, $"{where}: x_label", value) };
                return true;
            case "y_label":
                props = props with { YLabel = PlotText(file, $"{where}: y_label", value) };
                return true;
            case "header":
                props = props with
                {
                    Header =
                        value is YamlScalarNode s
                        && Yaml.IsPlain(s)
                        && Yaml.TypePlain(s.Value ?? "") is { } v
                        && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                            ? v.GetValue<bool>()
                            : throw Yaml.Error(file, value, $"'{where}: header' must be true or false"),
                };
                return true;
            default:
                return false;
        }
    }

    private static string PlotText(string file, string where, YamlNode value) =>
        Yaml.ScalarText(value) is { Length: > 0 } text ? text : throw Yaml.Error(file, value, $"'{where}' must be text");

    // A field; a list of fields (y); or a map of data file (beside the pipeline file) to a field or a list of fields.
    private static List<PlotField> PlotAxis(string file, string dir, string where, YamlNode value)
    {
        const string Shape = "a field name, a list of field names, or a map of data file to field names";
        List<string> Fields(YamlNode node) =>
            node switch
            {
                YamlScalarNode => [PlotText(file, where, node)],
                YamlSequenceNode list => [.. list.Children.Select(c => PlotText(file, where, c))],
                _ => throw Yaml.Error(file, node, $"'{where}' must be {Shape}"),
            };

        if (value is not YamlMappingNode map)
        {
            return [.. Fields(value).Select(f => new PlotField(null, f))];
        }

        var result = new List<PlotField>();
        foreach (var (fileNode, fields) in map.Children)
        {
            var dataFile = RepoPath.Combine(dir, Yaml.ScalarText(fileNode) ?? "");
            if (string.IsNullOrEmpty(dataFile))
            {
                throw Yaml.Error(file, fileNode, $"'{where}': data files must be relative paths inside the repository");
            }

            result.AddRange(Fields(fields).Select(f => new PlotField(dataFile, f)));
        }

        return result;
    }
}
