using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Processes;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>
/// The run store, <c>.exp/runs.db</c>: one SQLite file in WAL mode with a busy timeout, so parallel
/// queue workers and a reader (the UI) never block each other for long. The schema is versioned:
/// <see cref="Migrations"/> are applied in order on open.
/// </summary>
public sealed partial class RunStore : IDisposable
{
    /// <summary>Each entry moves the schema one version up; never edit a shipped one, add the next.</summary>
    private static readonly string[] Migrations =
    [
        """
            CREATE TABLE runs(
                id TEXT PRIMARY KEY, exp_name TEXT, exp_ref TEXT, commit_sha TEXT, baseline TEXT NOT NULL, branch TEXT,
                dirty INTEGER NOT NULL DEFAULT 0, git_user TEXT, command TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '',
                kind TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, started TEXT, finished TEXT, exit_code INTEGER,
                log_path TEXT, title TEXT, notes TEXT, bookmarked INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
                deleted INTEGER NOT NULL DEFAULT 0, grp TEXT);
            CREATE INDEX runs_exp ON runs(exp_ref, commit_sha);
            CREATE TABLE params(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT,
                PRIMARY KEY(run_id, key));
            CREATE TABLE metrics(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL, last TEXT,
                min REAL, max REAL, PRIMARY KEY(run_id, key));
            CREATE TABLE metric_steps(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL,
                step INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY(run_id, key, step));
            CREATE TABLE artifacts(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, path TEXT NOT NULL,
                sha256 TEXT NOT NULL, size INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY(run_id, path));
            CREATE TABLE tags(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, tag TEXT NOT NULL,
                PRIMARY KEY(run_id, tag));
            CREATE TABLE checkpoints(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, commit_sha TEXT NOT NULL,
                step INTEGER NOT NULL, PRIMARY KEY(run_id, commit_sha));
            """,
        // Version 2: the UI's pages (Page) read the runs in list order through an index, LIMIT included, and
        // the keys in use by skipping from key to key rather than reading every run's params and metrics.
        """
            CREATE INDEX runs_listed ON runs(deleted, archived, bookmarked DESC, created DESC, id);
            CREATE INDEX params_key ON params(key);
            CREATE INDEX metrics_key ON metrics(key);
            """,
        // Version 3: stage executions, in run order (seq).
        """
            CREATE TABLE executions(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
                stage TEXT NOT NULL, status TEXT NOT NULL, started TEXT NOT NULL, finished TEXT NOT NULL,
                duration_ms INTEGER NOT NULL, cache_hit INTEGER NOT NULL DEFAULT 0, exit_code INTEGER,
                PRIMARY KEY(run_id, seq));
            CREATE INDEX executions_stage ON executions(stage);
            """,
        // Version 4: a param's value and a metric's last value as a number when it is a JSON number, parsed by .NET
        // (exp_number; SQLite's own text-to-number conversion can differ in the last bit), so filters and sorts
        // compare numbers in SQL exactly as the filter grammar defines.
        """
            ALTER TABLE params ADD COLUMN num REAL;
            ALTER TABLE metrics ADD COLUMN num REAL;
            UPDATE params SET num = exp_number(value) WHERE value IS NOT NULL;
            UPDATE metrics SET num = exp_number(last) WHERE last IS NOT NULL;
            """,
        // Version 5: the process that runs a run (pid, its start time, the boot it started in; the host was kept
        // already), so a run whose process died is settled as interrupted; the running runs are found through a
        // partial index, and a checkpoint's run by its commit.
        """
            ALTER TABLE runs ADD COLUMN pid INTEGER;
            ALTER TABLE runs ADD COLUMN pid_start INTEGER;
            ALTER TABLE runs ADD COLUMN boot_id TEXT;
            CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
            CREATE INDEX checkpoints_commit ON checkpoints(commit_sha);
            """,
        // Version 6: the run a checkpoint run continued (resumed) from.
        "ALTER TABLE runs ADD COLUMN resumed_from TEXT;",
        // Version 7: experiments (groups of runs) created before any run is in them, with a description.
        "CREATE TABLE run_groups(name TEXT PRIMARY KEY, description TEXT, created TEXT NOT NULL);",
        // Version 8: recurring runs (decision 45). A schedule runs a branch's tip at fire time or a fixed commit; each
        // fire is recorded once, keyed by schedule and fire time, before its entry is queued, so a scheduler killed at
        // any point never fires twice; a run names the schedule that queued it.
        """
            CREATE TABLE schedules(name TEXT PRIMARY KEY, cron TEXT NOT NULL, time_zone TEXT NOT NULL, start_at TEXT,
                end_at TEXT, max_concurrent INTEGER, catch_up TEXT NOT NULL, branch TEXT, rev_commit TEXT,
                set_params TEXT NOT NULL, targets TEXT NOT NULL, grp TEXT, enabled INTEGER NOT NULL, created TEXT NOT NULL,
                checked_until TEXT NOT NULL, command TEXT NOT NULL DEFAULT '');
            CREATE TABLE schedule_fires(schedule TEXT NOT NULL, fire_time TEXT NOT NULL, status TEXT NOT NULL, run_id TEXT,
                reason TEXT, recorded TEXT NOT NULL, PRIMARY KEY(schedule, fire_time));
            CREATE INDEX schedule_fires_status ON schedule_fires(status) WHERE status IN ('pending', 'queued');
            ALTER TABLE runs ADD COLUMN schedule TEXT;
            """,
    ];

