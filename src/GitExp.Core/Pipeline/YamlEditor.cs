using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>Edits one YAML text by positions from YamlDotNet's marks, so nothing around the edit moves.</summary>
internal sealed class YamlEditor(string text, string displayPath)
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
                throw ParamsFile.CannotSet(displayPath, a.Key, path, path.FindIndex(s => s.Name is null));
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
            throw ParamsFile.CannotSet(displayPath, a.Key, path, i + rest.FindIndex(s => s.Name is null));
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
        throw ParamsFile.CannotSet(displayPath, a.Key, path, i);
    }

    public string Delete(string key, List<KeySegment> path)
    {
        var root = Yaml.LoadRoot(text, displayPath, mergeKeys: false);
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

        // A key that only a merge ('<<: *anchor') brings in has no entry of its own to delete.
        var (keyNode, valueNode) = map.Children.FirstOrDefault(c => Yaml.ScalarText(c.Key) == name);
        if (keyNode is null)
        {
            throw CannotDelete(key);
        }
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
