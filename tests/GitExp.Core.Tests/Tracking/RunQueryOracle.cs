using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Experiments;
using GitExp.Core.Tracking;

namespace GitExp.Core.Tests.Tracking;

/// <summary>
/// The reference semantics of <see cref="RunQuery"/>, evaluated in memory over fully loaded runs: the filter
/// matcher <c>runs list</c> used before filters ran in SQL (kept as it was, but for the one rule written down
/// since: a bare key several files hold means the first of them in key order), the search, and the sort.
/// The store's SQL must select and order exactly as this does.
/// </summary>
internal static class RunQueryOracle
{
    /// <summary>The runs the query selects, in its order, from every run of the store (deleted ones included).</summary>
    public static List<RunRecord> Select(IEnumerable<RunRecord> all, RunQuery query)
    {
        var runs = all.Where(r => !r.Deleted && r.Archived == query.Archived)
            .Where(r => query.Group is null || r.Group == query.Group)
            .Where(r => query.Filter is null || Matches(query.Filter.Root, r))
            .Where(r => string.IsNullOrEmpty(query.Search) || MatchesText(r, query.Search))
            // The list order, which ties keep.
            .OrderByDescending(r => r.Created)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        runs = Sort(runs, query.Sort);
        return query.BookmarkedFirst ? runs.OrderBy(r => r.Bookmarked ? 0 : 1).ToList() : runs;
    }

    public static bool Matches(FilterNode node, RunRecord run) =>
        node switch
        {
            FilterAnd and => Matches(and.Left, run) && Matches(and.Right, run),
            FilterOr or => Matches(or.Left, run) || Matches(or.Right, run),
            FilterNot not => !Matches(not.Inner, run),
            FilterComparison c => Compare(Read(c, run), c.Op, c.Value),
            _ => throw new InvalidOperationException(),
        };

    private static bool MatchesText(RunRecord run, string text) =>
        new[] { run.ExperimentName, run.Title, run.Notes, run.Commit, run.Id }.Any(v =>
            v?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        );

    private static object? Read(FilterComparison c, RunRecord run) =>
        c.Field switch
        {
            FilterField.Metric => Lookup(run.Metrics.ToDictionary(m => m.Key, m => m.Value.Last), c.Key!),
            FilterField.Param => Lookup(run.Params, c.Key!),
            FilterField.Status => run.Status.ToString(),
            FilterField.Name => run.ExperimentName,
            FilterField.Title => run.Title,
            FilterField.Notes => run.Notes,
            FilterField.Tag => run.Tags,
            FilterField.Group => run.Group,
            FilterField.Branch => run.Branch,
            FilterField.Kind => run.Kind,
            FilterField.User => run.GitUser,
            FilterField.Commit => run.Commit,
            FilterField.Baseline => run.Baseline,
            FilterField.Id => run.Id,
            FilterField.Bookmarked => run.Bookmarked ? "true" : "false",
            FilterField.Archived => run.Archived ? "true" : "false",
            _ => throw new InvalidOperationException(),
        };

    /// <summary>The exact key, else the first key (in ordinal order) ending in <c>:key</c>.</summary>
    private static JsonNode? Lookup(IReadOnlyDictionary<string, JsonNode?> values, string key)
    {
        if (values.TryGetValue(key, out var exact))
        {
            return exact;
        }

        var match = values
            .Where(v => v.Key.EndsWith(":" + key, StringComparison.Ordinal))
            .OrderBy(v => v.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        return match.Key is null ? null : match.Value;
    }

    private static bool Compare(object? actual, string op, string expected)
    {
        switch (actual)
        {
            case null:
                return false;
            case IEnumerable<string> many when actual is not string:
                return op == "!=" ? many.All(v => Compare(v, op, expected)) : many.Any(v => Compare(v, op, expected));
            case JsonNode node:
                if (ValueComparer.AsNumber(node) is { } number)
                {
                    return CompareNumbers(number, op, expected) ?? CompareText(node.ToJsonString(), op, expected);
                }

                return CompareText(
                    node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString(),
                    op,
                    expected
                );
            default:
                var text = actual.ToString() ?? "";
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                    ? CompareNumbers(parsed, op, expected) ?? CompareText(text, op, expected)
                    : CompareText(text, op, expected);
        }
    }

    private static bool? CompareNumbers(double actual, string op, string expected)
    {
        if (!double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        return op switch
        {
            "=" => actual == value,
            "!=" => actual != value,
            "<" => actual < value,
            "<=" => actual <= value,
            ">" => actual > value,
            ">=" => actual >= value,
            _ => null,
        };
    }

    private static bool CompareText(string actual, string op, string expected)
    {
        var order = string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase);
        return op switch
        {
            "=" => order == 0,
            "!=" => order != 0,
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            ">=" => order >= 0,
            _ => actual.Contains(expected, StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>Stable: ties keep the order given. Runs without the value last, in either direction.</summary>
    private static List<RunRecord> Sort(List<RunRecord> runs, RunSort sort)
    {
        if (sort.Field == RunSortField.Created)
        {
            return sort.Descending ? runs : runs.OrderBy(r => r.Created).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        }

        Func<RunRecord, JsonNode?> read = sort.Field switch
        {
            RunSortField.Name => r => JsonValue.Create(r.ExperimentName),
            RunSortField.Title => r => JsonValue.Create(r.Title),
            RunSortField.Id => r => JsonValue.Create(r.Id),
            RunSortField.Status => r => JsonValue.Create(r.Status.ToString()),
            RunSortField.Duration => r => r.Duration is { } d ? JsonValue.Create(d.TotalSeconds) : null,
            RunSortField.Group => r => JsonValue.Create(r.Group),
            RunSortField.Commit => r => JsonValue.Create(r.Commit),
            RunSortField.Tags => r =>
                r.Tags.Count == 0 ? null : JsonValue.Create(string.Join(", ", r.Tags.Order(StringComparer.Ordinal))),
            RunSortField.Metric => r => Lookup(r.Metrics.ToDictionary(m => m.Key, m => m.Value.Last), sort.Key!),
            _ => r => Lookup(r.Params, sort.Key!),
        };
        // Run fields sort as their text; param and metric values as ValueComparer orders them (numbers, then JSON text).
        IComparer<JsonNode?> comparer = sort.Field is RunSortField.Metric or RunSortField.Param or RunSortField.Duration
            ? ValueComparer.Instance
            : Comparer<JsonNode?>.Create((x, y) => string.CompareOrdinal(x!.GetValue<string>(), y!.GetValue<string>()));
        var withValue = runs.Where(r => read(r) is not null);
        var ordered = sort.Descending ? withValue.OrderByDescending(read, comparer) : withValue.OrderBy(read, comparer);
        return ordered.Concat(runs.Where(r => read(r) is null)).ToList();
    }
}
