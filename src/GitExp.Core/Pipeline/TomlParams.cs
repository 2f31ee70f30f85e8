using System.Globalization;
using System.Text.Json.Nodes;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace GitExp.Core.Pipeline;

/// <summary>TOML params files: read into JSON nodes, and edited in place on Tomlyn's syntax tree positions.</summary>
internal static class TomlParams
{
    public static JsonNode? Parse(string text, string displayPath)
    {
        if (text.Trim().Length == 0)
        {
            return null;
        }
        var doc = ParseSyntax(text, displayPath);
        var root = new JsonObject();
        foreach (var kv in doc.KeyValues)
        {
            Put(root, KeyNames(kv.Key!), ToJson(kv.Value!, displayPath));
        }
        foreach (var table in doc.Tables)
        {
            var names = KeyNames(table.Name!);
            JsonObject target;
            if (table is TableArraySyntax)
            {
                var parent = Walk(root, names.Take(names.Count - 1));
                var arr = parent[names[^1]] as JsonArray ?? new JsonArray();
                parent[names[^1]] = arr;
                target = new JsonObject();
                arr.Add(target);
            }
            else
            {
                target = Walk(root, names);
            }
            foreach (var kv in table.Items)
            {
                Put(target, KeyNames(kv.Key!), ToJson(kv.Value!, displayPath));
            }
        }
        return root;
    }

