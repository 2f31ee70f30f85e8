using System.Globalization;
using GitExp.Core.Experiments;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>
/// A <see cref="RunQuery"/> as SQL over the <c>runs</c> table: its WHERE clause (the filter, search, group and
/// archived state), the joins its sort needs, and its ORDER BY, with their parameters.
/// </summary>
/// <remarks>
/// The comparisons keep the filter's semantics exactly (see <c>RunQueryOracle</c> in the tests, checked against
/// generated stores and filters):
/// <list type="bullet">
/// <item>A param or metric value is its stored JSON text. A JSON number compares as a number when the filter's
/// value is a number (the <c>num</c> column: the value parsed by .NET when it was saved, as
/// <see cref="ValueComparer.AsNumber"/> parses it), and as its JSON text otherwise; a JSON string compares as its
/// text; anything else as its JSON text.</item>
/// <item>Run fields compare as text, or as numbers when both the field and the value parse as numbers
/// (<c>exp_compare</c>, .NET's parsing).</item>
/// <item>Text compares with <see cref="StringComparison.OrdinalIgnoreCase"/>. For a value that is all ASCII,
/// <c>=</c>, <c>!=</c> and <c>~</c> are SQLite's own <c>NOCASE</c> and <c>LIKE</c>, which fold ASCII only: that is
/// exact, because no other character folds to an ASCII one under OrdinalIgnoreCase (a test checks every
/// character). Otherwise, and for order comparisons, .NET compares (collation <c>EXP_NOCASE</c>,
/// <c>exp_contains</c>).</item>
/// <item>A bare key (<c>lr</c>) is resolved against the keys in the store: the run's exact key if it has one,
/// else the first key, in key order, ending in <c>:lr</c>. A missing key, like a JSON null, never matches.</item>
/// </list>
/// Every condition is 0 or 1, never NULL, so <c>not</c> of a missing field is true, as it always was. The .NET
/// functions are bound to a connection only when a query uses them (<see cref="Register"/>).
/// </remarks>
internal sealed class RunQuerySql
{
    private readonly Func<string, IReadOnlyList<string>> _keysOf;
    private readonly Dictionary<string, IReadOnlyList<string>> _keys = new(StringComparer.Ordinal);
    private readonly List<(string Name, object? Value)> _parameters = [];

    /// <summary>The metric and param keys of the filter that no run has (<c>a metric 'acc'</c>), in the order written.</summary>
    private readonly List<string> _unknown = [];

    /// <param name="query">The query.</param>
    /// <param name="keysOf">The distinct keys of a child table (<c>params</c> or <c>metrics</c>), in key order.</param>
    public RunQuerySql(RunQuery query, Func<string, IReadOnlyList<string>> keysOf)
    {
        _keysOf = keysOf;
        var conditions = query.Deleted
            ? new List<string> { "runs.deleted = 1" }
            : new List<string> { "runs.deleted = 0", $"runs.archived = {Parameter(query.Archived ? 1 : 0)}" };
        if (query.Group is not null)
        {
            conditions.Add($"runs.grp = {Parameter(query.Group)}");
        }

        if (query.Filter is not null)
        {
            conditions.Add(Condition(query.Filter.Root));
            Selective = true;
            if (_unknown.Count > 0)
            {
                throw new ExpException(
                    ExitCode.Usage,
                    $"{query.Filter.Flag} '{query.Filter.Text}': no run has {string.Join(" or ", _unknown)}"
                );
            }
        }

        if (!string.IsNullOrEmpty(query.Search))
        {
            conditions.Add(
                "("
                    + string.Join(
                        " OR ",
                        new[] { "exp_name", "title", "notes", "commit_sha", "id" }.Select(c =>
                            Contains($"runs.{c}", query.Search)
                        )
                    )
                    + ")"
            );
            Selective = true;
        }

        Where = "WHERE " + string.Join(" AND ", conditions);
        (Joins, var order) = Sort(query.Sort);
        OrderBy = "ORDER BY " + (query.BookmarkedFirst ? "runs.bookmarked DESC, " : "") + order;
    }

    /// <summary>The WHERE clause, columns qualified with <c>runs.</c>.</summary>
    public string Where { get; }

