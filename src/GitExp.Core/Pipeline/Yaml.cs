using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>YAML reading shared by pipeline, params and lock files: typing by the YAML 1.2 core schema and located errors.</summary>
internal static partial class Yaml
{
    /// <summary>Parses one YAML document; null when the text holds none (empty or only comments).</summary>
    /// <param name="mergeKeys">
    /// Whether YAML's merge key (<c>&lt;&lt;: *anchor</c>) copies the anchored map's keys in, as DVC's YAML reader
    /// (ruamel's safe loader) does. Off only for in-place edits, which must see the text as written.
    /// </param>
    public static YamlNode? LoadRoot(string text, string displayPath, bool mergeKeys = true)
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
        if (stream.Documents.Count == 0)
        {
            return null;
        }

        var root = stream.Documents[0].RootNode;
        if (mergeKeys)
        {
            Merge(root, new HashSet<YamlNode>(ReferenceEqualityComparer.Instance), displayPath);
        }

        return root;
    }

    // YAML's merge key: '<<: *a' (or '<<: [*a, *b]', or a map written in place) copies in the keys of the map(s)
    // that the mapping does not write itself; with a list, the first map holding a key wins. YamlDotNet's
    // MergingParser takes aliases only, and the nodes keep their own marks so errors point at the anchored text.
    private static void Merge(YamlNode node, HashSet<YamlNode> done, string displayPath)
    {
        if (!done.Add(node))
        {
            return;
        }

        if (node is YamlSequenceNode sequence)
        {
            foreach (var child in sequence.Children)
            {
                Merge(child, done, displayPath);
            }

            return;
        }

        if (node is not YamlMappingNode map)
        {
            return;
        }

        var entries = map.Children.ToList();
        foreach (var (key, value) in entries)
        {
            Merge(key, done, displayPath);
            Merge(value, done, displayPath);
        }

        if (!entries.Any(e => IsMergeKey(e.Key)))
        {
            return;
        }

        var taken = entries.Where(e => !IsMergeKey(e.Key)).Select(e => ScalarText(e.Key)).OfType<string>().ToHashSet();
        var merged = new List<KeyValuePair<YamlNode, YamlNode>>();
        foreach (var entry in entries)
        {
            if (!IsMergeKey(entry.Key))
            {
                merged.Add(entry);
                continue;
            }

            IEnumerable<YamlNode> sources = entry.Value is YamlSequenceNode list ? list.Children : [entry.Value];
            foreach (var source in sources)
            {
                if (source is not YamlMappingNode sourceMap)
                {
                    throw Error(displayPath, source, "'<<' (YAML's merge key) takes a map or a list of maps, such as *anchor");
                }

                merged.AddRange(sourceMap.Children.Where(c => ScalarText(c.Key) is not { } name || taken.Add(name)));
            }
        }

        map.Children.Clear();
        foreach (var (key, value) in merged)
        {
            map.Children.Add(key, value);
        }
    }

    private static bool IsMergeKey(YamlNode key) => key is YamlScalarNode { Value: "<<" } s && IsPlain(s);

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
            return Number(text);
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
            return Number(text);
        }
        return JsonValue.Create(text);
    }

    // A number beyond double's range (1e400, 1e-400) is kept as its text, as a JSON number: a double
    // would be infinity, which JSON cannot hold, or 0, which is not what the user wrote (decision 20).
    private static JsonValue Number(string text)
    {
        var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        var mantissa = text.AsSpan(0, text.IndexOfAny(['e', 'E']) is var e and >= 0 ? e : text.Length);
        if (double.IsFinite(number) && (number != 0 || !mantissa.ContainsAnyInRange('1', '9')))
        {
            return JsonValue.Create(number);
        }

        using var document = JsonDocument.Parse(JsonNumberText(text));
        return JsonValue.Create(document.RootElement.Clone())!; // null only for a JSON null element
    }

    /// <summary>A YAML number (matched by DecimalInt or Float) in JSON's syntax: no '+', no leading zeros, digits around '.'.</summary>
    internal static string JsonNumberText(string text)
    {
        var sign = text[0] == '-' ? "-" : "";
        var rest = text[0] is '-' or '+' ? text[1..] : text;
        var e = rest.IndexOfAny(['e', 'E']);
        var mantissa = e < 0 ? rest : rest[..e];
        var exponent = e < 0 ? "" : rest[e..];
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var whole = (dot < 0 ? mantissa : mantissa[..dot]).TrimStart('0');
        var fraction = dot < 0 ? "" : mantissa[(dot + 1)..];
        return sign
            + (whole.Length == 0 ? "0" : whole)
            + (dot < 0 ? "" : "." + (fraction.Length == 0 ? "0" : fraction))
            + exponent;
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

    /// <summary>
    /// Reads a YAML text that is only top-level <c>key: value</c> lines (plus blank lines and whole-line
    /// comments) without YamlDotNet, which costs far more per small file; null for anything else, which
    /// the caller then parses in full.
    /// </summary>
    /// <remarks>
    /// Keys and values are limited to characters that can mean nothing special in YAML, so the result is
    /// exactly what <see cref="LoadRoot"/> + <see cref="ToJson"/> give: every value goes through
    /// <see cref="TypePlain"/>. Duplicate keys, quotes, flow collections, trailing comments, indentation,
    /// tabs, CR and empty values all fall back.
    /// </remarks>
    public static JsonObject? TryParseFlatMap(string text)
    {
        var result = new JsonObject();
        var span = text.AsSpan();
        while (span.Length > 0)
        {
            var end = span.IndexOf('\n');
            var line = end < 0 ? span : span[..end];
            span = end < 0 ? [] : span[(end + 1)..];
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(": ");
            if (colon <= 0 || !IsFlatKey(line[..colon]) || !IsFlatValue(line[(colon + 2)..]))
            {
                return null;
            }

            if (!result.TryAdd(line[..colon].ToString(), TypePlain(line[(colon + 2)..].ToString())))
            {
                return null;
            }
        }

        return result.Count == 0 ? null : result;
    }

    private static bool IsFlatKey(ReadOnlySpan<char> key)
    {
        if (!char.IsAsciiLetterOrDigit(key[0]) && key[0] != '_')
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    // A value of letters, digits and '_', '.', '+', '-' is a plain scalar; a leading '-' needs a second character
    // so that it cannot be a sequence entry.
    private static bool IsFlatValue(ReadOnlySpan<char> value)
    {
        if (value.Length == 0 || (value[0] == '-' && value.Length == 1))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.' or '+'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The text of a scalar, or null when the node is not a scalar.</summary>
    public static string? ScalarText(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : null;

    public static bool IsNull(YamlNode node) => node is YamlScalarNode s && IsPlain(s) && TypePlain(s.Value ?? "") is null;

    /// <summary>The index just past the last character of <paramref name="node"/> in <paramref name="text"/>.</summary>
    /// <remarks>
    /// YamlDotNet's end marks are unusable for collections (a block one ends at the next token, past any
    /// comments; a loaded collection's end mark is not set at all), so collections are measured from their children.
    /// </remarks>
    public static int EndOf(YamlNode node, string text)
    {
        switch (node)
        {
            case YamlScalarNode:
                return (int)node.End.Index;
            case YamlSequenceNode { Style: YamlDotNet.Core.Events.SequenceStyle.Flow }
            or YamlMappingNode { Style: YamlDotNet.Core.Events.MappingStyle.Flow }:
                var last = node switch
                {
                    YamlSequenceNode { Children.Count: > 0 } seq => EndOf(seq.Children[^1], text),
                    YamlMappingNode { Children.Count: > 0 } map => EndOf(map.Children.Last().Value, text),
                    _ => (int)node.Start.Index + 1,
                };
                return ClosingBracket(text, last) + 1;
            case YamlSequenceNode seq:
                return seq.Children.Count == 0 ? (int)seq.Start.Index : seq.Children.Max(c => EndOf(c, text));
            case YamlMappingNode map:
                return map.Children.Count == 0
                    ? (int)map.Start.Index
                    : map.Children.Max(c => Math.Max(EndOf(c.Key, text), IsEmpty(c.Value) ? 0 : EndOf(c.Value, text)));
            default:
                return (int)node.End.Index;
        }
    }

    // An empty value ("key:" alone) is marked at the next token, which may be lines further on.
    private static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } && node.Start.Index == node.End.Index;

    /// <summary>The index of the ']' or '}' closing a flow collection whose last item ends at <paramref name="from"/>.</summary>
    public static int ClosingBracket(string text, int from)
    {
        var i = from;
        while (i < text.Length && text[i] is not (']' or '}'))
        {
            if (text[i] == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
                continue;
            }
            i++;
        }
        return Math.Min(i, text.Length - 1);
    }
}
