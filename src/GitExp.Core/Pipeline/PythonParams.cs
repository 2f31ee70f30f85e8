using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GitExp.Core.Pipeline;

/// <summary>
/// Python params files by DVC's <c>params.py</c> rules: module-level constants (<c>lr = 0.1</c>,
/// <c>lr: float = 0.1</c>), class-level ones under the class name (<c>Train.lr</c>) and <c>self.x = ...</c>
/// in a class's <c>__init__</c>. Only literal values count (numbers, strings, True/False/None, lists,
/// tuples, sets, dicts); any other statement is skipped, as DVC's <c>ast.literal_eval</c> does. <c>-S</c>
/// replaces the literal's text in place.
/// </summary>
internal static partial class PythonParams
{
    /// <summary>A literal value and where its text is, with its items' (by key or index) for containers.</summary>
    private sealed record Literal(JsonNode? Value, int Start, int End, Dictionary<string, Literal>? Keys, List<Literal>? Items);

    /// <summary>A module or class: its constants and classes in file order.</summary>
    private sealed class Scope
    {
        public readonly List<(string Name, Literal? Value, Scope? Class)> Entries = [];
        public int End; // where the scope's last line ends (for adding a constant)
    }

    public static JsonNode? Parse(string text, string displayPath)
    {
        var module = ParseModule(text, displayPath);
        return ToJson(module);

        static JsonObject ToJson(Scope scope)
        {
            var obj = new JsonObject();
            foreach (var (name, value, cls) in scope.Entries)
            {
                obj[name] = cls is not null ? ToJson(cls) : value!.Value?.DeepClone();
            }
            return obj;
        }
    }

