using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>What a <c>-S</c> override does with its key: Hydra's <c>key=</c>, <c>+key=</c>, <c>++key=</c> and <c>~key</c>.</summary>
public enum ParamEditKind
{
    /// <summary><c>key=value</c>: change a key the file has.</summary>
    Set,

    /// <summary><c>+key=value</c>: add a key the file does not have.</summary>
    Add,

    /// <summary><c>++key=value</c>: add the key, or change it when the file has it.</summary>
    AddOrSet,

    /// <summary><c>~key</c> (any value) or <c>~key=value</c> (only when it holds that value): delete the key.</summary>
    Delete,
}

/// <summary>
/// One <c>-S [file:]override</c> in Hydra's override grammar, as DVC 3 reads it; <see cref="Value"/> is YAML
/// text that reads back as the value Hydra gives (a sweep's values are in <see cref="Sweep"/>).
/// </summary>
/// <remarks>A null <see cref="File"/> means the stage's default params file; the caller picks it.</remarks>
public sealed partial record ParamAssignment(string? File, string Key, string Value)
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public ParamEditKind Kind { get; init; } = ParamEditKind.Set;

    /// <summary>False for a bare <c>~key</c>, which deletes whatever the key holds.</summary>
    public bool HasValue { get; init; } = true;

    /// <summary>A sweep's values as YAML texts (<c>1,2</c>, <c>choice()</c>, <c>range()</c>); null for one value.</summary>
    public IReadOnlyList<string>? Sweep { get; init; }

    /// <summary>Hydra's prefix for <see cref="Kind"/>: "", "+", "++" or "~".</summary>
    public string Prefix =>
        Kind switch
        {
            ParamEditKind.Add => "+",
            ParamEditKind.AddOrSet => "++",
            ParamEditKind.Delete => "~",
            _ => "",
        };

    /// <summary>The override as <c>-S</c> takes it back: <c>[file:][prefix]key[=value]</c>.</summary>
    public override string ToString() => (File is null ? "" : File + ":") + Prefix + Key + (HasValue ? "=" + Value : "");

    /// <summary>
    /// One <c>-S</c> argument: usually one override, but DVC 2's documented <c>-S a=1,b=2</c> (every
    /// comma-separated part a <c>key=value</c>) is two, each to the same file.
    /// </summary>
    public static IReadOnlyList<ParamAssignment> ParseArgument(string text)
    {
        var (file, body) = SplitFile(text);
        var parts = SplitTopLevelCommas(body);
        if (parts.Count > 1 && parts.All(p => PageFormPart().IsMatch(p)))
        {
            var prefix = file is null ? "" : file + ":";
            return parts.Select(p => Parse(prefix + p.TrimStart())).ToList();
        }

        return [Parse(text)];
    }

    /// <summary>Parses one override, "[file:][+|++|~]key=value" or "[file:]~key".</summary>
    public static ParamAssignment Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var (file, left) = SplitFile(text);
        if (file is not null && file.Length == 0)
        {
            throw new ExpException(ExitCode.Usage, $"-S '{text}': the file before ':' is empty; expected [file:]key=value");
        }

        var kind =
            left.StartsWith("++", StringComparison.Ordinal) ? ParamEditKind.AddOrSet
            : left.StartsWith('+') ? ParamEditKind.Add
            : left.StartsWith('~') ? ParamEditKind.Delete
            : ParamEditKind.Set;
        if (eq < 0 && kind != ParamEditKind.Delete)
        {
            throw new ExpException(ExitCode.Usage, $"-S '{text}': expected [file:]key=value (or ~key to delete a key)");
        }

        var keyEnd = eq < 0 ? left.Length : left.IndexOf('=', StringComparison.Ordinal);
        var prefixLength = kind switch
        {
            ParamEditKind.AddOrSet => 2,
            ParamEditKind.Set => 0,
            _ => 1,
        };
        var key = left[prefixLength..keyEnd];
        if (key.Length > 0 && key[0] is '+' or '~')
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{text}': '{left[..(prefixLength + 1)]}' is not a prefix; write key=value to change a key, +key=value to add one, ++key=value to add or change one, ~key to delete one"
            );
        }

        CheckKey(key, text);
        if (eq < 0)
        {
            return new ParamAssignment(file, key, "") { Kind = kind, HasValue = false };
        }

        var parsed = OverrideValue.Parse(left[(keyEnd + 1)..], text);
        return parsed.IsSweep
            ? new ParamAssignment(file, key, left[(keyEnd + 1)..]) { Kind = kind, Sweep = parsed.Values }
            : new ParamAssignment(file, key, parsed.Values[0]) { Kind = kind };
    }

    /// <summary>Refuses a key that is not a dotted key path (<c>a.b</c>, <c>a.list[0]</c>, <c>a.list.0</c>), naming the -S argument.</summary>
    public static void CheckKey(string key, string flag)
    {
        if (!KeyPath.TryParse(key, out var segments, out var error))
        {
            throw new ExpException(ExitCode.Usage, $"-S '{flag}': key '{key}' {error}; expected [file:]key=value");
        }

        if (segments.FirstOrDefault(s => s.Name is { Length: > 0 } n && n[0] is '+' or '~') is { Name: { } bad })
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{flag}': '{bad[0]}' is only a prefix of the whole key (+key, ++key, ~key), not of a part of it"
            );
        }
    }

    /// <summary>Splits "file:rest" as DVC does: a ':' before the first '=' ends the file (the last such ':', for paths with drive letters).</summary>
    private static (string? File, string Body) SplitFile(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var colon = (eq < 0 ? text : text[..eq]).LastIndexOf(':');
        return colon < 0 ? (null, text) : (text[..colon], text[(colon + 1)..]);
    }

    /// <summary>The parts of a text between commas outside quotes and brackets.</summary>
    private static List<string> SplitTopLevelCommas(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        char? quote = null;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    [GeneratedRegex(@"^\s*(\+\+?|~)?[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+|\[[0-9]+\])*=")]
    private static partial Regex PageFormPart();

    /// <summary>The values of a sweep as YAML texts; one value when it is not a sweep.</summary>
    public IReadOnlyList<string> SweepValues() => Sweep ?? [Value];

    /// <summary>True when YAML reads <paramref name="text"/> as <paramref name="value"/>.</summary>
    internal static bool ReadsAs(string text, JsonNode? value) => JsonNode.DeepEquals(ParseRaw(text, out _), value);

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
