using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>YAML reading shared by pipeline, params and lock files: typing by the YAML 1.2 core schema and located errors.</summary>
internal static partial class Yaml
{
    /// <summary>Parses one YAML document; null when the text holds none (empty or only comments).</summary>
    public static YamlNode? LoadRoot(string text, string displayPath)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new ExpException(ExitCode.InvalidProject, $"{At(displayPath, e.Start)}: {Describe(e)}", e);
        }
        // YamlDotNet 16.3 throws this instead of a YamlException for some unclosed flow collections ("[a" at the end).
        catch (InvalidOperationException e)
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                $"{At(displayPath, scanner.CurrentPosition)}: malformed YAML (an unclosed '[' or '{{'?)",
                e
            );
        }
        if (stream.Documents.Count > 1)
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                $"{At(displayPath, stream.Documents[1].RootNode.Start)}: expected a single YAML document"
            );
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    public static string At(string displayPath, Mark mark) => $"{displayPath}:{mark.Line}:{mark.Column}";

    public static ExpException Error(string displayPath, YamlNode node, string message) =>
        new(ExitCode.InvalidProject, $"{At(displayPath, node.Start)}: {message}");

    // YamlException's message starts with both marks; the location is printed our way instead.
    private static string Describe(YamlException e)
    {
        var message = MarkPrefix().Replace(e.Message, "");
        if (e.InnerException is YamlException inner && inner.Message != e.Message)
        {
            message += ": " + MarkPrefix().Replace(inner.Message, "");
        }
        return message.ReplaceLineEndings(" ").Trim();
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInt();

    [GeneratedRegex(@"^0o[0-7]+$")]
    private static partial Regex OctalInt();

    [GeneratedRegex(@"^0x[0-9a-fA-F]+$")]
    private static partial Regex HexInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex(@"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$")]
    private static partial Regex InfOrNan();

    /// <summary>True when a plain scalar with this text would not read back as a string (or other tools would read it as .inf/.nan).</summary>
    public static bool PlainIsNotString(string text) =>
        TypePlain(text) is not JsonValue v
        || v.GetValueKind() != System.Text.Json.JsonValueKind.String
        || InfOrNan().IsMatch(text);

    /// <summary>Types a plain scalar by the YAML 1.2 core schema; .inf and .nan stay strings because JSON cannot hold them.</summary>
    public static JsonNode? TypePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (DecimalInt().IsMatch(text))
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return JsonValue.Create(l);
            }
            return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }
        if (OctalInt().IsMatch(text) && text.Length <= 23)
        {
            return JsonValue.Create(Convert.ToInt64(text[2..], 8));
        }
        if (HexInt().IsMatch(text) && text.Length <= 18)
        {
            return JsonValue.Create(Convert.ToInt64(text[2..], 16));
        }
        if (Float().IsMatch(text))
        {
            return JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        return JsonValue.Create(text);
    }

    public static bool IsPlain(YamlScalarNode s) => s.Style is ScalarStyle.Plain or ScalarStyle.Any;

    public static JsonNode? ToJson(YamlNode node, string displayPath) =>
        node switch
        {
            YamlScalarNode s => IsPlain(s) ? TypePlain(s.Value ?? "") : JsonValue.Create(s.Value ?? ""),
            YamlSequenceNode seq => new JsonArray(seq.Children.Select(c => ToJson(c, displayPath)).ToArray()),
            YamlMappingNode map => ToJsonObject(map, displayPath),
            _ => throw Error(displayPath, node, "unsupported YAML node"),
        };

    private static JsonObject ToJsonObject(YamlMappingNode map, string displayPath)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode k)
            {
                throw Error(displayPath, key, "map keys must be plain text");
            }
            var name = k.Value ?? "";
            if (!obj.TryAdd(name, ToJson(value, displayPath)))
            {
                throw Error(displayPath, key, $"duplicate key '{name}'");
            }
        }
        return obj;
    }

    /// <summary>The text of a scalar, or null when the node is not a scalar.</summary>
    public static string? ScalarText(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : null;

    public static bool IsNull(YamlNode node) => node is YamlScalarNode s && IsPlain(s) && TypePlain(s.Value ?? "") is null;
}
