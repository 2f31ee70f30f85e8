using System.Globalization;

namespace GitExp.Core.Pipeline.Templating;

/// <summary>
/// The values <c>${...}</c> can name (DVC's parsing Context): params files and vars merged into one tree,
/// which files were imported and how, the names foreach and matrix reserve, and which params a stage used.
/// </summary>
internal sealed class TemplateContext
{
    private readonly List<string> _reserved = [];

    public TemplateContext() => Root = new TemplateMap(ValueOrigin.Literal);

    private TemplateContext(TemplateMap root, Dictionary<string, List<string>?> imports, List<string> reserved)
    {
        Root = root;
        Imports = imports;
        _reserved = reserved;
    }

    public TemplateMap Root { get; }

    /// <summary>Each imported file: null when imported whole, else the top-level keys imported from it.</summary>
    public Dictionary<string, List<string>?> Imports { get; } = new(StringComparer.Ordinal);

    /// <summary>While a stage's fields resolve: the params-file values they used (DVC's tracked vars).</summary>
    public List<ValueOrigin>? Used { get; set; }

    public TemplateContext Clone() =>
        new(
            (TemplateMap)Root.Clone(),
            Imports.ToDictionary(i => i.Key, i => i.Value?.ToList(), StringComparer.Ordinal),
            [.. _reserved]
        );

    /// <summary>The value a dotted reference names ("a.0.b"), or null when there is none.</summary>
    public TemplateValue? Select(string dotted)
    {
        TemplateValue node = Root;
        foreach (var raw in dotted.Replace('[', '.').Replace("]", "", StringComparison.Ordinal).Split('.'))
        {
            var part = raw.Trim();
            switch (node)
            {
                case TemplateMap map when map.Entries.TryGetValue(part, out var child):
                    node = child;
                    break;
                case TemplateList list
                    when long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
                        && (index < 0 ? index + list.Items.Count : index) is var at
                        && at >= 0
                        && at < list.Items.Count:
                    node = list.Items[(int)at];
                    break;
                default:
                    return null;
            }
        }

        // DVC tracks scalars and whole lists from params files; a map can merge several files, so it is not tracked.
        if (Used is not null && node is not TemplateMap && !node.Origin.Local && node.Origin.Source is not null)
        {
            Used.Add(node.Origin);
        }

        return node;
    }

    /// <summary>Merges a map into the context: maps merge key by key; any other value must not be there yet.</summary>
    public void MergeUpdate(TemplateMap other, string? from)
    {
        var reserved = _reserved.Where(other.Entries.ContainsKey).ToList();
        if (reserved.Count > 0)
        {
            throw new TemplateException(
                $"cannot set {Join(reserved)}: {(reserved.Count > 1 ? "they are" : "it is")} reserved for 'foreach' and 'matrix'"
                    + (from is null ? "" : $" (in '{from}')")
            );
        }

        Merge(Root, other);

        static void Merge(TemplateMap into, TemplateMap update)
        {
            foreach (var (key, value) in update.Entries)
            {
                if (into.Entries.TryGetValue(key, out var existing))
                {
                    if (existing is TemplateMap a && value is TemplateMap b)
                    {
                        Merge(a, b);
                        continue;
                    }

                    throw new TemplateException(
                        $"cannot redefine '{value.Origin.DottedPath}' from '{value.Origin.Source ?? "<local>"}' as it already exists in '{existing.Origin.Source ?? "<local>"}'"
                    );
                }

                into.Entries[key] = value;
            }
        }
    }

    /// <summary>
    /// Imports a vars item naming a file: <c>file</c> or <c>file:key1,key2</c> (top-level keys), relative to
    /// <paramref name="wdir"/>. A file imported whole is not imported again.
    /// </summary>
    public void MergeFrom(string item, string wdir, Func<string, TemplateMap> load)
    {
        var colon = item.IndexOf(':', StringComparison.Ordinal);
        var relative = colon < 0 ? item : item[..colon];
        var keysText = colon < 0 ? "" : item[(colon + 1)..];
        var path = RepoPath.Combine(wdir, relative) is { Length: > 0 } p
            ? p
            : throw new TemplateException($"'{item}' must be a file inside the repository");
        var keys = keysText.Length > 0 ? keysText.Split(',').Where(k => k.Length > 0).ToList() : null;
        if (Imports.TryGetValue(path, out var imported))
        {
            if (keys is null && imported is null)
            {
                return;
            }

            if (keys is null && imported is not null)
            {
                throw new TemplateException($"cannot load '{item}' as it's partially loaded already");
            }

            if (keys is not null && imported is null)
            {
                throw new TemplateException($"cannot partially load '{item}' as it's already loaded.");
            }

            if (imported is not null && keys!.Intersect(imported).Any())
            {
                throw new TemplateException($"cannot load '{item}' as it's partially loaded already");
            }
        }

        var data = load(path);
        if (keys is { Count: > 0 })
        {
            var selected = new TemplateMap(data.Origin);
            foreach (var key in keys)
            {
                selected.Entries[key] = data.Entries.TryGetValue(key, out var value)
                    ? value
                    : throw new TemplateException($"could not find '{key}' in '{path}'");
            }

            data = selected;
        }

        MergeUpdate(data, item);
        if (!Imports.TryGetValue(path, out var existing))
        {
            Imports[path] = keys;
        }
        else if (keys is not null)
        {
            existing!.AddRange(keys);
        }
    }

    /// <summary>Sets top-level names (foreach's item and key) until disposed, reserving them against vars.</summary>
    public IDisposable SetTemporarily(IReadOnlyList<(string Name, TemplateValue Value)> values)
    {
        var added = values.Select(v => v.Name).Where(n => !_reserved.Contains(n)).ToList();
        _reserved.AddRange(added);
        var previous = new List<(string, TemplateValue?)>();
        foreach (var (name, value) in values)
        {
            previous.Add((name, Root.Entries.TryGetValue(name, out var old) ? old : null));
            Root.Entries[name] = value;
        }

        return new Restore(this, previous, added);
    }

    private sealed class Restore(TemplateContext context, List<(string, TemplateValue?)> previous, List<string> added)
        : IDisposable
    {
        public void Dispose()
        {
            foreach (var (name, old) in previous)
            {
                if (old is null)
                {
                    context.Root.Entries.Remove(name);
                }
                else
                {
                    context.Root.Entries[name] = old;
                }
            }

            foreach (var name in added)
            {
                context._reserved.Remove(name);
            }
        }
    }

    private static string Join(List<string> names) =>
        names.Count == 1
            ? $"'{names[0]}'"
            : string.Join(", ", names.Take(names.Count - 1).Select(n => $"'{n}'")) + $" and '{names[^1]}'";
}
