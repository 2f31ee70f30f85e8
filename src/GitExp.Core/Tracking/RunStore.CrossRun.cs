using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>Which artifacts to list: path text (contains) and kind (equals), both case-insensitive as OrdinalIgnoreCase; empty for any.</summary>
public sealed record ArtifactQuery(string Path = "", string Kind = "");

/// <summary>
/// Which stage executions to list: stage text (contains) and status (equals), both case-insensitive as
/// OrdinalIgnoreCase, empty for any; cache hits only, misses only, or (null) both.
/// </summary>
public sealed record ExecutionQuery(string Stage = "", string Status = "", bool? CacheHit = null);

/// <summary>An artifact with the run that recorded it (the run's own fields only).</summary>
public sealed record RunArtifact(RunRecord Run, ArtifactRecord Artifact);

/// <summary>A stage execution with the run it belongs to (the run's own fields only).</summary>
public sealed record RunExecution(RunRecord Run, ExecutionRecord Execution);

/// <summary>One page of artifacts across runs, with how many match in all and the kinds among all the runs' artifacts.</summary>
public sealed record ArtifactPage(int Total, IReadOnlyList<RunArtifact> Artifacts, IReadOnlyList<string> Kinds);

/// <summary>One page of stage executions across runs, with how many match in all and the stages and statuses among all the runs' executions.</summary>
public sealed record ExecutionPage(
    int Total,
    IReadOnlyList<RunExecution> Executions,
    IReadOnlyList<string> Stages,
    IReadOnlyList<string> Statuses
);

// Lists across runs (the UI's artifacts and executions pages): the runs' ids come from one query, as for a filtered
// page of runs; their rows are then filtered and counted in SQL, and only the page's rows and runs are read.
public sealed partial class RunStore
{
    /// <summary>
    /// A page of the artifacts of the runs <paramref name="runs"/> selects, run by run in its order, each run's by
    /// path (ordinal); <see cref="ArtifactPage.Kinds"/> are those of all the runs' artifacts, in ordinal order.
    /// </summary>
    public ArtifactPage Artifacts(RunQuery runs, ArtifactQuery query, long offset, int limit)
    {
        var rows = new ChildQuery(this, runs, "artifacts");
        if (query.Path.Length > 0)
        {
            rows.Where(RunQuerySql.Contains("c.path", query.Path, rows.Parameter));
        }

        if (query.Kind.Length > 0)
        {
            rows.Where(RunQuerySql.TextCondition("c.kind", "=", query.Kind, rows.Parameter));
        }

        // A page is a few runs' rows, found by counting each run's, not by sorting every row. Each run's are then
        // sorted here: SQLite orders text by UTF-8 bytes, which puts U+E000..U+FFFF before U+10000 and up, where a
        // run lists its artifacts by UTF-16 code units (surrogates, D800..DFFF, come first).
        var counts = rows.CountByRun();
        var spans = Spans(counts, offset, limit);
        var read = rows.RowsOf(
            [.. spans.Select(s => s.Position)],
            "c.path, c.sha256, c.size, c.kind",
            r => new ArtifactRecord(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4))
        );
        var page = new List<RunArtifact>(limit);
        foreach (var (position, skip, take) in spans)
        {
            if (read.TryGetValue(position, out var run))
            {
                run.Rows.Sort((x, y) => string.CompareOrdinal(x.Path, y.Path));
                page.AddRange(run.Rows.Skip(skip).Take(take).Select(a => new RunArtifact(run.Run, a)));
            }
        }

