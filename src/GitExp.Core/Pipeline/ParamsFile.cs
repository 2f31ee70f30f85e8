using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>The formats a params file can have, told by its extension.</summary>
public enum ParamsFormat
{
    Yaml,
    Json,
    Toml,
    Python,
}

/// <summary>A params file (YAML, JSON, TOML or Python, by its extension) read into JSON nodes, with dotted-key access.</summary>
public sealed class ParamsFile
{
    private static readonly JsonDocumentOptions JsonReadOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private ParamsFile(JsonNode? root, string displayPath)
    {
        Root = root;
        DisplayPath = displayPath;
    }

    /// <summary>The whole file; null when it is empty.</summary>
    public JsonNode? Root { get; }

    public string DisplayPath { get; }

    public static ParamsFile Load(string fullPath, string displayPath) => Parse(ReadText(fullPath, displayPath), displayPath);

    /// <summary>Reads a file's text in the format its name (<paramref name="displayPath"/>) tells.</summary>
    public static ParamsFile Parse(string text, string displayPath) =>
        new(
            FormatOf(displayPath) switch
            {
                ParamsFormat.Json => ParseJson(text, displayPath),
                ParamsFormat.Toml => TomlParams.Parse(text, displayPath),
                ParamsFormat.Python => PythonParams.Parse(text, displayPath),
                _ => ParseYaml(text, displayPath),
            },
            displayPath
        );