    public static string Set(string text, string displayPath, ParamAssignment a, List<KeySegment> path)
    {
        var value = ParamsFile.NumberAsTyped(a) ?? ValueText(a.ParseValue());
        var scope = ParseModule(text, displayPath);
        Literal? literal = null;
        var i = 0;
        for (; i < path.Count; i++)
        {
            var s = path[i];
            if (literal is null)
            {
                var entry = s.Name is null ? default : scope.Entries.LastOrDefault(e => e.Name == s.Name);
                if (entry.Name is null)
                {
                    break;
                }
                if (entry.Class is not null)
                {
                    scope = entry.Class;
                    continue;
                }
                literal = entry.Value;
                continue;
            }
            var next =
                s.Name is not null ? literal.Keys?.GetValueOrDefault(s.Name)
                : literal.Items is { } items && s.Index < items.Count ? items[s.Index]
                : null;
            if (next is null)
            {
                break;
            }
            literal = next;
        }

        if (i == path.Count && literal is not null)
        {
            return string.Concat(text.AsSpan(0, literal.Start), value, text.AsSpan(literal.End));
        }
        if (literal is null && i == path.Count - 1 && path[i].Name is { } name && IsIdentifier(name) && scope.End >= 0)
        {
            // A new constant goes after the module's or class's last line, indented like the class body.
            var newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            var indent = i == 0 ? "" : Indent(text, scope);
            var line = indent + name + " = " + value;
            if (i == 0 || scope.End >= text.Length)
            {
                var prefix = text.Length == 0 || text.EndsWith('\n') ? "" : newLine;
                return text + prefix + line + newLine;
            }
            return string.Concat(text.AsSpan(0, scope.End), newLine + line, text.AsSpan(scope.End));
        }
        if (literal is null && i < path.Count - 1)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{displayPath}: cannot set '{a.Key}': the file has no class or constant '{KeyPath.Format(path.Take(i + 1))}'"
            );
        }
        throw ParamsFile.CannotSet(displayPath, a.Key, path, Math.Min(i, path.Count - 1));
    }

    /// <summary>Deletes a module or class constant's line; a class, an item of a value, or a block's only line is refused.</summary>
    public static string Delete(string text, string displayPath, string key, List<KeySegment> path)
    {
        var scope = ParseModule(text, displayPath);
        for (var i = 0; i < path.Count; i++)
        {
            var entry = path[i].Name is { } name ? scope.Entries.LastOrDefault(e => e.Name == name) : default;
            if (entry.Name is null)
            {
                break;
            }

            if (entry.Class is not null)
            {
                scope = entry.Class;
                continue;
            }

            if (i != path.Count - 1)
            {
                break;
            }

            var lineStart = text.LastIndexOf('\n', Math.Max(0, entry.Value!.Start - 1)) + 1;
            var lineEnd = text.IndexOf('\n', entry.Value.End);
            lineEnd = lineEnd < 0 ? text.Length : lineEnd + 1;
            var rest = text[entry.Value.End..lineEnd];
            var hash = rest.IndexOf('#', StringComparison.Ordinal);
            if (
                (hash < 0 ? rest : rest[..hash]).Contains(';', StringComparison.Ordinal)
                || OnlyLineOfBlock(text, lineStart, lineEnd)
            )
            {
                break;
            }

            return string.Concat(text.AsSpan(0, lineStart), text.AsSpan(lineEnd));
        }

        throw new ExpException(
            ExitCode.Usage,
            $"{displayPath}: cannot delete '{key}' in place: -S deletes a constant on a line of its own (not a class, an item of a value, or a block's only line); set the whole value instead"
        );
    }

    /// <summary>True when the line is the only one of its block (after a line ending in ':'): Python needs a body.</summary>
    private static bool OnlyLineOfBlock(string text, int lineStart, int lineEnd)
    {
        var before = text[..lineStart]
            .Split('\n')
            .Reverse()
            .Skip(1)
            .Select(l => l.Split('#')[0].TrimEnd())
            .FirstOrDefault(l => l.Trim().Length > 0);
        if (before is null || !before.EndsWith(':'))
        {
            return false;
        }

        var indent = IndentOf(text[lineStart..lineEnd]);
        var after = text[lineEnd..].Split('\n').FirstOrDefault(l => l.Split('#')[0].Trim().Length > 0);
        return after is null || IndentOf(after) < indent;

        static int IndentOf(string line) => line.Length - line.TrimStart(' ', '\t').Length;
    }

    private static string Indent(string text, Scope scope)
    {
        var first = scope.Entries.Select(e => e.Value?.Start ?? -1).FirstOrDefault(s => s >= 0, -1);
        if (first < 0)
        {
            return "    ";
        }
        var lineStart = text.LastIndexOf('\n', first) + 1;
        var n = 0;
        while (text[lineStart + n] is ' ' or '\t')
        {
            n++;
        }
        return text.Substring(lineStart, n);
    }

    private static bool IsIdentifier(string name) => IdentifierRegex().IsMatch(name);

    /// <summary>A value as a Python literal.</summary>
    private static string ValueText(JsonNode? node) =>
        node switch
        {
            null => "None",
            JsonArray arr => "[" + string.Join(", ", arr.Select(ValueText)) + "]",
            JsonObject obj => "{"
                + string.Join(", ", obj.Select(p => ParamAssignment.QuoteString(p.Key) + ": " + ValueText(p.Value)))
                + "}",
            JsonValue v when v.TryGetValue(out bool b) => b ? "True" : "False",
            JsonValue v when v.TryGetValue(out string? s) => ParamAssignment.QuoteString(s),
            _ => node.ToJsonString(),
        };

    // ---- statements -------------------------------------------------------------------------------

    /// <summary>A logical line: its text range (without the newline) and the indentation of its first line.</summary>
    private readonly record struct Line(int Start, int End, int Indent);

    private static Scope ParseModule(string text, string displayPath)
    {
        var lines = LogicalLines(text, displayPath);
        var module = new Scope { End = text.Length };
        var index = 0;
        ParseBlock(text, lines, ref index, indent: 0, module, init: false, displayPath);
        return module;
    }

    private static void ParseBlock(
        string text,
        List<Line> lines,
        ref int index,
        int indent,
        Scope scope,
        bool init,
        string displayPath
    )
    {
        while (index < lines.Count && lines[index].Indent >= indent)
        {
            var line = lines[index];
            var body = text[line.Start..line.End].TrimEnd();
            index++;
            var childIndent = index < lines.Count && lines[index].Indent > line.Indent ? lines[index].Indent : -1;
            if (line.Indent > indent)
            {
                continue; // inside a block this scope does not read (if, for, def, ...)
            }
            if (ClassRegex().Match(body) is { Success: true } cls && !init)
            {
                var inner = new Scope { End = line.End };
                if (childIndent > 0)
                {
                    ParseBlock(text, lines, ref index, childIndent, inner, init: false, displayPath);
                    inner.End = lines[index - 1].End;
                }
                scope.Entries.RemoveAll(e => e.Name == cls.Groups[1].Value);
                scope.Entries.Add((cls.Groups[1].Value, null, inner));
                continue;
            }
            if (indent > 0 && !init && InitRegex().IsMatch(body) && childIndent > 0)
            {
                ParseBlock(text, lines, ref index, childIndent, scope, init: true, displayPath);
                continue;
            }
            if (Assignment(text, line, init) is { } assignment)
            {
                scope.Entries.RemoveAll(e => e.Name == assignment.Name);
                scope.Entries.Add((assignment.Name, assignment.Value, null));
            }
        }
    }

    private static (string Name, Literal Value)? Assignment(string text, Line line, bool init)
    {
        var eq = -1;
        var depth = 0;
        for (var i = line.Start; i < line.End; i++)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                return eq < 0 ? null : Value();
            }
            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth--;
            }
            else if (c == '#')
            {
                break;
            }
            else if (c == '=' && depth == 0 && eq < 0)
            {
                var prev = i > line.Start ? text[i - 1] : ' ';
                var next = i + 1 < line.End ? text[i + 1] : ' ';
                if (next == '=' || "=<>!+-*/%&|^@:~".Contains(prev, StringComparison.Ordinal))
                {
                    return null;
                }
                eq = i;
                break;
            }
        }
        return eq < 0 ? null : Value();

        (string, Literal)? Value()
        {
            var target = text[line.Start..eq].Trim();
            var colon = target.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                target = target[..colon].TrimEnd();
            }
            if (init)
            {
                if (!target.StartsWith("self.", StringComparison.Ordinal))
                {
                    return null;
                }
                target = target[5..].Trim();
            }
            if (!IsIdentifier(target))
            {
                return null;
            }
            var reader = new LiteralReader(text, eq + 1, line.End);
            var value = reader.TryRead();
            return value is not null && reader.AtEnd() ? (target, value) : null;
        }
    }

    /// <summary>Splits the text into logical lines: brackets and backslashes join physical lines; blank and comment lines are left out.</summary>
    private static List<Line> LogicalLines(string text, string displayPath)
    {
        var lines = new List<Line>();
        var i = 0;
        while (i < text.Length)
        {
            var indent = 0;
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
                indent++;
            }
            var depth = 0;
            var content = i;
            while (i < text.Length)
            {
                var c = text[i];
                if (c is '\'' or '"')
                {
                    i = SkipString(text, i, displayPath);
                    continue;
                }
                if (c == '#')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                    continue;
                }
                if (c == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r')
                {
                    i = AfterNewline(text, i);
                    continue;
                }
                if (c is '(' or '[' or '{')
                {
                    depth++;
                }
                else if (c is ')' or ']' or '}')
                {
                    depth = Math.Max(0, depth - 1);
                }
                else if (c == '\n' && depth == 0)
                {
                    break;
                }
                i++;
            }
            var end = i > 0 && i <= text.Length && i > content && text[i - 1] == '\r' ? i - 1 : i;
            var body = text[content..end].Trim();
            if (body.Length > 0 && body[0] != '#')
            {
                lines.Add(new Line(content, end, indent));
            }
            i++;
        }
        return lines;
    }

    /// <summary>The index just after the string literal starting at <paramref name="i"/> (a quote).</summary>
    private static int SkipString(string text, int i, string displayPath)
    {
        var quote = text[i];
        var triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
        var j = i + (triple ? 3 : 1);
        while (j < text.Length)
        {
            var c = text[j];
            if (c == '\\')
            {
                j += 2;
                continue;
            }
            if (c == quote && (!triple || (j + 2 < text.Length && text[j + 1] == quote && text[j + 2] == quote)))
            {
                return j + (triple ? 3 : 1);
            }
            if (c == '\n' && !triple)
            {
                break;
            }
            j++;
        }
        var line = text.AsSpan(0, i).Count('\n') + 1;
        throw new ExpException(
            ExitCode.InvalidProject,
            string.Create(CultureInfo.InvariantCulture, $"{displayPath}:{line}: invalid Python: a string is not closed")
        );
    }

    // ---- literals ---------------------------------------------------------------------------------

    /// <summary>Reads one Python literal (as <c>ast.literal_eval</c> takes it) from a range of the text.</summary>
    private sealed class LiteralReader(string text, int pos, int end)
    {
        public bool AtEnd()
        {
            Skip(newlines: false);
            return pos >= end || text[pos] == ';';
        }

        public Literal? TryRead()
        {
            Skip(newlines: false);
            return Read(newlines: false);
        }

        private Literal? Read(bool newlines)
        {
            Skip(newlines);
            if (pos >= end)
            {
                return null;
            }
            var start = pos;
            var c = text[pos];
            if (c is '[' or '(' or '{')
            {
                return Container(start, c);
            }
            if (c is '-' or '+')
            {
                pos++;
                Skip(newlines);
                var number = Number();
                if (number is null)
                {
                    return null;
                }
                var negated = c == '-' ? Negate(number) : number;
                return negated is null ? null : new Literal(negated, start, pos, null, null);
            }
            if (Number() is { } n)
            {
                return new Literal(n, start, pos, null, null);
            }
            if (StringPart(out var s))
            {
                var sb = new StringBuilder(s);
                var after = pos;
                Skip(newlines);
                while (pos < end && StringPart(out var more))
                {
                    sb.Append(more);
                    after = pos;
                    Skip(newlines);
                }
                pos = after;
                return new Literal(JsonValue.Create(sb.ToString()), start, pos, null, null);
            }
            var word = WordRegex().Match(text, pos, end - pos);
            if (word.Success && word.Index == pos && word.Value is "True" or "False" or "None")
            {
                pos += word.Length;
                return new Literal(word.Value == "None" ? null : JsonValue.Create(word.Value == "True"), start, pos, null, null);
            }
            return null;
        }

        private Literal? Container(int start, char open)
        {
            pos++;
            var close = open switch
            {
                '[' => ']',
                '(' => ')',
                _ => '}',
            };
            var items = new List<Literal>();
            var keys = new List<string>();
            bool? dict = open == '{' ? null : false;
            var trailingComma = false;
            while (true)
            {
                Skip(newlines: true);
                if (pos >= end)
                {
                    return null;
                }
                if (text[pos] == close)
                {
                    pos++;
                    break;
                }
                var item = Read(newlines: true);
                if (item is null)
                {
                    return null;
                }
                Skip(newlines: true);
                if (dict is null)
                {
                    dict = pos < end && text[pos] == ':';
                }
                if (dict == true)
                {
                    if (pos >= end || text[pos] != ':')
                    {
                        return null;
                    }
                    pos++;
                    var value = Read(newlines: true);
                    if (value is null)
                    {
                        return null;
                    }
                    keys.Add(
                        item.Value is JsonValue k && k.TryGetValue(out string? ks) ? ks : item.Value?.ToJsonString() ?? "None"
                    );
                    items.Add(value);
                    Skip(newlines: true);
                }
                else
                {
                    items.Add(item);
                }
                trailingComma = false;
                if (pos < end && text[pos] == ',')
                {
                    pos++;
                    trailingComma = true;
                    continue;
                }
                Skip(newlines: true);
                if (pos < end && text[pos] == close)
                {
                    pos++;
                    break;
                }
                return null;
            }
            if (open == '(' && items.Count == 1 && !trailingComma)
            {
                // (x) is x, not a tuple.
                return items[0] with { Start = start, End = pos };
            }
            if (dict == true || (open == '{' && items.Count == 0))
            {
                var obj = new JsonObject();
                var byKey = new Dictionary<string, Literal>(StringComparer.Ordinal);
                for (var i = 0; i < items.Count; i++)
                {
                    obj[keys[i]] = items[i].Value?.DeepClone();
                    byKey[keys[i]] = items[i];
                }
                return new Literal(obj, start, pos, byKey, null);
            }
            return new Literal(new JsonArray(items.Select(x => x.Value?.DeepClone()).ToArray()), start, pos, null, items);
        }

        private JsonNode? Number()
        {
            var m = NumberRegex().Match(text, pos, end - pos);
            if (!m.Success || m.Index != pos)
            {
                return null;
            }
            var after = pos + m.Length;
            if (after < end && (char.IsLetterOrDigit(text[after]) || text[after] == '_'))
            {
                return null; // 1j (complex), 1abc
            }
            pos = after;
            var raw = m.Value.Replace("_", "", StringComparison.Ordinal);
            if (raw.Length > 1 && raw[0] == '0' && char.IsLetter(raw[1]))
            {
                var radix = char.ToLowerInvariant(raw[1]) switch
                {
                    'x' => 16,
                    'o' => 8,
                    _ => 2,
                };
                try
                {
                    return JsonValue.Create(Convert.ToInt64(raw[2..], radix));
                }
                catch (Exception e) when (e is OverflowException or FormatException or ArgumentException)
                {
                    return null; // beyond a long, or only underscores: not read
                }
            }
            if (!raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase))
            {
                return JsonNode.Parse(raw.TrimStart('0') is { Length: > 0 } digits ? digits : "0"); // an int of any size
            }
            // A float is a double, as YAML's and TOML's are; one beyond a double's range keeps its text (decision 20).
            var d = double.Parse(raw, CultureInfo.InvariantCulture);
            return double.IsFinite(d) && (d != 0 || !raw.Any(c => c is >= '1' and <= '9'))
                ? JsonValue.Create(d)
                : JsonNode.Parse((raw.StartsWith('.') ? "0" : "") + (raw.EndsWith('.') ? raw + "0" : raw));
        }

        private static JsonNode? Negate(JsonNode number)
        {
            var t = number.ToJsonString();
            return t.StartsWith('-') ? JsonNode.Parse(t[1..]) : JsonNode.Parse("-" + t);
        }

        private bool StringPart(out string value)
        {
            value = "";
            var m = StringStartRegex().Match(text, pos, end - pos);
            if (!m.Success || m.Index != pos)
            {
                return false;
            }
            var prefix = m.Groups[1].Value.ToLowerInvariant();
            if (prefix.Contains('f', StringComparison.Ordinal) || prefix.Contains('b', StringComparison.Ordinal))
            {
                return false; // f-strings are not literals; bytes are not params
            }
            var quoteAt = pos + prefix.Length;
            var after = SkipString(text, quoteAt, "");
            if (after > end)
            {
                return false;
            }
            var quote = text[quoteAt];
            var triple = after - quoteAt >= 6 && text[quoteAt + 1] == quote && text[quoteAt + 2] == quote;
            var q = triple ? 3 : 1;
            var body = text[(quoteAt + q)..(after - q)];
            try
            {
                value = prefix.Contains('r', StringComparison.Ordinal) ? body : Unescape(body);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                return false; // a bad escape: not a literal
            }
            pos = after;
            return true;
        }

        private static string Unescape(string s)
        {
            var sb = new StringBuilder(s.Length);
            for (var i = 0; i < s.Length; i++)
            {
                if (s[i] != '\\' || i + 1 >= s.Length)
                {
                    sb.Append(s[i]);
                    continue;
                }
                var c = s[++i];
                switch (c)
                {
                    case 'n':
                        sb.Append('\n');
                        break;
                    case 't':
                        sb.Append('\t');
                        break;
                    case 'r':
                        sb.Append('\r');
                        break;
                    case '0':
                        sb.Append('\0');
                        break;
                    case '\\' or '\'' or '"':
                        sb.Append(c);
                        break;
                    case '\n':
                        break;
                    case 'x' when i + 2 < s.Length:
                        sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 2), 16));
                        i += 2;
                        break;
                    case 'u' when i + 4 < s.Length:
                        sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16));
                        i += 4;
                        break;
                    case 'U' when i + 8 < s.Length:
                        sb.Append(char.ConvertFromUtf32(Convert.ToInt32(s.Substring(i + 1, 8), 16)));
                        i += 8;
                        break;
                    default:
                        sb.Append('\\').Append(c);
                        break;
                }
            }
            return sb.ToString();
        }

        private void Skip(bool newlines)
        {
            while (pos < end)
            {
                var c = text[pos];
                if (c is ' ' or '\t' || (newlines && c is '\n' or '\r'))
                {
                    pos++;
                }
                else if (c == '\\' && pos + 1 < end && text[pos + 1] is '\n' or '\r')
                {
                    pos = AfterNewline(text, pos);
                }
                else if (c == '#')
                {
                    while (pos < end && text[pos] != '\n')
                    {
                        pos++;
                    }
                    if (!newlines)
                    {
                        return;
                    }
                }
                else
                {
                    return;
                }
            }
        }
    }

    /// <summary>The index after the line end at or after <paramref name="i"/> (the text's end when there is none).</summary>
    private static int AfterNewline(string text, int i) => text.IndexOf('\n', i) is var n and >= 0 ? n + 1 : text.Length;

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierRegex();

    [GeneratedRegex(@"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\))?\s*:")]
    private static partial Regex ClassRegex();

    [GeneratedRegex(@"^def\s+__init__\s*\(")]
    private static partial Regex InitRegex();

    [GeneratedRegex(@"\G[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"\G([rRuUbBfF]{0,2})['""]")]
    private static partial Regex StringStartRegex();

    [GeneratedRegex(
        @"\G(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?)"
    )]
    private static partial Regex NumberRegex();
}