        return new ArtifactPage(counts.Sum(), page, rows.Distinct("kind")[0]);
    }

    /// <summary>The runs (by place in the list) whose rows fall in the page, with how many of its rows each skips and takes.</summary>
    private static List<(int Position, int Skip, int Take)> Spans(int[] counts, long offset, int limit)
    {
        var spans = new List<(int, int, int)>();
        long start = 0;
        for (var position = 0; position < counts.Length && start < offset + limit; position++)
        {
            var end = start + counts[position];
            if (end > offset && counts[position] > 0)
            {
                var skip = (int)Math.Max(0, offset - start);
                spans.Add((position, skip, (int)(Math.Min(end, offset + limit) - start) - skip));
            }

            start = end;
        }

        return spans;
    }

    /// <summary>
    /// A page of the stage executions of the runs <paramref name="runs"/> selects, latest start first (ties in the
    /// runs' order, then the run's); the stages and statuses are those of all the runs' executions, in ordinal order.
    /// </summary>
    public ExecutionPage Executions(RunQuery runs, ExecutionQuery query, long offset, int limit)
    {
        var rows = new ChildQuery(this, runs, "executions");
        if (query.Stage.Length > 0)
        {
            rows.Where(RunQuerySql.Contains("c.stage", query.Stage, rows.Parameter));
        }

        if (query.Status.Length > 0)
        {
            rows.Where(RunQuerySql.TextCondition("c.status", "=", query.Status, rows.Parameter));
        }

        if (query.CacheHit is { } hit)
        {
            rows.Where(hit ? "c.cache_hit <> 0" : "c.cache_hit = 0");
        }

        // Start times are stored as UTC round-trip text ("O"), whose order is their order in time.
        var page = rows.Page(
            "c.stage, c.status, c.started, c.finished, c.cache_hit, c.exit_code",
            "c.started DESC, j.key, c.seq",
            offset,
            limit,
            RunRows.ReadExecution
        );
        var distinct = rows.Distinct("stage", "status");
        return new ExecutionPage(
            rows.Count(),
            page.Select(p => new RunExecution(p.Run, p.Row)).ToList(),
            distinct[0],
            distinct[1]
        );
    }

    /// <summary>The rows of a child table (alias <c>c</c>) that belong to the runs a query selects (<c>j.key</c> is a run's place in its order).</summary>
    private sealed class ChildQuery
    {
        private readonly RunStore _store;
        private readonly string _table;
        private readonly List<string> _ids;
        private readonly List<(string Name, object? Value)> _parameters;
        private readonly List<string> _conditions = [];

        public ChildQuery(RunStore store, RunQuery runs, string table)
        {
            _store = store;
            _table = table;
            var sql = store.Sql(runs);
            _ids = store.Ids($"{sql.Joins} {sql.Where}", sql.OrderBy, sql.Parameters);
            _parameters = [("$ids", JsonList(_ids))];
        }

        /// <summary>Names a new parameter holding <paramref name="value"/>.</summary>
        public string Parameter(object value)
        {
            var name = "$c" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
            _parameters.Add((name, value));
            return name;
        }

        /// <summary>Keeps only the rows for which <paramref name="condition"/> is 1 (a NULL keeps none).</summary>
        public void Where(string condition) => _conditions.Add($"COALESCE({condition}, 0)");

        public int Count()
        {
            using var command = Command($"SELECT COUNT(*) {From(filtered: true)}");
            return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        /// <summary>How many rows each run has, by its place in the list.</summary>
        public int[] CountByRun()
        {
            var counts = new int[_ids.Count];
            using var command = Command(
                $"SELECT j.key, (SELECT COUNT(*) FROM {_table} c WHERE c.run_id = j.value{Conditions}) FROM json_each($ids) j"
            );
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                counts[reader.GetInt32(0)] = reader.GetInt32(1);
            }

            return counts;
        }

        /// <summary>The distinct values of each column among all the runs' rows, whatever the conditions, in ordinal order.</summary>
        public List<string>[] Distinct(params string[] columns)
        {
            // One pass for all the columns: their combinations are few.
            var values = columns.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
            using var command = Command(
                $"SELECT DISTINCT {string.Join(", ", columns.Select(c => "c." + c))} {From(filtered: false)}"
            );
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < columns.Length; i++)
                {
                    values[i].Add(reader.GetString(i));
                }
            }

            return [.. values.Select(v => v.Order(StringComparer.Ordinal).ToList())];
        }

        /// <summary>The rows of the runs at these places in the list (in no order), each run with its own fields, by place.</summary>
        public Dictionary<int, (RunRecord Run, List<T> Rows)> RowsOf<T>(
            List<int> positions,
            string columns,
            Func<SqliteDataReader, T> read
        )
        {
            var ids = positions.Select(p => _ids[p]).ToList();
            var runs = _store.Read(ids, RunParts.Fields).ToDictionary(r => r.Id, StringComparer.Ordinal);
            var result = new Dictionary<int, (RunRecord Run, List<T> Rows)>();
            using var command = Command(
                $"SELECT j.key, {columns} FROM json_each($page) j CROSS JOIN {_table} c WHERE c.run_id = j.value{Conditions}",
                ("$page", JsonList(ids))
            );
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var position = positions[reader.GetInt32(0)];
                // A run deleted from the store since its id was read has no row to show.
                if (runs.TryGetValue(_ids[position], out var run))
                {
                    if (!result.TryGetValue(position, out var rows))
                    {
                        rows = (run, []);
                        result[position] = rows;
                    }

                    rows.Rows.Add(read(reader));
                }
            }

            return result;
        }

        /// <summary>The rows from <paramref name="offset"/> on in <paramref name="order"/>, each with its run (read for these rows only).</summary>
        public List<(RunRecord Run, T Row)> Page<T>(
            string columns,
            string order,
            long offset,
            int limit,
            Func<SqliteDataReader, T> read
        )
        {
            var rows = new List<(int Position, T Row)>();
            using (
                var command = Command(
                    $"SELECT j.key, {columns} {From(filtered: true)} ORDER BY {order} LIMIT {Parameter(limit)} OFFSET {Parameter(offset)}"
                )
            )
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows.Add((reader.GetInt32(0), read(reader)));
                }
            }

            var runs = _store
                .Read([.. rows.Select(r => _ids[r.Position]).Distinct(StringComparer.Ordinal)], RunParts.Fields)
                .ToDictionary(r => r.Id, StringComparer.Ordinal);
            // A run deleted from the store since its id was read has no row to show.
            return [.. rows.Where(r => runs.ContainsKey(_ids[r.Position])).Select(r => (runs[_ids[r.Position]], r.Row))];
        }

        private string Conditions => string.Concat(_conditions.Select(c => " AND " + c));

        private string From(bool filtered) =>
            $"FROM json_each($ids) j CROSS JOIN {_table} c WHERE c.run_id = j.value{(filtered ? Conditions : "")}";

        private SqliteCommand Command(string sql, params (string Name, object? Value)[] more)
        {
            RunQuerySql.Register(_store._connection, _store._functions, sql);
            return _store.Command(sql, [.. _parameters, .. more]);
        }
    }
}