    /// <summary>LEFT JOINs the ORDER BY reads from (empty for most sorts).</summary>
    public string Joins { get; }

    public string OrderBy { get; }

    /// <summary>Whether a filter or a search narrows the runs (beyond the archived state and group, which indexes serve).</summary>
    public bool Selective { get; }

    public (string Name, object? Value)[] Parameters => _parameters.ToArray();

    /// <summary>
    /// Registers on the connection the functions and collation <paramref name="sql"/> uses that
    /// <paramref name="registered"/> (the connection's) lacks: binding each costs start-up time, so commands that
    /// query nothing bind none.
    /// </summary>
    public static void Register(SqliteConnection connection, ISet<string> registered, string sql)
    {
        foreach (var (name, register) in Functions)
        {
            if (sql.Contains(name, StringComparison.Ordinal) && registered.Add(name))
            {
                register(connection);
            }
        }
    }

    private static readonly (string Name, Action<SqliteConnection> Register)[] Functions =
    [
        (
            "EXP_NOCASE",
            c => c.CreateCollation("EXP_NOCASE", (string x, string y) => string.Compare(x, y, StringComparison.OrdinalIgnoreCase))
        ),
        (
            "exp_contains(",
            c =>
                c.CreateFunction(
                    "exp_contains",
                    (string? text, string? part) =>
                        text is not null && part is not null && text.Contains(part, StringComparison.OrdinalIgnoreCase),
                    isDeterministic: true
                )
        ),
        ("exp_number(", c => c.CreateFunction("exp_number", (string? json) => StoredNumber(json), isDeterministic: true)),
        (
            "exp_compare(",
            c =>
                c.CreateFunction(
                    "exp_compare",
                    (string? actual, string op, string expected) => actual is not null && CompareText(actual, op, expected),
                    isDeterministic: true
                )
        ),
        (
            "exp_seconds(",
            c =>
                c.CreateFunction(
                    "exp_seconds",
                    (string? started, string? finished) =>
                        started is null || finished is null
                            ? (double?)null
                            : (RunStore.ParseTime(finished) - RunStore.ParseTime(started)).TotalSeconds,
                    isDeterministic: true
                )
        ),
    ];