    /// <summary>Sets one value: the old value's text is replaced, or a new line goes under the deepest existing table.</summary>
    public static string Set(string text, string displayPath, ParamAssignment a, List<KeySegment> path)
    {
        var index = path.FindIndex(s => s.Name is null);
        if (index >= 0)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{displayPath}: cannot set '{a.Key}': list items in TOML files cannot be set with -S; set the whole list"
            );
        }
        var names = path.Select(s => s.Name!).ToList();
        var value = ParamsFile.NumberAsTyped(a) ?? ValueText(a.ParseValue(), displayPath, a.Key);
        var doc = ParseSyntax(text, displayPath);
        if (doc.Tables.Any(t => StartsWith(KeyNames(t.Name!), names)))
        {
            // A table (with its sub-tables) replaced by a value: the table goes, and the value is a new key.
            return Set(Delete(text, displayPath, a.Key, path), displayPath, a, path);
        }

        var blocks = new List<(List<string> Prefix, SyntaxList<KeyValueSyntax> Items, TableSyntaxBase? Table)>
        {
            ([], doc.KeyValues, null),
        };
        blocks.AddRange(doc.Tables.Select(t => (KeyNames(t.Name!), t.Items, (TableSyntaxBase?)t)));

        foreach (var (prefix, items, table) in blocks)
        {
            if (table is TableArraySyntax)
            {
                continue;
            }
            if (Find(items, prefix, names) is { } found)
            {
                return Splice(text, found.Span.Start.Offset, found.Span.End.Offset + 1, value);
            }
        }

        // A new key: under the table that holds the longest part of its path.
        var best = blocks
            .Where(b =>
                b.Table is not TableArraySyntax
                && b.Prefix.Count < names.Count
                && b.Prefix.SequenceEqual(names.Take(b.Prefix.Count))
            )
            .OrderByDescending(b => b.Prefix.Count)
            .First();
        var newLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var line = string.Join('.', names.Skip(best.Prefix.Count).Select(KeyText)) + " = " + value;
        SyntaxNode? after = best.Items.ChildrenCount > 0 ? best.Items.GetChild(best.Items.ChildrenCount - 1) : best.Table;
        if (after is null)
        {
            // The top level has no values yet: the line goes before the first table.
            var at = doc.Tables.ChildrenCount > 0 ? doc.Tables.GetChild(0)!.Span.Start.Offset : text.Length;
            var prefixText = at == text.Length && text.Length > 0 && !text.EndsWith('\n') ? newLine : "";
            return Splice(text, at, at, prefixText + line + newLine);
        }
        var end = LineEnd(text, HeaderOrValueEnd(after));
        return end < 0 ? text + newLine + line + newLine : Splice(text, end, end, newLine + line);
    }

    /// <summary>Deletes a key's line, or a table with its sub-tables; a key inside an inline table or a list is refused.</summary>
    public static string Delete(string text, string displayPath, string key, List<KeySegment> path)
    {
        if (path.Any(s => s.Name is null))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{displayPath}: cannot delete '{key}': list items in TOML files cannot be deleted with -S; set the whole list"
            );
        }

        var names = path.Select(s => s.Name!).ToList();
        var doc = ParseSyntax(text, displayPath);
        var ranges = new List<(int Start, int End)>();
        var tables = doc.Tables.ToList();
        for (var t = 0; t < tables.Count; t++)
        {
            var table = tables[t];
            var tableNames = KeyNames(table.Name!);
            if (StartsWith(tableNames, names))
            {
                var end = t + 1 < tables.Count ? LineStart(text, tables[t + 1].Span.Start.Offset) : text.Length;
                ranges.Add((LineStart(text, table.Span.Start.Offset), end));
            }
        }

        var blocks = new List<(List<string> Prefix, SyntaxList<KeyValueSyntax> Items)> { ([], doc.KeyValues) };
        blocks.AddRange(tables.Where(t => t is not TableArraySyntax).Select(t => (KeyNames(t.Name!), t.Items)));
        foreach (var (prefix, items) in blocks)
        {
            foreach (var kv in items)
            {
                if (StartsWith(prefix.Concat(KeyNames(kv.Key!)).ToList(), names))
                {
                    var end = LineEnd(text, kv.Value!.Span.End.Offset);
                    ranges.Add(
                        (LineStart(text, kv.Span.Start.Offset), end < 0 ? text.Length : end + (text[end] == '\r' ? 2 : 1))
                    );
                }
            }
        }

        if (ranges.Count == 0)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{displayPath}: cannot delete '{key}' in place: it is inside an inline table or a list; set the whole value instead"
            );
        }

        // A key's line inside a table that goes too is one range with it.
        var merged = new List<(int Start, int End)>();
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && r.Start < merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, r.End));
            }
            else
            {
                merged.Add(r);
            }
        }

        for (var i = merged.Count - 1; i >= 0; i--)
        {
            text = Splice(text, merged[i].Start, Math.Min(merged[i].End, text.Length), "");
        }

        return text;
    }

    private static bool StartsWith(List<string> names, List<string> prefix) =>
        names.Count >= prefix.Count && names.Take(prefix.Count).SequenceEqual(prefix);

    private static int LineStart(string text, int offset) => offset == 0 ? 0 : text.LastIndexOf('\n', offset - 1) + 1;

    private static int HeaderOrValueEnd(SyntaxNode node) =>
        node is TableSyntaxBase t ? t.CloseBracket!.Span.End.Offset : ((KeyValueSyntax)node).Value!.Span.End.Offset;

    private static int LineEnd(string text, int offset)
    {
        var end = text.IndexOf('\n', offset);
        return end > 0 && text[end - 1] == '\r' ? end - 1 : end;
    }

    private static ValueSyntax? Find(SyntaxList<KeyValueSyntax> items, List<string> prefix, List<string> names)
    {
        foreach (var kv in items)
        {
            var full = prefix.Concat(KeyNames(kv.Key!)).ToList();
            if (full.SequenceEqual(names))
            {
                return kv.Value;
            }
            if (kv.Value is InlineTableSyntax inline && full.Count < names.Count && full.SequenceEqual(names.Take(full.Count)))
            {
                var found = FindInline(inline, full, names);
                if (found is not null)
                {
                    return found;
                }
            }
        }
        return null;
    }

    private static ValueSyntax? FindInline(InlineTableSyntax inline, List<string> prefix, List<string> names)
    {
        foreach (var item in inline.Items)
        {
            if (item.KeyValue is not { } kv)
            {
                continue;
            }
            var full = prefix.Concat(KeyNames(kv.Key!)).ToList();
            if (full.SequenceEqual(names))
            {
                return kv.Value;
            }
            if (kv.Value is InlineTableSyntax nested && full.Count < names.Count && full.SequenceEqual(names.Take(full.Count)))
            {
                return FindInline(nested, full, names);
            }
        }
        return null;
    }

    private static DocumentSyntax ParseSyntax(string text, string displayPath)
    {
        var doc = SyntaxParser.Parse(text, displayPath);
        if (doc.HasErrors)
        {
            var error = doc.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            var where = string.Create(
                CultureInfo.InvariantCulture,
                $"{displayPath}:{error.Span.Start.Line + 1}:{error.Span.Start.Column + 1}"
            );
            throw new ExpException(ExitCode.InvalidProject, $"{where}: invalid TOML: {error.Message}");
        }
        return doc;
    }

    private static List<string> KeyNames(KeySyntax key)
    {
        var names = new List<string> { Name(key.Key) };
        names.AddRange(key.DotKeys.Select(d => Name(d.Key)));
        return names;

        static string Name(SyntaxNode? node) =>
            node switch
            {
                BareKeySyntax bare => bare.Key!.Text!,
                StringValueSyntax s => s.Value!,
                _ => node?.ToString() ?? "",
            };
    }

    private static JsonObject Walk(JsonObject root, IEnumerable<string> names)
    {
        var node = root;
        foreach (var name in names)
        {
            node = node[name] switch
            {
                JsonObject o => o,
                JsonArray { Count: > 0 } a when a[^1] is JsonObject last => last,
                _ => (JsonObject)(node[name] = new JsonObject()),
            };
        }
        return node;
    }

    private static void Put(JsonObject table, List<string> names, JsonNode? value) =>
        Walk(table, names.Take(names.Count - 1))[names[^1]] = value;

    private static JsonNode? ToJson(ValueSyntax value, string displayPath) =>
        value switch
        {
            StringValueSyntax s => JsonValue.Create(s.Value),
            IntegerValueSyntax i => JsonValue.Create(i.Value),
            FloatValueSyntax f when double.IsFinite(f.Value) => JsonValue.Create(f.Value),
            FloatValueSyntax f => JsonValue.Create(f.Token?.Text),
            BooleanValueSyntax b => JsonValue.Create(b.Value),
            DateTimeValueSyntax d => JsonValue.Create(d.Token?.Text),
            ArraySyntax arr => new JsonArray(arr.Items.Select(item => ToJson(item.Value!, displayPath)).ToArray()),
            InlineTableSyntax inline => InlineToJson(inline, displayPath),
            _ => JsonValue.Create(value.ToString().Trim()),
        };

    private static JsonObject InlineToJson(InlineTableSyntax inline, string displayPath)
    {
        var obj = new JsonObject();
        foreach (var item in inline.Items)
        {
            if (item.KeyValue is { } kv)
            {
                Put(obj, KeyNames(kv.Key!), ToJson(kv.Value!, displayPath));
            }
        }
        return obj;
    }

    /// <summary>A value as TOML text; TOML has no null, so a null value is refused.</summary>
    private static string ValueText(JsonNode? node, string displayPath, string key) =>
        node switch
        {
            null => throw new ExpException(ExitCode.Usage, $"{displayPath}: cannot set '{key}' to null: TOML has no null value"),
            JsonArray arr => "[" + string.Join(", ", arr.Select(n => ValueText(n, displayPath, key))) + "]",
            JsonObject obj => "{ "
                + string.Join(", ", obj.Select(p => KeyText(p.Key) + " = " + ValueText(p.Value, displayPath, key)))
                + " }",
            JsonValue v when v.TryGetValue(out string? s) => ParamAssignment.QuoteString(s),
            _ => node.ToJsonString(),
        };

    private static string KeyText(string name) => BareKeySyntax.IsBareKey(name) ? name : ParamAssignment.QuoteString(name);

    private static string Splice(string text, int start, int end, string replacement) =>
        string.Concat(text.AsSpan(0, start), replacement, text.AsSpan(end));
}
