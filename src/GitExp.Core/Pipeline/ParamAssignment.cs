using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>One <c>-S [file:]key=value</c> argument; <see cref="Value"/> is the raw YAML text the user typed.</summary>
/// <remarks>A null <see cref="File"/> means the stage's default params file; the caller picks it.</remarks>
public sealed record ParamAssignment(string? File, string Key, string Value)
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses "[file:]key=value"; the value is kept as typed.</summary>
    public static ParamAssignment Parse(string text)
    {
        var eq = text.IndexOf('=');
        if (eq < 0)
        {
            throw new ExpException(ExitCode.Usage, $"-S '{text}': expected [file:]key=value");
        }
        var left = text[..eq];
        var colon = left.LastIndexOf(':');
        string? file = null;
        var key = left;
        if (colon >= 0)
        {
            file = left[..colon];
            key = left[(colon + 1)..];
            if (file.Length == 0)
            {
                throw new ExpException(ExitCode.Usage, $"-S '{text}': the file before ':' is empty; expected [file:]key=value");
            }
        }
        if (!KeyPath.TryParse(key, out var segments, out var error))
        {
            throw new ExpException(ExitCode.Usage, $"-S '{text}': key '{key}' {error}; expected [file:]key=value");
        }
        // Hydra's other override prefixes ('++' add-or-change, '~' delete) would otherwise become part of a key's name.
        var hydra = segments
            .Select((segment, i) => i == 0 && key[0] == '+' ? segment.Name?[1..] : segment.Name)
            .FirstOrDefault(name => name is not null && name.Length > 0 && name[0] is '+' or '~');
        if (hydra is not null || key == "+")
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{text}': '{(key.StartsWith("++", StringComparison.Ordinal) ? "++" : hydra?[0].ToString() ?? "+")}' "
                    + "is not supported in a key; write key=value to change a key, +key=value to add one"
            );
        }
        var value = text[(eq + 1)..];
        RefuseHydraValue(text, value);
        return new ParamAssignment(file, key, value);
    }

    /// <summary>
    /// Hydra's sweep functions (<c>range(1,4)</c>, <c>choice(a,b)</c>) and interpolation (<c>${a.b}</c>): not
    /// supported, and taking them as text (or splitting them on commas) would run something else than meant.
    /// </summary>
    private static void RefuseHydraValue(string text, string value)
    {
        if (value.Length == 0 || value[0] is '[' or '{' or '"' or '\'')
        {
            return;
        }

        if (value.Contains("${", StringComparison.Ordinal))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{text}': interpolation (${{...}}) is not supported; write the value itself, or quote it to set it as text"
            );
        }

        var open = value.IndexOf('(', StringComparison.Ordinal);
        var close = value.LastIndexOf(')');
        var call = open > 0 && close > open && value[..open].All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        var commaInside = open >= 0 && value.IndexOf(',', open) is var comma && comma >= 0 && (close < 0 || comma < close);
        if (call || commaInside)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{text}': '{value}' looks like a sweep function (range(), choice(), ...), which is not supported; "
                    + "list the values (key=1,2,3), or quote the value to set it as text"
            );
        }
    }

    /// <summary>The values of a sweep: "0.1,0.01" gives two; a list, map or quoted value is one value, never split.</summary>
    public IReadOnlyList<string> SweepValues()
    {
        if (Value.Length > 0 && Value[0] is '[' or '{' or '"' or '\'')
        {
            return [Value];
        }
        var values = Value.Split(',').Select(v => v.Trim()).ToList();
        if (values.Count > 1 && values.Any(v => v.Length == 0))
        {
            throw new ExpException(ExitCode.Usage, $"-S '{Key}={Value}': a sweep needs a value between every pair of commas");
        }
        return values.Count > 1 ? values : [Value];
    }

    /// <summary>The value as YAML would read it: numbers, booleans, null, lists and maps are typed; anything else is a string.</summary>
    /// <remarks>An empty value is the empty string, not null: "-S name=" clears a text parameter.</remarks>
    public JsonNode? ParseValue() => ParseRaw(Value, out _);

    /// <summary>The text to write into a YAML file: the raw value when YAML reads it back as <see cref="ParseValue"/>, else a quoted string.</summary>
    internal string ToYamlText(bool inFlow)
    {
        var value = ParseRaw(Value, out var rawIsYaml);
        if (
            rawIsYaml
            && !(
                inFlow && value is JsonValue && Value.IndexOfAny([',', '[', ']', '{', '}']) >= 0 && Value[0] is not ('"' or '\'')
            )
        )
        {
            return Value;
        }
        return QuoteString(Value);
    }

    internal static string QuoteString(string text) => JsonSerializer.Serialize(text, RelaxedJson);

    internal static string ToJsonText(JsonNode? value) => value is null ? "null" : value.ToJsonString(RelaxedJson);

    private static JsonNode? ParseRaw(string raw, out bool rawIsYaml)
    {
        rawIsYaml = false;
        if (raw.Length == 0 || raw.Trim().Length != raw.Length || raw.Contains('\n') || raw.Contains('\r'))
        {
            return JsonValue.Create(raw);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(raw));
        }
        catch (YamlException)
        {
            return JsonValue.Create(raw);
        }
        if (stream.Documents.Count != 1)
        {
            return JsonValue.Create(raw);
        }
        var root = stream.Documents[0].RootNode;
        // Only a value that is the whole text is taken as YAML: "x # note", "&a 1" or "a: b" are strings.
        var whole =
            root.Start.Index == 0
            && Yaml.EndOf(root, raw) == raw.Length
            && (root.Tag.IsEmpty || root.Tag.IsNonSpecific)
            && root.Anchor.IsEmpty;
        var flowOrScalar = root switch
        {
            YamlScalarNode s => s.Style is ScalarStyle.Plain or ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted,
            YamlSequenceNode q => q.Style == YamlDotNet.Core.Events.SequenceStyle.Flow,
            YamlMappingNode m => m.Style == YamlDotNet.Core.Events.MappingStyle.Flow,
            _ => false,
        };
        if (!whole || !flowOrScalar)
        {
            return JsonValue.Create(raw);
        }
        try
        {
            var node = Yaml.ToJson(root, "-S");
            rawIsYaml = true;
            return node;
        }
        catch (ExpException)
        {
            return JsonValue.Create(raw);
        }
    }
}