    /// <summary>The format of a params file by its extension; any other extension is refused in one line.</summary>
    public static ParamsFormat FormatOf(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".yaml" or ".yml" => ParamsFormat.Yaml,
            ".json" => ParamsFormat.Json,
            ".toml" => ParamsFormat.Toml,
            ".py" => ParamsFormat.Python,
            _ => throw new ExpException(
                ExitCode.Usage,
                $"{path}: params files must be YAML (.yaml, .yml), JSON (.json), TOML (.toml) or Python (.py)"
            ),
        };
    }

    /// <summary>Finds a value by a key like "a.b", "a.b[0]" or "a.list[2].x"; the node returned is a copy.</summary>
    public bool TryGet(string key, out JsonNode? value)
    {
        value = null;
        if (!KeyPath.TryParse(key, out var segments, out _) || !KeyPath.TryWalk(Root, segments, out var found))
        {
            return false;
        }
        value = found?.DeepClone();
        return true;
    }

    /// <summary>Every leaf key with its value (a copy), in file order.</summary>
    /// <remarks>
    /// A list of scalars stays one leaf ("layers" → [64, 32]), as in DVC's tables: sweeping or comparing
    /// a list is about the whole list. A list holding any map or list is opened by index ("stages[0].lr").
    /// Empty maps and lists are leaves, so no key disappears.
    /// </remarks>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>> Flatten()
    {
        var result = new List<KeyValuePair<string, JsonNode?>>();
        if (Root is not null)
        {
            Walk("", Root, result);
        }
        return result;

        static void Walk(string prefix, JsonNode? node, List<KeyValuePair<string, JsonNode?>> acc)
        {
            switch (node)
            {
                case JsonObject { Count: > 0 } obj:
                    foreach (var (k, v) in obj)
                    {
                        Walk(prefix.Length == 0 ? k : $"{prefix}.{k}", v, acc);
                    }
                    break;
                case JsonArray arr when arr.Any(c => c is JsonObject or JsonArray):
                    for (var i = 0; i < arr.Count; i++)
                    {
                        Walk($"{prefix}[{i}]", arr[i], acc);
                    }
                    break;
                default:
                    acc.Add(new(prefix, node?.DeepClone()));
                    break;
            }
        }
    }

    /// <summary>Sets values in the file in place, keeping every other byte: order, comments and formatting.</summary>
    /// <remarks>
    /// <see cref="ParamAssignment.File"/> is not looked at: the caller routes each assignment to its file.
    /// A YAML file is edited as text, only the changed value's text replaced; a new key goes under its
    /// deepest existing parent map, else at the end. A JSON file (which has no comments to keep) is
    /// rewritten with its key order, its own indentation (its first indented line's) and line ends. A TOML
    /// file is edited like YAML, on Tomlyn's syntax tree positions.
    /// </remarks>
    public static void SetValues(string fullPath, string displayPath, IReadOnlyList<ParamAssignment> assignments)
    {
        var text = DecodeForEdit(ReadBytes(fullPath, displayPath), displayPath);
        RepoPath.WriteAtomic(fullPath, SetValuesInText(text, displayPath, assignments));
    }

    /// <summary>The edit of <see cref="SetValues"/> on a file's text, for a copy that is not in the workspace (a queued snapshot).</summary>
    public static string SetValuesInText(string text, string displayPath, IReadOnlyList<ParamAssignment> assignments)
    {
        foreach (var a in assignments)
        {
            if (!KeyPath.TryParse(a.Key, out _, out var error))
            {
                throw new ExpException(ExitCode.Usage, $"{displayPath}: cannot set '{a.Key}': the key {error}");
            }
        }

        return FormatOf(displayPath) switch
        {
            ParamsFormat.Json => SetJson(text, displayPath, assignments),
            ParamsFormat.Toml => SetInPlace(text, displayPath, assignments, TomlParams.Set, TomlParams.Parse),
            ParamsFormat.Python => SetInPlace(text, displayPath, assignments, PythonParams.Set, PythonParams.Parse),
            _ => SetYaml(text, displayPath, assignments),
        };
    }

    /// <summary>The YAML edit of <see cref="SetValues"/> on text, for callers that hold the text themselves.</summary>
    internal static string SetYaml(string text, string displayPath, IReadOnlyList<ParamAssignment> assignments)
    {
        foreach (var a in assignments)
        {
            text = new YamlEditor(text, displayPath).Set(a);
            // The edit works on text positions; reading the result back proves it meant what the user asked.
            if (
                !new ParamsFile(ParseYaml(text, displayPath), displayPath).TryGet(a.Key, out var now)
                || !JsonNode.DeepEquals(now, a.ParseValue())
            )
            {
                throw new InvalidOperationException(
                    $"{displayPath}: setting '{a.Key}' to '{a.Value}' did not read back as written"
                );
            }
        }
        return text;
    }

    /// <summary>The TOML and Python edit: each value's text replaced in place by <paramref name="set"/>.</summary>
    private static string SetInPlace(
        string text,
        string displayPath,
        IReadOnlyList<ParamAssignment> assignments,
        Func<string, string, ParamAssignment, List<KeySegment>, string> set,
        Func<string, string, JsonNode?> parse
    )
    {
        foreach (var a in assignments)
        {
            KeyPath.TryParse(a.Key, out var segments, out _);
            text = set(text, displayPath, a, segments);
            // As for YAML: the edit works on text positions, so reading the result back proves it.
            if (
                !new ParamsFile(parse(text, displayPath), displayPath).TryGet(a.Key, out var now)
                || !JsonNode.DeepEquals(now, a.ParseValue())
            )
            {
                throw new InvalidOperationException(
                    $"{displayPath}: setting '{a.Key}' to '{a.Value}' did not read back as written"
                );
            }
        }
        return text;
    }

    internal static string SetJson(string text, string displayPath, IReadOnlyList<ParamAssignment> assignments)
    {
        var root = ParseJson(text, displayPath) ?? new JsonObject();
        foreach (var a in assignments)
        {
            KeyPath.TryParse(a.Key, out var segments, out _);
            JsonNode parent = root;
            for (var i = 0; i < segments.Count; i++)
            {
                var s = segments[i];
                var last = i == segments.Count - 1;
                if (s.Name is not null && parent is JsonObject obj)
                {
                    if (last)
                    {
                        obj[s.Name] = a.ParseValue();
                    }
                    else
                    {
                        parent = obj[s.Name] ??= new JsonObject();
                    }
                }
                else if (s.Name is null && parent is JsonArray arr && s.Index < arr.Count)
                {
                    if (last)
                    {
                        arr[s.Index] = a.ParseValue();
                    }
                    else
                    {
                        parent = arr[s.Index] ?? throw CannotSet(displayPath, a.Key, segments, i);
                    }
                }
                else
                {
                    throw CannotSet(displayPath, a.Key, segments, i);
                }
            }
        }
        return WriteJson(root, text);
    }

    private static string WriteJson(JsonNode root, string text) =>
        root.ToJsonString(JsonWriteOptions(text)) + (text.EndsWith('\n') || text.Length == 0 ? NewLineOf(text) : "");

    /// <summary>
    /// A key given as Hydra writes it (<c>layers.0</c>) in the form the writers take (<c>layers[0]</c>): a
    /// numeric part that lands on a list is a list index. Any other key is returned as it is.
    /// </summary>
    public static string ListIndexKey(JsonNode? root, string key)
    {
        if (!KeyPath.TryParse(key, out var segments, out _))
        {
            return key;
        }

        var changed = false;
        var node = root;
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (
                s.Name is { Length: > 0 } name
                && node is JsonArray
                && name.All(char.IsAsciiDigit)
                && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            )
            {
                segments[i] = new KeySegment(null, index);
                changed = true;
            }

            if (!KeyPath.TryWalk(node, [segments[i]], out node))
            {
                break;
            }
        }

        return changed ? KeyPath.Format(segments) : key;
    }

    /// <summary>
    /// Deletes a key (Hydra's <c>~key</c>) in place, keeping every other byte as <see cref="SetValues"/> does:
    /// a YAML map entry's lines, a TOML key's line or table, a Python constant's line; a JSON file is
    /// rewritten. What cannot be deleted in place is refused in one line.
    /// </summary>
    public static string DeleteInText(string text, string displayPath, string key)
    {
        if (!KeyPath.TryParse(key, out var segments, out var error))
        {
            throw new ExpException(ExitCode.Usage, $"{displayPath}: cannot delete '{key}': the key {error}");
        }

        var expected = Parse(text, displayPath).Root?.DeepClone();
        KeyPath.TryWalk(expected, segments.Take(segments.Count - 1).ToList(), out var parent);
        switch (parent)
        {
            case JsonObject obj when segments[^1].Name is { } name:
                obj.Remove(name);
                break;
            case JsonArray arr when segments[^1].Name is null && segments[^1].Index < arr.Count:
                arr.RemoveAt(segments[^1].Index);
                break;
            default:
                throw new ExpException(ExitCode.Usage, $"{displayPath}: cannot delete '{key}': the file has no such key");
        }

        var result = FormatOf(displayPath) switch
        {
            ParamsFormat.Json => WriteJson(expected ?? new JsonObject(), text),
            ParamsFormat.Toml => TomlParams.Delete(text, displayPath, key, segments),
            ParamsFormat.Python => PythonParams.Delete(text, displayPath, key, segments),
            _ => new YamlEditor(text, displayPath).Delete(key, segments),
        };
        // As for a change: the edit works on text positions, so reading the result back proves it.
        var now = Parse(result, displayPath).Root;
        if (!JsonNode.DeepEquals(now ?? new JsonObject(), expected ?? new JsonObject()))
        {
            throw new InvalidOperationException($"{displayPath}: deleting '{key}' did not read back as expected");
        }

        return result;
    }

    /// <summary>Writing options that keep a JSON file's own indentation (its first indented line's) and line ends.</summary>
    private static JsonSerializerOptions JsonWriteOptions(string text)
    {
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var body = text.Trim();
        if (body.Length > 0 && !body.Contains('\n'))
        {
            return options; // a one-line file stays one line
        }
        options.WriteIndented = true;
        options.NewLine = NewLineOf(text);
        foreach (var line in text.Split('\n').Skip(1))
        {
            var indent = line.Length - line.TrimStart(' ', '\t').Length;
            if (indent > 0 && line.Trim().Length > 0)
            {
                options.IndentCharacter = line[0] == '\t' ? '\t' : ' ';
                options.IndentSize = Math.Min(indent, 127);
                break;
            }
        }
        return options;
    }

    private static string NewLineOf(string text) => text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

    /// <summary>A number value's text as typed (<c>1e-4</c> stays <c>1e-4</c>) when JSON's number syntax, which TOML and Python share, takes it.</summary>
    internal static string? NumberAsTyped(ParamAssignment a)
    {
        var raw = a.Value.Trim();
        if (a.ParseValue() is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(raw) is JsonValue parsed && parsed.GetValueKind() == JsonValueKind.Number ? raw : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static ExpException CannotSet(string displayPath, string key, IReadOnlyList<KeySegment> segments, int failedAt)
    {
        var s = segments[failedAt];
        var parent = failedAt == 0 ? "the file's top level" : $"'{KeyPath.Format(segments.Take(failedAt))}'";
        var why = s.Name is null
            ? $"{parent} has no list item {s.Index} (list items can be changed, not added)"
            : $"{parent} is not a map";
        return new ExpException(ExitCode.Usage, $"{displayPath}: cannot set '{key}': {why}");
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The text of a params file about to be rewritten. Bytes that are not UTF-8 are refused: decoding would
    /// turn them into U+FFFD, and writing the edit back would damage keys the edit never touched.
    /// </summary>
    public static string DecodeForEdit(byte[] bytes, string displayPath)
    {
        var start = bytes.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{displayPath}: byte offset {start + e.Index} is not valid UTF-8; -S edits only UTF-8 files, so the file was left as it is"
                ),
                e
            );
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static byte[] ReadBytes(string fullPath, string displayPath)
    {
        try
        {
            return File.ReadAllBytes(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ExpException(ExitCode.NotFound, $"{displayPath}: params file not found", e);
        }
    }

    private static string ReadText(string fullPath, string displayPath)
    {
        try
        {
            return File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ExpException(ExitCode.NotFound, $"{displayPath}: params file not found", e);
        }
    }

    private static JsonNode? ParseYaml(string text, string displayPath)
    {
        // exp show parses one params file per experiment; most are flat 'key: value' lines.
        if (Yaml.TryParseFlatMap(text) is { } flat)
        {
            return flat;
        }

        var root = Yaml.LoadRoot(text, displayPath);
        return root is null ? null : Yaml.ToJson(root, displayPath);
    }

    private static JsonNode? ParseJson(string text, string displayPath)
    {
        if (text.Trim().Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text, documentOptions: JsonReadOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"{displayPath}:{line + 1}:{(e.BytePositionInLine ?? 0) + 1}" : displayPath;
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new ExpException(
                ExitCode.InvalidProject,
                $"{where}: invalid JSON: {(cut > 0 ? message[..cut] : message).Trim()}",
                e
            );
        }
    }

    /// <summary>Edits one YAML text by positions from YamlDotNet's marks, so nothing around the edit moves.</summary>
    private sealed class YamlEditor(string text, string displayPath)
    {
        private readonly string newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

        public string Set(ParamAssignment a)
        {
            KeyPath.TryParse(a.Key, out var path, out _);
            var root = Yaml.LoadRoot(text, displayPath, mergeKeys: false);
            if (root is null || (Yaml.IsNull(root) && root.Start.Index == root.End.Index))
            {
                if (path.Any(s => s.Name is null))
                {
                    throw CannotSet(displayPath, a.Key, path, path.FindIndex(s => s.Name is null));
                }
                var prefix = text.Length == 0 || text.EndsWith('\n') ? text : text + newLine;
                return prefix + Block(0, path, a) + newLine;
            }

            YamlNode node = root;
            YamlNode? keyNode = null;
            var inFlow = false;
            var i = 0;
            for (; i < path.Count; i++)
            {
                var s = path[i];
                YamlNode? next = null;
                if (s.Name is not null && node is YamlMappingNode map)
                {
                    var child = map.Children.FirstOrDefault(c => Yaml.ScalarText(c.Key) == s.Name);
                    if (child.Key is not null)
                    {
                        keyNode = child.Key;
                        next = child.Value;
                    }
                    inFlow |= map.Style == YamlDotNet.Core.Events.MappingStyle.Flow;
                }
                else if (s.Name is null && node is YamlSequenceNode seq && s.Index < seq.Children.Count)
                {
                    keyNode = null;
                    next = seq.Children[s.Index];
                    inFlow |= seq.Style == YamlDotNet.Core.Events.SequenceStyle.Flow;
                }
                if (next is null)
                {
                    break;
                }
                node = next;
            }

            if (i == path.Count)
            {
                return Replace(keyNode, node, a.ToYamlText(inFlow));
            }
            var rest = path.Skip(i).ToList();
            if (rest.Any(s => s.Name is null))
            {
                throw CannotSet(displayPath, a.Key, path, i + rest.FindIndex(s => s.Name is null));
            }
            if (node is YamlMappingNode parent)
            {
                return AddToMap(parent, rest, a);
            }
            if (
                keyNode is not null
                && Yaml.IsNull(node)
                && node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any }
                && !inFlow
            )
            {
                // "train:" with no value becomes a map holding the new key.
                var colon = ColonAfter(keyNode);
                var end = node.Start.Index == node.End.Index ? colon + 1 : (int)node.End.Index;
                var indent = (int)keyNode.Start.Column - 1 + 2;
                return Splice(colon + 1, end, newLine + Block(indent, rest, a));
            }
            throw CannotSet(displayPath, a.Key, path, i);
        }

        public string Delete(string key, List<KeySegment> path)
        {
            var root = Yaml.LoadRoot(text, displayPath);
            YamlNode? node = root;
            YamlNode? parentKey = null;
            foreach (var s in path.Take(path.Count - 1))
            {
                var entry =
                    node is YamlMappingNode m && s.Name is not null
                        ? m.Children.FirstOrDefault(c => Yaml.ScalarText(c.Key) == s.Name)
                        : default;
                parentKey = entry.Key;
                node = entry.Value;
            }

            if (
                path[^1].Name is not { } name
                || node is not YamlMappingNode map
                || map.Style == YamlDotNet.Core.Events.MappingStyle.Flow
            )
            {
                throw CannotDelete(key);
            }

            var (keyNode, valueNode) = map.Children.First(c => Yaml.ScalarText(c.Key) == name);
            if (map.Children.Count == 1)
            {
                // The map's last key goes: the map stays, empty, as Hydra leaves it.
                if (parentKey is null)
                {
                    return "{}" + newLine;
                }

                var colon = ColonAfter(parentKey);
                return Splice(colon + 1, TrimEnd(colon + 1, LastEnd(map)), " {}");
            }

            var keyStart = (int)keyNode.Start.Index;
            var lineStart = text.LastIndexOf('\n', Math.Max(0, keyStart - 1)) + 1;
            if (keyStart > 0 && text.AsSpan(lineStart, keyStart - lineStart).Trim(" \t").Length > 0)
            {
                throw CannotDelete(key);
            }

            var end = TrimEnd(keyStart, LastEnd(valueNode));
            var lineEnd = text.IndexOf('\n', end);
            return Splice(lineStart, lineEnd < 0 ? text.Length : lineEnd + 1, "");
        }

        private ExpException CannotDelete(string key) =>
            new(
                ExitCode.Usage,
                $"{displayPath}: cannot delete '{key}' in place: -S deletes keys of block maps ('key: value' lines) in YAML files; set the whole list or map instead"
            );

        private string Replace(YamlNode? keyNode, YamlNode node, string value)
        {
            // A loaded collection's end mark equals its start: only a scalar can be empty ("key:" alone).
            var empty = node is YamlScalarNode && node.Start.Index == node.End.Index;
            if (
                node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded) }
                && !empty
            )
            {
                return Splice((int)node.Start.Index, (int)node.End.Index, value);
            }
            if (keyNode is not null)
            {
                var colon = ColonAfter(keyNode);
                var end = empty ? colon + 1 : TrimEnd(colon + 1, LastEnd(node));
                return Splice(colon + 1, end, " " + value);
            }
            return Splice((int)node.Start.Index, TrimEnd((int)node.Start.Index, LastEnd(node)), value);
        }

        private string AddToMap(YamlMappingNode map, List<KeySegment> rest, ParamAssignment a)
        {
            if (map.Style == YamlDotNet.Core.Events.MappingStyle.Flow)
            {
                var insertAt =
                    map.Children.Count == 0
                        ? Yaml.ClosingBracket(text, (int)map.Start.Index + 1)
                        : TrimEnd((int)map.Start.Index, LastEnd(map.Children.Last().Value));
                return Splice(insertAt, insertAt, (map.Children.Count == 0 ? "" : ", ") + Flow(rest, a));
            }
            var indent = (int)map.Start.Column - 1;
            var end = TrimEnd((int)map.Start.Index, LastEnd(map));
            var lineEnd = text.IndexOf('\n', end);
            if (lineEnd < 0)
            {
                return text + newLine + Block(indent, rest, a) + newLine;
            }
            if (lineEnd > 0 && text[lineEnd - 1] == '\r')
            {
                lineEnd--;
            }
            return Splice(lineEnd, lineEnd, newLine + Block(indent, rest, a));
        }

        private string Block(int indent, IReadOnlyList<KeySegment> path, ParamAssignment a)
        {
            var sb = new System.Text.StringBuilder();
            for (var i = 0; i < path.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(newLine);
                }
                sb.Append(' ', indent + (2 * i)).Append(KeyText(path[i].Name!)).Append(':');
            }
            return sb.Append(' ').Append(a.ToYamlText(inFlow: false)).ToString();
        }

        private static string Flow(IReadOnlyList<KeySegment> path, ParamAssignment a)
        {
            var value = a.ToYamlText(inFlow: true);
            for (var i = path.Count - 1; i >= 0; i--)
            {
                value = i == path.Count - 1 ? $"{KeyText(path[i].Name!)}: {value}" : $"{KeyText(path[i].Name!)}: {{{value}}}";
            }
            return value;
        }

        private static string KeyText(string name) =>
            name.Length > 0
            && !Yaml.PlainIsNotString(name)
            && name.IndexOfAny([':', '#', '[', ']', '{', '}', ',', '"', '\'', '&', '*', '!', '|', '>', '%', '@', '`', ' ']) < 0
            && name[0] != '-'
            && name[0] != '?'
                ? name
                : ParamAssignment.QuoteString(name);

        private int ColonAfter(YamlNode keyNode)
        {
            var i = (int)keyNode.End.Index;
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
            }
            return i < text.Length && text[i] == ':'
                ? i
                : throw new ExpException(
                    ExitCode.Usage,
                    $"{Yaml.At(displayPath, keyNode.Start)}: cannot edit the value of this key; use a plain 'key: value' line"
                );
        }

        private int LastEnd(YamlNode node) =>
            node.Start.Index == node.End.Index && node is YamlScalarNode ? (int)node.Start.Index : Yaml.EndOf(node, text);

        private int TrimEnd(int start, int end)
        {
            while (end > start && char.IsWhiteSpace(text[end - 1]))
            {
                end--;
            }
            return end;
        }

        private string Splice(int start, int end, string replacement) =>
            string.Concat(text.AsSpan(0, start), replacement, text.AsSpan(end));
    }
}
