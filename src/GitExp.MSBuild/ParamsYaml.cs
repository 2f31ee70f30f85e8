using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;
using YamlDotNet.RepresentationModel;

namespace GitExp.MSBuild;

/// <summary>A params file that is not valid YAML, with the 1-based position of the problem.</summary>
internal sealed class ParamsYamlException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>Loads params files; every syntax problem becomes a <see cref="ParamsYamlException"/> with a position.</summary>
internal static class ParamsYaml
{
    /// <summary>The root node of the first document, or null for an empty file.</summary>
    public static YamlNode? Load(string path)
    {
        try
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                yaml.Load(reader);
            }

            return yaml.Documents.Count > 0 ? yaml.Documents[0].RootNode : null;
        }
        catch (YamlException e)
        {
            var inner = e.InnerException as YamlException;
            throw new ParamsYamlException(
                "params file is not valid YAML: " + (inner ?? e).Message,
                (int)e.Start.Line,
                (int)e.Start.Column
            );
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser gives up without a position when the file ends inside a flow collection
            // or quote; the scanner still knows where the last complete token was.
            var (line, column) = LastTokenStart(path);
            throw new ParamsYamlException(
                "params file is not valid YAML: the file ends inside an unclosed [ ], { } or quoted value",
                line,
                column
            );
        }
    }

    private static (int Line, int Column) LastTokenStart(string path)
    {
        var position = (Line: 1, Column: 1);
        try
        {
            using var reader = new StreamReader(path);
            var scanner = new Scanner(reader);
            while (scanner.MoveNext())
            {
                if (scanner.Current is FlowSequenceStart or FlowMappingStart)
                {
                    position = ((int)scanner.Current.Start.Line, (int)scanner.Current.Start.Column);
                }
            }
        }
        catch (YamlException e)
        {
            position = ((int)e.Start.Line, (int)e.Start.Column);
        }
        catch (InvalidOperationException)
        {
            // The scanner fails the same way at the end of the file: the last opened collection is the culprit.
        }

        return position;
    }
}
