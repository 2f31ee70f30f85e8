using System.Globalization;

namespace GitExp.Core.Tracking;

/// <summary>How a chart's x values read: seconds since 1970 (a time), numbers, or indexes into categories (text).</summary>
public enum RunChartScale
{
    Time,
    Number,
    Text,
}

/// <summary>
/// One value against another across the runs a query selects: what the runs page's chart view draws. A run without a
/// number for y, or without any x, is left out (<see cref="Matched"/> counts them all).
/// </summary>
public sealed record RunChart(
    RunChartScale Scale,
    IReadOnlyList<double> X,
    IReadOnlyList<double> Y,
    IReadOnlyList<string> Categories,
    int Matched
);

public sealed partial class RunStore
{
    /// <summary>
    /// <paramref name="y"/> (<c>metrics.&lt;key&gt;</c>, <c>params.&lt;key&gt;</c> or <c>duration</c>) against
    /// <paramref name="x"/> (the same, or <c>created</c>) for every run <paramref name="query"/> selects, in one query
    /// that reads only those two values per run. An axis no run has is a usage error naming it.
    /// </summary>
    public RunChart Chart(RunQuery query, string x, string y, string flag = "--chart")
    {
        var xAxis = Axis(x, flag, allowTime: true);
        var yAxis = Axis(y, flag, allowTime: false);
        var sql = Sql(query with { Sort = RunSort.Default });
        var joins = new List<string>();
        var xColumns = AxisColumns(sql, xAxis, "cx", joins, flag, x);
        var yColumns = AxisColumns(sql, yAxis, "cy", joins, flag, y);
        var text = $"SELECT COUNT(*) OVER (), {xColumns}, {yColumns} FROM runs {string.Join(" ", joins)} {sql.Where}";
        RunQuerySql.Register(_connection, _functions, text);
        using var command = Command(text, sql.Parameters);
        using var reader = command.ExecuteReader();
        var matched = 0;
        var xNumbers = new List<double?>();
        var xTexts = new List<string?>();
        var ys = new List<double>();
        while (reader.Read())
        {
            matched = reader.GetInt32(0);
            if (reader.IsDBNull(3))
            {
                continue;
            }

            var number = reader.IsDBNull(1) ? (double?)null : reader.GetDouble(1);
            var xText = reader.IsDBNull(2) ? null : reader.GetString(2);
            if (number is null && xText is null)
            {
                continue;
            }

            xNumbers.Add(number);
            xTexts.Add(xText);
            ys.Add(reader.GetDouble(3));
        }

        if (xAxis.Field == RunSortField.Created)
        {
            return new RunChart(
                RunChartScale.Time,
                xTexts.Select(t => ParseTime(t!).ToUnixTimeMilliseconds() / 1000.0).ToList(),
                ys,
                [],
                matched
            );
        }

        if (xNumbers.All(n => n is not null))
        {
            return new RunChart(RunChartScale.Number, xNumbers.Select(n => n!.Value).ToList(), ys, [], matched);
        }

        // Some x is text (an optimizer's name): every value is a category, in ordinal order.
        var names = xTexts.Select(t => Unquoted(t!)).ToList();
        var categories = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = categories.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (double)p.i, StringComparer.Ordinal);
        return new RunChart(RunChartScale.Text, names.Select(n => index[n]).ToList(), ys, categories, matched);
    }

    private static RunSort Axis(string text, string flag, bool allowTime)
    {
        var axis = RunSort.Parse(text, false, flag);
        return
            axis.Field is RunSortField.Metric or RunSortField.Param or RunSortField.Duration
            || (allowTime && axis.Field == RunSortField.Created)
            ? axis
            : throw new ExpException(
                ExitCode.Usage,
                $"{flag} '{text}': expected metrics.<key>, params.<key>, duration{(allowTime ? " or created" : "")}"
            );
    }

    /// <summary>The two columns an axis reads (a number or NULL, and its text), joining what it needs.</summary>
    private static string AxisColumns(RunQuerySql sql, RunSort axis, string alias, List<string> joins, string flag, string text)
    {
        switch (axis.Field)
        {
            case RunSortField.Created:
                return "NULL, runs.created";
            case RunSortField.Duration:
                return "exp_seconds(runs.started, runs.finished), NULL";
            default:
                var (table, column, noun) =
                    axis.Field == RunSortField.Metric ? ("metrics", "last", "metric") : ("params", "value", "param");
                joins.Add(
                    sql.ValueJoin(table, alias, axis.Key!)
                        ?? throw new ExpException(ExitCode.Usage, $"{flag} '{text}': no run has a {noun} '{axis.Key}'")
                );
                return $"{alias}.num, {alias}.{column}";
        }
    }

    /// <summary>A stored JSON value as the text a chart shows: a string without its quotes, anything else as its JSON.</summary>
    private static string Unquoted(string json) =>
        json.Length >= 2 && json[0] == '"' ? System.Text.Json.JsonSerializer.Deserialize<string>(json) ?? json : json;
}
