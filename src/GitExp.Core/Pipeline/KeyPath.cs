using System.Globalization;
using System.Text.Json.Nodes;

namespace GitExp.Core.Pipeline;

/// <summary>One step of a dotted parameter key: a map key (<see cref="Name"/>) or a list index.</summary>
internal readonly record struct KeySegment(string? Name, int Index)
{
    public override string ToString() => Name ?? $"[{Index}]";
}

/// <summary>Dotted parameter keys such as "train.lr", "layers[0]" or "a.list[2].x".</summary>
internal static class KeyPath
{
    public static bool TryParse(string key, out List<KeySegment> segments, out string error)
    {
        segments = [];
        error = "";
        var i = 0;
        var expectName = true;
        while (i < key.Length)
        {
            if (key[i] == '[')
            {
                var close = key.IndexOf(']', i);
                if (
                    close < 0
                    || !int.TryParse(
                        key.AsSpan(i + 1, close - i - 1),
                        NumberStyles.None,
                        CultureInfo.InvariantCulture,
                        out var index
                    )
                )
                {
                    error = "has a malformed list index (expected [0], [1], ...)";
                    return false;
                }
                segments.Add(new KeySegment(null, index));
                i = close + 1;
                expectName = false;
                continue;
            }
            if (key[i] == '.')
            {
                if (expectName)
                {
                    error = "has an empty part (expected names separated by single dots)";
                    return false;
                }
                i++;
                expectName = true;
                continue;
            }
            if (!expectName)
            {
                error = "needs a '.' between a list index and a name";
                return false;
            }
            var end = key.IndexOfAny(['.', '['], i);
            end = end < 0 ? key.Length : end;
            var name = key[i..end];
            if (name.Contains(']'))
            {
                error = "has an unmatched ']'";
                return false;
            }
            segments.Add(new KeySegment(name, 0));
            i = end;
            expectName = false;
        }
        if (expectName)
        {
            error = key.Length == 0 ? "is empty" : "ends with '.'";
            return false;
        }
        return true;
    }

    public static string Format(IEnumerable<KeySegment> segments)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var s in segments)
        {
            if (s.Name is null)
            {
                sb.Append('[').Append(s.Index).Append(']');
            }
            else
            {
                if (sb.Length > 0)
                {
                    sb.Append('.');
                }
                sb.Append(s.Name);
            }
        }
        return sb.ToString();
    }

    /// <summary>Follows <paramref name="segments"/> from <paramref name="node"/>; false when a step is missing.</summary>
    public static bool TryWalk(JsonNode? node, IReadOnlyList<KeySegment> segments, out JsonNode? value)
    {
        value = null;
        foreach (var s in segments)
        {
            switch (node)
            {
                case JsonObject obj when s.Name is not null && obj.TryGetPropertyValue(s.Name, out var child):
                    node = child;
                    break;
                case JsonArray arr when s.Name is null && s.Index < arr.Count:
                    node = arr[s.Index];
                    break;
                default:
                    return false;
            }
        }
        value = node;
        return true;
    }
}