    /// <summary>A stored JSON value as a number when it is a JSON number (as <see cref="ValueComparer.AsNumber"/> reads it), else null.</summary>
    internal static double? StoredNumber(string? json) =>
        // Stored values are compact JSON (JsonNode.ToJsonString): a number is a number token alone, which is
        // what AsNumber parses (the node's JSON text), and it starts with a digit or '-'.
        json is { Length: > 0 }
        && (json[0] == '-' || char.IsAsciiDigit(json[0]))
            ? double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    /// <summary>A run field (text) against a filter value: as numbers when both parse as numbers, else as text.</summary>
    internal static bool CompareText(string actual, string op, string expected)
    {
        if (
            op != "~"
            && double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
        )
        {
            return op switch
            {
                "=" => number == value,
                "!=" => number != value,
                "<" => number < value,
                "<=" => number <= value,
                ">" => number > value,
                _ => number >= value,
            };
        }

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

    private string Condition(FilterNode node) =>
        node switch
        {
            FilterAnd and => $"({Condition(and.Left)} AND {Condition(and.Right)})",
            FilterOr or => $"({Condition(or.Left)} OR {Condition(or.Right)})",
            FilterNot not => $"(NOT {Condition(not.Inner)})",
            FilterComparison { Field: FilterField.Metric or FilterField.Param } c => ValueComparison(c),
            FilterComparison { Field: FilterField.Tag } c => c.Op == "!="
                // Every tag differs (so a run without tags matches, as it always did).
                ? $"(NOT EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND NOT {TextComparison("t.tag", c.Op, c.Value)}))"
                : $"EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND {TextComparison("t.tag", c.Op, c.Value)})",
            FilterComparison c => TextComparison(Column(c.Field), c.Op, c.Value),
            _ => throw new InvalidOperationException($"unknown filter node {node}"),
        };

    private static string Column(FilterField field) =>
        field switch
        {
            FilterField.Status => "runs.status",
            FilterField.Name => "runs.exp_name",
            FilterField.Title => "runs.title",
            FilterField.Notes => "runs.notes",
            FilterField.Group => "runs.grp",
            FilterField.Branch => "runs.branch",
            FilterField.Kind => "runs.kind",
            FilterField.User => "runs.git_user",
            FilterField.Commit => "runs.commit_sha",
            FilterField.Baseline => "runs.baseline",
            FilterField.Id => "runs.id",
            FilterField.Bookmarked => "(CASE WHEN runs.bookmarked <> 0 THEN 'true' ELSE 'false' END)",
            FilterField.Archived => "(CASE WHEN runs.archived <> 0 THEN 'true' ELSE 'false' END)",
            _ => throw new InvalidOperationException($"{field} is not a column"),
        };

    /// <summary>A nullable text column against a value; 0 when the column is NULL.</summary>
    private string TextComparison(string column, string op, string expected) =>
        op == "~" ? Contains(column, expected)
        // A number as the value: the field may parse as a number too; .NET decides, as it parses both the same way.
        : IsNumber(expected) ? $"exp_compare({column}, {Parameter(op)}, {Parameter(expected)})"
        : $"COALESCE({TextCondition(column, op, expected)}, 0)";

    private string TextCondition(string text, string op, string expected) => TextCondition(text, op, expected, Parameter);

    private string Contains(string text, string part) => Contains(text, part, Parameter);

    /// <summary>
    /// Text against text, case-insensitively as <see cref="StringComparison.OrdinalIgnoreCase"/>; NULL when the text is.
    /// <paramref name="parameter"/> names a new parameter holding a value.
    /// </summary>
    internal static string TextCondition(string text, string op, string expected, Func<object, string> parameter) =>
        (op is "=" or "!=") && System.Text.Ascii.IsValid(expected)
            ? $"{text} {SqlOperator(op)} {parameter(expected)} COLLATE NOCASE"
            : $"{text} {SqlOperator(op)} {parameter(expected)} COLLATE EXP_NOCASE";

    /// <summary>Whether the text contains the part, case-insensitively as <see cref="StringComparison.OrdinalIgnoreCase"/>; 0 when the text is NULL.</summary>
    internal static string Contains(string text, string part, Func<object, string> parameter)
    {
        if (!System.Text.Ascii.IsValid(part))
        {
            return $"exp_contains({text}, {parameter(part)})";
        }

        var pattern = part.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
        return $"COALESCE({text} LIKE {parameter("%" + pattern + "%")} ESCAPE '\\', 0)";
    }

    /// <summary>A param or metric comparison: EXISTS over the run's row of the resolved key.</summary>
    private string ValueComparison(FilterComparison c)
    {
        var (table, column) = c.Field == FilterField.Metric ? ("metrics", "last") : ("params", "value");
        var row = ResolvedRow(table, "v", c.Key!);
        if (row is null)
        {
            // A key no run has is a typo (or a run not made yet); a store with no such values at all says nothing yet.
            if (_keys[table].Count > 0)
            {
                var what = $"a {(c.Field == FilterField.Metric ? "metric" : "param")} '{c.Key}'";
                if (!_unknown.Contains(what))
                {
                    _unknown.Add(what);
                }
            }

            return "0";
        }

        var json = $"v.{column}";
        // A JSON string compares as its text, anything else as its JSON text.
        var text = $"(CASE WHEN substr({json}, 1, 1) = '\"' THEN {json} ->> '$' ELSE {json} END)";
        string comparison;
        if (c.Op == "~")
        {
            comparison = Contains(text, c.Value);
        }
        else if (double.TryParse(c.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            // A JSON number compares as a number (v.num is NULL when it is not one, so the text decides).
            // NaN equals nothing and differs from everything (SQLite has no NaN: it would bind as NULL).
            comparison = double.IsNaN(value)
                ? $"(CASE WHEN v.num IS NOT NULL THEN {(c.Op == "!=" ? "1" : "0")} ELSE {TextCondition(text, c.Op, c.Value)} END)"
                : $"COALESCE(v.num {SqlOperator(c.Op)} {Parameter(value)}, {TextCondition(text, c.Op, c.Value)})";
        }
        else
        {
            comparison = TextCondition(text, c.Op, c.Value);
        }

        return $"EXISTS (SELECT 1 FROM {table} v WHERE {row} AND {comparison})";
    }

    /// <summary>
    /// The condition that picks, as <paramref name="alias"/>, the run's row of a key written bare or as
    /// <c>file:key</c>; null when no run has such a key.
    /// </summary>
    private string? ResolvedRow(string table, string alias, string key)
    {
        if (!_keys.TryGetValue(table, out var keys))
        {
            keys = _keysOf(table);
            _keys[table] = keys;
        }

        // The preference when a run has several: the exact key, then the others in key (ordinal) order.
        var candidates = keys.Where(k => k.EndsWith(":" + key, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Prepend(key)
            .Where(k => keys.Contains(k))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        if (candidates.Count == 1)
        {
            return $"{alias}.run_id = runs.id AND {alias}.key = {Parameter(candidates[0])}";
        }

        var names = candidates.Select(k => Parameter(k)).ToList();
        var rank = string.Concat(names.Select((name, i) => $" WHEN {name} THEN {i.ToString(CultureInfo.InvariantCulture)}"));
        return $"{alias}.rowid = (SELECT w.rowid FROM {table} w WHERE w.run_id = runs.id AND w.key IN ({string.Join(", ", names)}) ORDER BY CASE w.key{rank} END LIMIT 1)";
    }

    /// <summary>
    /// A LEFT JOIN of each run's row of a param or metric key (written bare or as <c>file:key</c>) as
    /// <paramref name="alias"/>; null when no run has the key. Read <see cref="Parameters"/> after calling it.
    /// </summary>
    public string? ValueJoin(string table, string alias, string key) =>
        ResolvedRow(table, alias, key) is { } row ? $"LEFT JOIN {table} {alias} ON {row}" : null;

    private (string Joins, string Order) Sort(RunSort sort)
    {
        var direction = sort.Descending ? "DESC" : "ASC";
        // Ties keep the list order, newest first.
        const string then = "runs.created DESC, runs.id";
        switch (sort.Field)
        {
            case RunSortField.Created:
                return ("", $"runs.created {direction}, runs.id");
            case RunSortField.Id:
                return ("", $"runs.id {direction}");
            case RunSortField.Status:
                return ("", $"runs.status {direction}, {then}");
            case RunSortField.Name:
            case RunSortField.Title:
            case RunSortField.Group:
            case RunSortField.Commit:
                var column = sort.Field switch
                {
                    RunSortField.Name => "runs.exp_name",
                    RunSortField.Title => "runs.title",
                    RunSortField.Group => "runs.grp",
                    _ => "runs.commit_sha",
                };
                return ("", $"{column} IS NULL, {column} {direction}, {then}");
            case RunSortField.Duration:
                return (
                    "",
                    $"runs.started IS NULL OR runs.finished IS NULL, exp_seconds(runs.started, runs.finished) {direction}, {then}"
                );
            case RunSortField.Tags:
                return (
                    "LEFT JOIN (SELECT run_id, group_concat(tag, ', ' ORDER BY tag) AS tags FROM tags GROUP BY run_id) s ON s.run_id = runs.id",
                    $"s.tags IS NULL, s.tags {direction}, {then}"
                );
            default:
                var (table, value) = sort.Field == RunSortField.Metric ? ("metrics", "s.last") : ("params", "s.value");
                var row = ResolvedRow(table, "s", sort.Key!) ?? "0";
                // Numbers before text (ascending; the other way round descending), then missing values. Text sorts
                // as its JSON text, which is ASCII (the default JSON encoder escapes the rest).
                return (
                    $"LEFT JOIN {table} s ON {row}",
                    $"{value} IS NULL, s.num IS NULL {direction}, s.num {direction}, "
                        + $"CASE WHEN s.num IS NULL THEN {value} END {direction}, {then}"
                );
        }
    }

    private static bool IsNumber(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string SqlOperator(string op) => op == "!=" ? "<>" : op;

    private string Parameter(object value)
    {
        var name = "$q" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return name;
    }
}