    private readonly SqliteConnection _connection;

    /// <summary>The SQL functions registered on the connection so far (<see cref="RunQuerySql.Register"/>).</summary>
    private readonly HashSet<string> _functions = new(StringComparer.Ordinal);

    private RunStore(SqliteConnection connection) => _connection = connection;

    public static int SchemaVersion => Migrations.Length;

    public static RunStore Open(string path)
    {
        using var span = Diagnostics.ExpTrace.Start("runs: open store");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString()
        );
        connection.Open();
        // Pages are read through a memory map rather than copied in by pread into a 2 MB cache: a filtered list reads
        // the same index and table pages in several queries (the filter, then each part of the matches), and the
        // copies were a sixth of its time. The store's file never shrinks under a reader (no VACUUM), so the map
        // stays valid; writes still go through the journal.
        Execute(
            connection,
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA mmap_size=1073741824;"
        );
        var store = new RunStore(connection);
        store.Migrate();
        return store;
    }

    /// <summary>
    /// Loads SQLite (its native library and the code that opens a connection) without opening a store: a command
    /// can do it on another thread while it waits for something else, such as git finding the project.
    /// </summary>
    public static void Preload()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
    }

    /// <summary>
    /// <see cref="Preload"/> on a background thread, for a command that will open the store after other work (a run
    /// saves itself once its pipelines are read). A failure there is left for the real open to report.
    /// </summary>
    public static void PreloadInBackground()
    {
        var thread = new Thread(() =>
        {
            try
            {
                Preload();
            }
            catch (Exception e) when (e is SqliteException or IOException or DllNotFoundException or TypeInitializationException)
            {
                // The run's own open of the store says what is wrong, as a warning.
            }
        })
        {
            IsBackground = true,
            Name = "GitExp run store preload",
        };
        thread.Start();
    }

    /// <summary>Inserts or replaces a run with its params, metrics, artifacts, tags and checkpoints; annotations already set are kept unless the record sets them.</summary>
    public void Save(RunRecord run)
    {
        using var transaction = _connection.BeginTransaction();
        SaveCore(run);
        transaction.Commit();
    }

    /// <summary><see cref="Save"/> inside the caller's transaction.</summary>
    private void SaveCore(RunRecord run)
    {
        var existing = Load("WHERE id = $id", ("$id", run.Id)).FirstOrDefault();
        run = run with
        {
            Title = run.Title ?? existing?.Title,
            Notes = run.Notes ?? existing?.Notes,
            Group = run.Group ?? existing?.Group,
            Schedule = run.Schedule ?? existing?.Schedule,
            Bookmarked = run.Bookmarked || existing?.Bookmarked == true,
            Archived = run.Archived || existing?.Archived == true,
            Deleted = run.Deleted || existing?.Deleted == true,
            Tags = run.Tags.Concat(existing?.Tags ?? []).Distinct(StringComparer.Ordinal).ToList(),
        };
        Execute(
            """
            INSERT INTO runs(id, exp_name, exp_ref, commit_sha, baseline, branch, dirty, git_user, command, host, kind, status,
                created, started, finished, exit_code, log_path, title, notes, bookmarked, archived, deleted, grp, pid, pid_start, boot_id, resumed_from,
                schedule)
            VALUES($id, $exp_name, $exp_ref, $commit, $baseline, $branch, $dirty, $user, $command, $host, $kind, $status,
                $created, $started, $finished, $exit, $log, $title, $notes, $bookmarked, $archived, $deleted, $grp, $pid, $pid_start,
                $boot_id, $resumed_from, $schedule)
            ON CONFLICT(id) DO UPDATE SET
                -- An update, never a delete and insert: that would cascade to the run's metric history.
                exp_name = excluded.exp_name, exp_ref = excluded.exp_ref, commit_sha = excluded.commit_sha, baseline = excluded.baseline, branch = excluded.branch, dirty = excluded.dirty, git_user = excluded.git_user, command = excluded.command, host = excluded.host, kind = excluded.kind, status = excluded.status, created = excluded.created, started = excluded.started, finished = excluded.finished, exit_code = excluded.exit_code, log_path = excluded.log_path, title = excluded.title, notes = excluded.notes, bookmarked = excluded.bookmarked, archived = excluded.archived, deleted = excluded.deleted, grp = excluded.grp, pid = excluded.pid, pid_start = excluded.pid_start, boot_id = excluded.boot_id, resumed_from = excluded.resumed_from, schedule = excluded.schedule
            """,
            ("$id", run.Id),
            ("$exp_name", run.ExperimentName),
            ("$exp_ref", run.ExperimentRef),
            ("$commit", run.Commit),
            ("$baseline", run.Baseline),
            ("$branch", run.Branch),
            ("$dirty", run.Dirty ? 1 : 0),
            ("$user", run.GitUser),
            ("$command", run.Command),
            ("$host", run.Host),
            ("$kind", run.Kind),
            ("$status", run.Status.ToString().ToLowerInvariant()),
            ("$created", Time(run.Created)),
            ("$started", Time(run.Started)),
            ("$finished", Time(run.Finished)),
            ("$exit", run.ExitCode),
            ("$log", run.LogPath),
            ("$title", run.Title),
            ("$notes", run.Notes),
            ("$bookmarked", run.Bookmarked ? 1 : 0),
            ("$archived", run.Archived ? 1 : 0),
            ("$deleted", run.Deleted ? 1 : 0),
            ("$grp", run.Group),
            ("$pid", run.Process?.Pid),
            ("$pid_start", run.Process?.StartTime),
            ("$boot_id", run.Process?.BootId),
            ("$resumed_from", run.ResumedFrom),
            ("$schedule", run.Schedule)
        );
        foreach (var table in new[] { "params", "metrics", "artifacts", "tags", "checkpoints", "executions" })
        {
            Execute($"DELETE FROM {table} WHERE run_id = $id", ("$id", run.Id));
        }

        foreach (var (key, value) in run.Params)
        {
            var json = value?.ToJsonString();
            Execute(
                "INSERT INTO params(run_id, key, value, num) VALUES($id, $key, $value, $num)",
                ("$id", run.Id),
                ("$key", key),
                ("$value", json),
                ("$num", RunQuerySql.StoredNumber(json))
            );
        }

        foreach (var (key, summary) in run.Metrics)
        {
            var json = summary.Last?.ToJsonString();
            Execute(
                "INSERT INTO metrics(run_id, key, last, min, max, num) VALUES($id, $key, $last, $min, $max, $num)",
                ("$id", run.Id),
                ("$key", key),
                ("$last", json),
                ("$min", summary.Min),
                ("$max", summary.Max),
                ("$num", RunQuerySql.StoredNumber(json))
            );
        }

        foreach (var artifact in run.Artifacts)
        {
            Execute(
                "INSERT OR REPLACE INTO artifacts VALUES($id, $path, $sha, $size, $kind)",
                ("$id", run.Id),
                ("$path", artifact.Path),
                ("$sha", artifact.Sha256),
                ("$size", artifact.Size),
                ("$kind", artifact.Kind)
            );
        }

        foreach (var tag in run.Tags)
        {
            Execute("INSERT OR IGNORE INTO tags VALUES($id, $tag)", ("$id", run.Id), ("$tag", tag));
        }

        foreach (var (commit, step) in run.Checkpoints)
        {
            Execute(
                "INSERT OR IGNORE INTO checkpoints VALUES($id, $commit, $step)",
                ("$id", run.Id),
                ("$commit", commit),
                ("$step", step)
            );
        }

        InsertExecutions(run.Id, run.Executions);
    }

    /// <summary>
    /// Replaces a run's stage executions and nothing else: how a running run records each stage as it starts and
    /// finishes. A run the store does not hold (its start could not be recorded) is left out, with no error.
    /// </summary>
    public void SaveExecutions(string runId, IReadOnlyList<ExecutionRecord> executions)
    {
        using var transaction = _connection.BeginTransaction();
        using (var known = Command("SELECT 1 FROM runs WHERE id = $id", ("$id", runId)))
        {
            if (known.ExecuteScalar() is null)
            {
                return;
            }
        }

        // The whole list each time, not the one row that changed: a save of the run in between (the UI's annotate
        // writes every part as it read them) loses no stage for longer than until the next one.
        Execute("DELETE FROM executions WHERE run_id = $id", ("$id", runId));
        InsertExecutions(runId, executions);
        transaction.Commit();
    }

    private void InsertExecutions(string runId, IReadOnlyList<ExecutionRecord> executions)
    {
        var seq = 0;
        foreach (var execution in executions)
        {
            Execute(
                "INSERT INTO executions VALUES($id, $seq, $stage, $status, $started, $finished, $ms, $hit, $exit)",
                ("$id", runId),
                ("$seq", seq++),
                ("$stage", execution.Stage),
                ("$status", execution.Status),
                ("$started", Time(execution.Started)),
                ("$finished", Time(execution.Finished)),
                ("$ms", execution.DurationMs),
                ("$hit", execution.CacheHit ? 1 : 0),
                ("$exit", execution.ExitCode)
            );
        }
    }

    /// <summary>Writes a run exactly as given (annotations included, even cleared ones): for edits by the user.</summary>
    public void Replace(RunRecord run)
    {
        using (var transaction = _connection.BeginTransaction())
        {
            Execute(
                "UPDATE runs SET title = NULL, notes = NULL, grp = NULL, bookmarked = 0, archived = 0, deleted = 0 WHERE id = $id",
                ("$id", run.Id)
            );
            Execute("DELETE FROM tags WHERE run_id = $id", ("$id", run.Id));
            transaction.Commit();
        }

        Save(run);
    }

    /// <summary>Replaces the step history of one metric.</summary>
    public void SaveMetricHistory(string runId, string key, IEnumerable<(long Step, double Value)> points)
    {
        using var transaction = _connection.BeginTransaction();
        Execute("DELETE FROM metric_steps WHERE run_id = $id AND key = $key", ("$id", runId), ("$key", key));
        using var insert = Command("INSERT OR REPLACE INTO metric_steps VALUES($id, $key, $step, $value)");
        var step = insert.Parameters.Add("$step", SqliteType.Integer);
        var value = insert.Parameters.Add("$value", SqliteType.Real);
        insert.Parameters.AddWithValue("$id", runId);
        insert.Parameters.AddWithValue("$key", key);
        foreach (var point in points)
        {
            step.Value = point.Step;
            value.Value = point.Value;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The step history stored under exactly <paramref name="key"/>; see <see cref="MetricHistory(RunRecord, string)"/> for a metric's.</summary>
    public IReadOnlyList<(long Step, double Value)> MetricHistory(string runId, string key)
    {
        using var query = Command(
            "SELECT step, value FROM metric_steps WHERE run_id = $id AND key = $key ORDER BY step",
            ("$id", runId),
            ("$key", key)
        );
        using var reader = query.ExecuteReader();
        var points = new List<(long, double)>();
        while (reader.Read())
        {
            points.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }

        return points;
    }

    /// <summary>The step history of one of a run's metrics (<c>file:key</c>); empty when it has none.</summary>
    public IReadOnlyList<(long Step, double Value)> MetricHistory(RunRecord run, string metricKey) =>
        StoredHistoryKey(run, metricKey) is { } stored ? MetricHistory(run.Id, stored) : [];

    /// <summary>The run's metric keys that have a step history, in the run's key order.</summary>
    public IReadOnlyList<string> MetricsWithHistory(RunRecord run) =>
        run.Metrics.Keys.Where(k => StoredHistoryKey(run, k) is not null).ToList();

    /// <summary>
    /// Where a metric's history is stored: under its key (<c>file:key</c>); or, for runs recorded before histories were
    /// saved that way, under the key without its file, which is the metric's only when no other metric of the run has
    /// that key in another file.
    /// </summary>
    private string? StoredHistoryKey(RunRecord run, string metricKey)
    {
        if (!run.Metrics.ContainsKey(metricKey))
        {
            return null;
        }

        if (HasHistory(run.Id, metricKey))
        {
            return metricKey;
        }

        var bare = WithoutFile(metricKey);
        return
            bare.Length < metricKey.Length && HasHistory(run.Id, bare) && run.Metrics.Keys.Count(k => WithoutFile(k) == bare) == 1
            ? bare
            : null;

        static string WithoutFile(string key) => key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }

    private bool HasHistory(string runId, string key)
    {
        using var query = Command(
            "SELECT 1 FROM metric_steps WHERE run_id = $id AND key = $key LIMIT 1",
            ("$id", runId),
            ("$key", key)
        );
        return query.ExecuteScalar() is not null;
    }

    /// <summary>A run by id or unique id prefix (null when none matches); several matches are an error.</summary>
    public RunRecord? Get(string idOrPrefix)
    {
        var matches = Load(
            "WHERE id = $id OR id LIKE $prefix ESCAPE '\\'",
            ("$id", idOrPrefix),
            ("$prefix", EscapeLike(idOrPrefix) + "%")
        );
        var exact = matches.FirstOrDefault(r => r.Id == idOrPrefix);
        if (exact is not null || matches.Count <= 1)
        {
            return exact ?? matches.FirstOrDefault();
        }

        throw new ExpException(
            ExitCode.Usage,
            $"run id '{idOrPrefix}' is ambiguous: {string.Join(", ", matches.Select(m => m.Id))}"
        );
    }

    /// <summary>The newest run recorded for an experiment name, archived ones included, deleted ones not; null when none.</summary>
    public RunRecord? LatestNamed(string experimentName) =>
        Read(
                Ids(
                    "WHERE exp_name = $name AND deleted = 0",
                    "ORDER BY runs.created DESC, runs.id LIMIT 1",
                    [("$name", experimentName)]
                ),
                RunParts.All
            )
            .FirstOrDefault();

    /// <summary>Every run, newest first; archived and deleted ones only when asked.</summary>
    public IReadOnlyList<RunRecord> List(bool includeArchived = false, bool includeDeleted = false)
    {
        var where = new List<string>();
        if (!includeArchived)
        {
            where.Add("archived = 0");
        }

        if (!includeDeleted)
        {
            where.Add("deleted = 0");
        }

        return Load(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where));
    }

    /// <summary>
    /// Every run the query selects, in its order, with <paramref name="parts"/> loaded. The filter, search and
    /// sort run in SQL; only the selected runs are read. Records without all parts are for reading only: saving
    /// one would drop the parts it lacks.
    /// </summary>
    public IReadOnlyList<RunRecord> Find(RunQuery query, RunParts parts = RunParts.All) => Each(query, parts).ToList();

    /// <summary>
    /// <see cref="Find"/> one run at a time, for long lists written out as they are read: only the run at hand is
    /// in memory. Enumerate it while the store is open.
    /// </summary>
    public IEnumerable<RunRecord> Each(RunQuery query, RunParts parts = RunParts.All)
    {
        var sql = Sql(query);
        return Read(Ids($"{sql.Joins} {sql.Where}", sql.OrderBy, sql.Parameters), parts);
    }

    /// <summary>
    /// One page of the runs the query selects, in its order, with how many it selects in all and the metric and
    /// param keys those runs use. Only the page's runs are loaded, with <paramref name="parts"/>.
    /// </summary>
    public RunPage Page(RunQuery query, long offset, int limit, RunParts parts = RunParts.All)
    {
        var sql = Sql(query);
        if (!sql.Selective)
        {
            // Archived state and group only: the count and the keys go through indexes, the page through LIMIT.
            using var count = Command($"SELECT COUNT(*) FROM runs {sql.Where}", sql.Parameters);
            var total = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            var limits = string.Create(CultureInfo.InvariantCulture, $"LIMIT {limit} OFFSET {offset}");
            var scope = $"SELECT runs.id FROM runs {sql.Where}";
            return new RunPage(
                total,
                Read(Ids($"{sql.Joins} {sql.Where}", $"{sql.OrderBy} {limits}", sql.Parameters), parts).ToList(),
                Keys("metrics", scope, sql.Parameters),
                Keys("params", scope, sql.Parameters)
            );
        }

        // A filter or search: evaluated once, for the ids of every match in order; the rest works on those.
        var ids = Ids($"{sql.Joins} {sql.Where}", sql.OrderBy, sql.Parameters);
        var page = ids.Skip((int)Math.Min(offset, int.MaxValue)).Take(limit).ToList();
        (string, object?)[] all = [("$ids", JsonList(ids))];
        return new RunPage(
            ids.Count,
            Read(page, parts).ToList(),
            Keys("metrics", "SELECT value FROM json_each($ids)", all),
            Keys("params", "SELECT value FROM json_each($ids)", all)
        );
    }

    /// <summary>Whether the store holds any run that is not deleted.</summary>
    public bool HasRuns()
    {
        using var query = Command("SELECT 1 FROM runs WHERE deleted = 0 LIMIT 1");
        return query.ExecuteScalar() is not null;
    }

    /// <summary>The run that recorded this experiment commit, if any (so reindex adds nothing twice).</summary>
    public bool HasCommit(string commit)
    {
        using var query = Command("SELECT 1 FROM runs WHERE commit_sha = $commit LIMIT 1", ("$commit", commit));
        return query.ExecuteScalar() is not null;
    }

    /// <summary>
    /// The groups in use among the runs that are (not) archived and not deleted, by name, with how many runs
    /// each holds: what a group filter offers.
    /// </summary>
    public IReadOnlyList<RunGroup> Groups(bool archived)
    {
        // Groups created empty (RunGroups.Create) are offered too, with no runs, among the runs that are not archived.
        using var query = Command(
            """
            SELECT name, SUM(n) FROM (
                SELECT grp AS name, COUNT(*) AS n FROM runs WHERE deleted = 0 AND archived = $archived AND grp IS NOT NULL GROUP BY grp
                UNION ALL SELECT name, 0 FROM run_groups WHERE $archived = 0)
            GROUP BY name ORDER BY name
            """,
            ("$archived", archived ? 1 : 0)
        );
        using var reader = query.ExecuteReader();
        var groups = new List<RunGroup>();
        while (reader.Read())
        {
            groups.Add(new RunGroup(reader.GetString(0), reader.GetInt32(1)));
        }

        return groups;
    }

    /// <summary>Deletes soft-deleted runs for good; returns how many.</summary>
    public int Purge()
    {
        using var query = Command("DELETE FROM runs WHERE deleted = 1");
        return query.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>The query as SQL, with the functions it uses bound to the connection.</summary>
    private RunQuerySql Sql(RunQuery query)
    {
        var sql = new RunQuerySql(query, table => Keys(table, null, []));
        RunQuerySql.Register(_connection, _functions, sql.Where + sql.Joins + sql.OrderBy);
        return sql;
    }

    /// <summary>
    /// The distinct keys of a child table (params or metrics), in ordinal order: of the runs <paramref name="scope"/>
    /// selects (a query of ids), or of every run.
    /// </summary>
    private List<string> Keys(string table, string? scope, (string Name, object? Value)[] parameters)
    {
        // A skip scan over the key index (one search per distinct key), each key kept if any run in scope has it.
        using var query = Command(
            $"""
            WITH RECURSIVE k(key) AS (
                SELECT (SELECT MIN(key) FROM {table})
                UNION ALL
                SELECT (SELECT MIN(key) FROM {table} WHERE key > k.key) FROM k WHERE k.key IS NOT NULL)
            SELECT key FROM k
            WHERE key IS NOT NULL {(
                scope is null ? "" : $"AND EXISTS (SELECT 1 FROM {table} c WHERE c.key = k.key AND c.run_id IN ({scope}))"
            )}
            """,
            parameters
        );
        using var reader = query.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private List<RunRecord> Load(string where, params (string Name, object? Value)[] parameters) =>
        Read(Ids(where, "ORDER BY runs.created DESC, runs.id", parameters), RunParts.All).ToList();

    /// <summary>The ids of the runs <paramref name="from"/> (joins and a WHERE clause over <c>runs</c>) selects, in order.</summary>
    private List<string> Ids(string from, string orderAndLimit, (string Name, object? Value)[] parameters)
    {
        var ids = new List<string>();
        using var query = Command($"SELECT runs.id FROM runs {from} {orderAndLimit}", parameters);
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// The runs with these ids, in this order, with their parts: one query per table, each in list order, read in
    /// step (<see cref="RunRows"/>), so one run at a time is put together and handed on.
    /// </summary>
    private IEnumerable<RunRecord> Read(List<string> ids, RunParts parts)
    {
        if (ids.Count == 0)
        {
            yield break;
        }

        using var rows = new RunRows(this, JsonList(ids), parts);
        while (rows.Next() is { } run)
        {
            yield return run;
        }
    }

    /// <summary>
    /// The rows of a list of runs and of the parts asked for, read in step. Each table is searched by its primary
    /// key for these ids only: a Save, a Get or a page must not read every run's rows (that made recording the N-th
    /// run cost O(N)), and a filtered list reads only its matches. Each run's rows are put in key order here,
    /// whatever order SQLite returns them in.
    /// </summary>
    private sealed class RunRows : IDisposable
    {
        private readonly SqliteCommand _command;
        private readonly SqliteDataReader _runs;
        private readonly Columns _columns;
        private readonly ChildRows<List<Keyed<JsonNode?>>>? _params;
        private readonly ChildRows<Keyed<MetricSummary>>? _metrics;
        private readonly ChildRows<ArtifactRecord>? _artifacts;
        private readonly ChildRows<string>? _tags;
        private readonly ChildRows<Keyed<int>>? _checkpoints;
        private readonly ChildRows<Sequenced>? _executions;

        public RunRows(RunStore store, string ids, RunParts parts)
        {
            ChildRows<T>? Rows<T>(RunParts part, string sql, Func<SqliteDataReader, T> read)
                where T : class => parts.HasFlag(part) ? new ChildRows<T>(store.Command(sql, ("$ids", ids)), read) : null;

            // CROSS JOIN keeps json_each the outer loop: rows come in list order, with no sort.
            _command = store.Command(
                "SELECT j.key AS position, runs.* FROM json_each($ids) j CROSS JOIN runs WHERE runs.id = j.value",
                ("$ids", ids)
            );
            _runs = _command.ExecuteReader();
            _columns = new Columns(_runs);
            // Params as one JSON object per run, put together by SQLite: one row per run crosses into .NET, not one per value.
            _params = Rows(
                RunParts.Params,
                """
                SELECT j.key, (SELECT '{' || group_concat(json_quote(c.key) || ':' || COALESCE(c.value, 'null'), ',') || '}'
                    FROM params c WHERE c.run_id = j.value)
                FROM json_each($ids) j
                """,
                ReadParams
            );
            _metrics = Rows(RunParts.Metrics, Join("c.key, c.last, c.min, c.max", "metrics"), ReadMetric);
            _artifacts = Rows(
                RunParts.Artifacts,
                Join("c.path, c.sha256, c.size, c.kind", "artifacts"),
                r => new ArtifactRecord(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4))
            );
            _tags = Rows(RunParts.Tags, Join("c.tag", "tags"), r => r.GetString(1));
            _checkpoints = Rows(
                RunParts.Checkpoints,
                Join("c.commit_sha, c.step", "checkpoints"),
                r => new Keyed<int>(r.GetString(1), r.GetInt32(2))
            );
            _executions = Rows(
                RunParts.Executions,
                Join("c.stage, c.status, c.started, c.finished, c.cache_hit, c.exit_code, c.seq", "executions"),
                r => new Sequenced(r.GetInt32(7), ReadExecution(r))
            );
        }

        /// <summary>The next run of the list, whole, or null after the last.</summary>
        public RunRecord? Next()
        {
            if (!_runs.Read())
            {
                return null;
            }

            var position = _runs.GetInt32(0);
            var run = ReadRun(_runs, _columns);
            return run with
            {
                Params = _params is null ? run.Params : Dictionary(_params.Take(position).SingleOrDefault() ?? []),
                Metrics = _metrics is null ? run.Metrics : Dictionary(_metrics.Take(position)),
                Artifacts = _artifacts is null
                    ? run.Artifacts
                    : Sorted(_artifacts.Take(position), (x, y) => string.CompareOrdinal(x.Path, y.Path)),
                Tags = _tags is null ? run.Tags : Sorted(_tags.Take(position), string.CompareOrdinal),
                Checkpoints = _checkpoints is null
                    ? run.Checkpoints
                    : Sorted(
                            _checkpoints.Take(position),
                            (x, y) => x.Value != y.Value ? x.Value.CompareTo(y.Value) : string.CompareOrdinal(x.Key, y.Key)
                        )
                        .Select(c => (c.Key, c.Value))
                        .ToList(),
                Executions = _executions is null
                    ? run.Executions
                    : Sorted(_executions.Take(position), (x, y) => x.Seq.CompareTo(y.Seq)).Select(e => e.Execution).ToList(),
            };
        }

        public void Dispose()
        {
            foreach (var rows in new IDisposable?[] { _params, _metrics, _artifacts, _tags, _checkpoints, _executions })
            {
                rows?.Dispose();
            }

            _runs.Dispose();
            _command.Dispose();
        }

        // A child table's rows with each run's position, in list order (json_each stays the outer loop).
        private static string Join(string columns, string table) =>
            $"SELECT j.key, {columns} FROM json_each($ids) j CROSS JOIN {table} c WHERE c.run_id = j.value";

        private static List<Keyed<JsonNode?>> ReadParams(SqliteDataReader r)
        {
            var pairs = new List<Keyed<JsonNode?>>();
            if (r.GetValue(1) is not string json)
            {
                return pairs;
            }

            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            foreach (var property in JsonElement.ParseValue(ref reader).EnumerateObject())
            {
                pairs.Add(new Keyed<JsonNode?>(property.Name, Node(property.Value)));
            }

            return pairs;
        }

        /// <summary>An execution from columns 1–6: stage, status, started, finished, cache_hit, exit_code.</summary>
        internal static ExecutionRecord ReadExecution(SqliteDataReader r) =>
            new(
                r.GetString(1),
                r.GetString(2),
                DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture),
                r.GetInt32(5) != 0,
                r.IsDBNull(6) ? null : r.GetInt32(6)
            );

        private static Keyed<MetricSummary> ReadMetric(SqliteDataReader r) =>
            new(
                r.GetString(1),
                new MetricSummary(Json(r.GetValue(2) as string), r.GetValue(3) as double?, r.GetValue(4) as double?)
            );
    }

    /// <summary>
    /// Ids as a JSON array, for <c>json_each</c>. Written directly: <see cref="JsonSerializer"/> would first set up
    /// its converters, which costs a command that records a run more than the rest of its store work.
    /// </summary>
    private static string JsonList(List<string> ids) =>
        Serialization.CompactJson.ToText(writer =>
        {
            writer.WriteStartArray();
            foreach (var id in ids)
            {
                writer.WriteStringValue(id);
            }

            writer.WriteEndArray();
        });

    /// <summary>A row of a child table by its key.</summary>
    private sealed record Keyed<T>(string Key, T Value);

    /// <summary>A stage execution with its place in the run.</summary>
    private sealed record Sequenced(int Seq, ExecutionRecord Execution);

    /// <summary>A child table's rows for a list of runs, in list order: each run takes the rows of its position.</summary>
    private sealed class ChildRows<T> : IDisposable
        where T : class
    {
        private readonly SqliteCommand _command;
        private readonly SqliteDataReader _reader;
        private readonly Func<SqliteDataReader, T> _read;
        private int _position = -1;

        public ChildRows(SqliteCommand command, Func<SqliteDataReader, T> read)
        {
            _command = command;
            _reader = command.ExecuteReader();
            _read = read;
            Next();
        }

        /// <summary>The rows of the run at <paramref name="position"/> (an empty list when it has none); positions only grow.</summary>
        public List<T> Take(int position)
        {
            var rows = new List<T>();
            // Rows of an earlier position belong to a run deleted since its id was read: skipped.
            while (_position >= 0 && _position <= position)
            {
                if (_position == position)
                {
                    rows.Add(_read(_reader));
                }

                Next();
            }

            return rows;
        }

        private void Next()
        {
            if (!_reader.Read())
            {
                _position = -1;
                return;
            }

            var position = _reader.GetInt32(0);
            if (position < _position)
            {
                // The query did not keep the list order: rows would be lost.
                throw new InvalidOperationException($"child rows out of list order: {_command.CommandText}");
            }

            _position = position;
        }

        public void Dispose()
        {
            _reader.Dispose();
            _command.Dispose();
        }
    }

    /// <summary>Rows as a dictionary in ordinal key order (the order SQLite's key index gives them in, usually).</summary>
    private static Dictionary<string, T> Dictionary<T>(List<Keyed<T>> rows)
    {
        Sorted(rows, (x, y) => string.CompareOrdinal(x.Key, y.Key));
        var dictionary = new Dictionary<string, T>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            dictionary[row.Key] = row.Value;
        }

        return dictionary;
    }

    /// <summary>The list sorted in place (stable for equal items); most arrive sorted, and are only checked.</summary>
    private static List<T> Sorted<T>(List<T> list, Comparison<T> comparison)
    {
        for (var i = 1; i < list.Count; i++)
        {
            if (comparison(list[i - 1], list[i]) > 0)
            {
                var ordered = list.Order(Comparer<T>.Create(comparison)).ToList();
                list.Clear();
                list.AddRange(ordered);
                break;
            }
        }

        return list;
    }

    /// <summary>The ordinals of the runs table's columns, looked up once per query rather than per row.</summary>
    private sealed class Columns(SqliteDataReader r)
    {
        public readonly int Id = r.GetOrdinal("id");
        public readonly int ExpName = r.GetOrdinal("exp_name");
        public readonly int ExpRef = r.GetOrdinal("exp_ref");
        public readonly int Commit = r.GetOrdinal("commit_sha");
        public readonly int Baseline = r.GetOrdinal("baseline");
        public readonly int Branch = r.GetOrdinal("branch");
        public readonly int Dirty = r.GetOrdinal("dirty");
        public readonly int User = r.GetOrdinal("git_user");
        public readonly int Command = r.GetOrdinal("command");
        public readonly int Host = r.GetOrdinal("host");
        public readonly int Kind = r.GetOrdinal("kind");
        public readonly int Status = r.GetOrdinal("status");
        public readonly int Created = r.GetOrdinal("created");
        public readonly int Started = r.GetOrdinal("started");
        public readonly int Finished = r.GetOrdinal("finished");
        public readonly int ExitCode = r.GetOrdinal("exit_code");
        public readonly int LogPath = r.GetOrdinal("log_path");
        public readonly int Title = r.GetOrdinal("title");
        public readonly int Notes = r.GetOrdinal("notes");
        public readonly int Bookmarked = r.GetOrdinal("bookmarked");
        public readonly int Archived = r.GetOrdinal("archived");
        public readonly int Deleted = r.GetOrdinal("deleted");
        public readonly int Group = r.GetOrdinal("grp");
        public readonly int Pid = r.GetOrdinal("pid");
        public readonly int PidStart = r.GetOrdinal("pid_start");
        public readonly int BootId = r.GetOrdinal("boot_id");
        public readonly int ResumedFrom = r.GetOrdinal("resumed_from");
        public readonly int Schedule = r.GetOrdinal("schedule");
    }

    private static RunRecord ReadRun(SqliteDataReader r, Columns c)
    {
        string? Text(int column) => r.GetValue(column) as string;
        DateTimeOffset? When(int column) => Text(column) is { } text ? ParseTime(text) : null;
        return new RunRecord
        {
            Id = Text(c.Id)!,
            ExperimentName = Text(c.ExpName),
            ExperimentRef = Text(c.ExpRef),
            Commit = Text(c.Commit),
            Baseline = Text(c.Baseline)!,
            Branch = Text(c.Branch),
            Dirty = r.GetInt32(c.Dirty) != 0,
            GitUser = Text(c.User),
            Command = Text(c.Command) ?? "",
            Host = Text(c.Host) ?? "",
            Kind = Text(c.Kind)!,
            Status = Enum.Parse<RunStatus>(Text(c.Status)!, ignoreCase: true),
            Created = When(c.Created)!.Value,
            Started = When(c.Started),
            Finished = When(c.Finished),
            ExitCode = r.GetValue(c.ExitCode) is long exitCode ? (int)exitCode : null,
            LogPath = Text(c.LogPath),
            Title = Text(c.Title),
            Notes = Text(c.Notes),
            Bookmarked = r.GetInt32(c.Bookmarked) != 0,
            Archived = r.GetInt32(c.Archived) != 0,
            Deleted = r.GetInt32(c.Deleted) != 0,
            Group = Text(c.Group),
            ResumedFrom = Text(c.ResumedFrom),
            Schedule = Text(c.Schedule),
            Process =
                r.GetValue(c.Pid) is long pid && r.GetValue(c.PidStart) is long start
                    ? new ProcessIdentity(Text(c.Host) ?? "", (int)pid, start, Text(c.BootId))
                    : null,
        };
    }

    /// <summary>Times are written round-trip ("O", see <see cref="Time"/>); anything else goes through the general parser.</summary>
    internal static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private void Migrate()
    {
        Execute("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
        while (true)
        {
            // An immediate transaction holds the write lock, and the version is read inside it: two
            // processes opening a new store at once (parallel queue workers) apply each migration once.
            using var transaction = _connection.BeginTransaction(deferred: false);
            using var current = Command("SELECT MAX(version) FROM schema_version");
            var version = current.ExecuteScalar() is long v ? (int)v : 0;
            if (version > Migrations.Length)
            {
                throw new ExpException(
                    ExitCode.InvalidProject,
                    $".exp/runs.db: schema version {version} is newer than this dotnet exp knows ({Migrations.Length}); update the tool"
                );
            }

            if (version == Migrations.Length)
            {
                return;
            }

            // Migrations may call the store's SQL functions (version 4 parses numbers with exp_number).
            RunQuerySql.Register(_connection, _functions, Migrations[version]);
            Execute(Migrations[version]);
            Execute("INSERT INTO schema_version VALUES($v)", ("$v", version + 1));
            transaction.Commit();
        }
    }

    /// <summary>A node over a parsed element, as <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> makes.</summary>
    private static JsonNode? Node(JsonElement element) =>
        element.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Object => JsonObject.Create(element),
            JsonValueKind.Array => JsonArray.Create(element),
            _ => JsonValue.Create(element),
        };

    private static JsonNode? Json(string? json) => json is null ? null : JsonNode.Parse(json);

    private static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
