using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>
/// The run store, <c>.exp/runs.db</c>: one SQLite file in WAL mode with a busy timeout, so parallel
/// queue workers and a reader (the UI) never block each other for long. The schema is versioned:
/// <see cref="Migrations"/> are applied in order on open.
/// </summary>
public sealed class RunStore : IDisposable
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
    ];

    /// <summary>Above this many runs, Load reads the child tables whole and keeps the rows of its runs.</summary>
    private const int ScanAbove = 500;

    private readonly SqliteConnection _connection;

    private RunStore(SqliteConnection connection) => _connection = connection;

    public static int SchemaVersion => Migrations.Length;

    public static RunStore Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString()
        );
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
        var store = new RunStore(connection);
        store.Migrate();
        return store;
    }

    /// <summary>Inserts or replaces a run with its params, metrics, artifacts, tags and checkpoints; annotations already set are kept unless the record sets them.</summary>
    public void Save(RunRecord run)
    {
        using var transaction = _connection.BeginTransaction();
        var existing = Load("WHERE id = $id", ("$id", run.Id)).FirstOrDefault();
        run = run with
        {
            Title = run.Title ?? existing?.Title,
            Notes = run.Notes ?? existing?.Notes,
            Group = run.Group ?? existing?.Group,
            Bookmarked = run.Bookmarked || existing?.Bookmarked == true,
            Archived = run.Archived || existing?.Archived == true,
            Deleted = run.Deleted || existing?.Deleted == true,
            Tags = run.Tags.Concat(existing?.Tags ?? []).Distinct(StringComparer.Ordinal).ToList(),
        };
        Execute(
            """
            INSERT INTO runs(id, exp_name, exp_ref, commit_sha, baseline, branch, dirty, git_user, command, host, kind, status,
                created, started, finished, exit_code, log_path, title, notes, bookmarked, archived, deleted, grp)
            VALUES($id, $exp_name, $exp_ref, $commit, $baseline, $branch, $dirty, $user, $command, $host, $kind, $status,
                $created, $started, $finished, $exit, $log, $title, $notes, $bookmarked, $archived, $deleted, $grp)
            ON CONFLICT(id) DO UPDATE SET
                -- An update, never a delete and insert: that would cascade to the run's metric history.
                exp_name = excluded.exp_name, exp_ref = excluded.exp_ref, commit_sha = excluded.commit_sha, baseline = excluded.baseline, branch = excluded.branch, dirty = excluded.dirty, git_user = excluded.git_user, command = excluded.command, host = excluded.host, kind = excluded.kind, status = excluded.status, created = excluded.created, started = excluded.started, finished = excluded.finished, exit_code = excluded.exit_code, log_path = excluded.log_path, title = excluded.title, notes = excluded.notes, bookmarked = excluded.bookmarked, archived = excluded.archived, deleted = excluded.deleted, grp = excluded.grp
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
            ("$grp", run.Group)
        );
        foreach (var table in new[] { "params", "metrics", "artifacts", "tags", "checkpoints", "executions" })
        {
            Execute($"DELETE FROM {table} WHERE run_id = $id", ("$id", run.Id));
        }

        foreach (var (key, value) in run.Params)
        {
            Execute(
                "INSERT INTO params VALUES($id, $key, $value)",
                ("$id", run.Id),
                ("$key", key),
                ("$value", value?.ToJsonString())
            );
        }

        foreach (var (key, summary) in run.Metrics)
        {
            Execute(
                "INSERT INTO metrics VALUES($id, $key, $last, $min, $max)",
                ("$id", run.Id),
                ("$key", key),
                ("$last", summary.Last?.ToJsonString()),
                ("$min", summary.Min),
                ("$max", summary.Max)
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

        var seq = 0;
        foreach (var execution in run.Executions)
        {
            Execute(
                "INSERT INTO executions VALUES($id, $seq, $stage, $status, $started, $finished, $ms, $hit, $exit)",
                ("$id", run.Id),
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

        transaction.Commit();
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
    /// One page of the runs that are (not) archived and not deleted, optionally of one group, in the order of
    /// <c>runs list</c>: bookmarked first, then newest first. Only the page's runs are loaded with their child
    /// rows; <see cref="RunPage.Total"/> and the keys cover every matching run.
    /// </summary>
    public RunPage Page(bool archived, string? group, long offset, int limit)
    {
        var where = "WHERE deleted = 0 AND archived = $archived" + (group is null ? "" : " AND grp = $grp");
        (string, object?)[] parameters = group is null
            ? [("$archived", archived ? 1 : 0)]
            : [("$archived", archived ? 1 : 0), ("$grp", group)];
        using var count = Command($"SELECT COUNT(*) FROM runs {where}", parameters);
        var total = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        var runs = Load(
            where,
            // created is written as UTC "O" text (Time), so text order is time order.
            $"ORDER BY bookmarked DESC, created DESC, id LIMIT {limit.ToString(CultureInfo.InvariantCulture)} OFFSET {offset.ToString(CultureInfo.InvariantCulture)}",
            parameters
        );
        return new RunPage(total, runs, Keys("metrics", where, parameters), Keys("params", where, parameters));
    }

    /// <summary>
    /// Runs with just enough loaded to evaluate a filter: their own fields, tags, and only the params and
    /// metrics it names (a bare key matches <c>file:key</c> in any file). Ten thousand runs load in tens of
    /// milliseconds this way, against a second or more for every value of every run.
    /// </summary>
    public IReadOnlyList<RunRecord> ListForFilter(bool includeArchived, RunFilter filter)
    {
        var runs = new List<RunRecord>();
        using (
            var query = Command(
                $"SELECT * FROM runs WHERE deleted = 0 {(includeArchived ? "" : "AND archived = 0")} ORDER BY created DESC, id"
            )
        )
        using (var reader = query.ExecuteReader())
        {
            var columns = new Columns(reader);
            while (reader.Read())
            {
                runs.Add(ReadRun(reader, columns));
            }
        }

        var ids = runs.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var parameters = Keyed("params", "value", filter.ParamKeys, ids);
        var metrics = Keyed("metrics", "last", filter.MetricKeys, ids);
        var tags = Group("SELECT run_id, tag FROM tags", ids, [], r => r.GetString(1));
        return runs.Select(r =>
                r with
                {
                    Params = parameters.GetValueOrDefault(r.Id) ?? [],
                    Metrics =
                        metrics
                            .GetValueOrDefault(r.Id)
                            ?.ToDictionary(m => m.Key, m => new MetricSummary(m.Value, null, null), StringComparer.Ordinal)
                        ?? [],
                    Tags = tags.GetValueOrDefault(r.Id) ?? [],
                }
            )
            .ToList();
    }

    /// <summary>Runs by exact id, fully loaded, newest first.</summary>
    public IReadOnlyList<RunRecord> GetMany(IReadOnlyCollection<string> ids) =>
        ids.Count == 0
            ? []
            : Load("WHERE id IN (SELECT value FROM json_each($ids))", ("$ids", System.Text.Json.JsonSerializer.Serialize(ids)));

    private Dictionary<string, Dictionary<string, JsonNode?>> Keyed(
        string table,
        string column,
        IReadOnlySet<string> keys,
        IReadOnlySet<string> ids
    )
    {
        var result = new Dictionary<string, Dictionary<string, JsonNode?>>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return result;
        }

        var conditions = new List<string>();
        var parameters = new List<(string Name, object? Value)>();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            conditions.Add($"key = $k{i} OR key LIKE $l{i} ESCAPE '\\'");
            parameters.Add(($"$k{i}", key));
            parameters.Add(($"$l{i}", "%:" + EscapeLike(key)));
        }

        foreach (
            var (runId, key, value) in Group(
                    $"SELECT run_id, key, {column} FROM {table} WHERE {string.Join(" OR ", conditions)}",
                    ids,
                    parameters.ToArray(),
                    r => (r.GetString(0), r.GetString(1), Json(r, 2))
                )
                .SelectMany(g => g.Value)
        )
        {
            if (!result.TryGetValue(runId, out var values))
            {
                values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                result[runId] = values;
            }

            values[key] = value;
        }

        return result;
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
        using var query = Command(
            "SELECT grp, COUNT(*) FROM runs WHERE deleted = 0 AND archived = $archived AND grp IS NOT NULL GROUP BY grp ORDER BY grp",
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

    /// <summary>The distinct keys of a child table over the runs that match, in ordinal order.</summary>
    private List<string> Keys(string table, string where, (string Name, object? Value)[] parameters)
    {
        // A skip scan over the key index (one search per distinct key), each key kept if any matching run has it.
        using var query = Command(
            $"""
            WITH RECURSIVE k(key) AS (
                SELECT (SELECT MIN(key) FROM {table})
                UNION ALL
                SELECT (SELECT MIN(key) FROM {table} WHERE key > k.key) FROM k WHERE k.key IS NOT NULL)
            SELECT key FROM k
            WHERE key IS NOT NULL AND EXISTS (SELECT 1 FROM {table} c WHERE c.key = k.key AND c.run_id IN (SELECT id FROM runs {where}))
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
        Load(where, "ORDER BY created DESC, id", parameters);

    private List<RunRecord> Load(string where, string orderAndLimit, (string Name, object? Value)[] parameters)
    {
        var runs = new Dictionary<string, RunRecord>(StringComparer.Ordinal);
        var order = new List<string>();
        using (var query = Command($"SELECT * FROM runs {where} {orderAndLimit}", parameters))
        using (var reader = query.ExecuteReader())
        {
            var columns = new Columns(reader);
            while (reader.Read())
            {
                var run = ReadRun(reader, columns);
                runs[run.Id] = run;
                order.Add(run.Id);
            }
        }

        if (runs.Count == 0)
        {
            return [];
        }

        // The child rows of these runs only, through the same condition: a Save, a Get or a page must not read
        // every run's params and metrics (that made recording the N-th run cost O(N)). Many runs (a whole
        // list) are read faster by one scan of each table than by an index search per run.
        var ids = runs.Keys.ToHashSet(StringComparer.Ordinal);
        var only = runs.Count > ScanAbove ? "" : $"WHERE run_id IN (SELECT id FROM runs {where} {orderAndLimit})";
        var paramsByRun = Group(
            $"SELECT run_id, key, value FROM params {only}",
            ids,
            parameters,
            r => (r.GetString(1), Json(r, 2))
        );
        var metricsByRun = Group(
            $"SELECT run_id, key, last, min, max FROM metrics {only}",
            ids,
            parameters,
            r =>
                (
                    r.GetString(1),
                    new MetricSummary(Json(r, 2), r.IsDBNull(3) ? null : r.GetDouble(3), r.IsDBNull(4) ? null : r.GetDouble(4))
                )
        );
        var artifactsByRun = Group(
            $"SELECT run_id, path, sha256, size, kind FROM artifacts {only}",
            ids,
            parameters,
            r => new ArtifactRecord(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4))
        );
        var tagsByRun = Group($"SELECT run_id, tag FROM tags {only}", ids, parameters, r => r.GetString(1));
        var checkpointsByRun = Group(
            $"SELECT run_id, commit_sha, step FROM checkpoints {only} ORDER BY step",
            ids,
            parameters,
            r => (r.GetString(1), r.GetInt32(2))
        );
        var executionsByRun = Group(
            $"SELECT run_id, stage, status, started, finished, cache_hit, exit_code FROM executions {only} ORDER BY run_id, seq",
            ids,
            parameters,
            r => new ExecutionRecord(
                r.GetString(1),
                r.GetString(2),
                DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture),
                r.GetInt32(5) != 0,
                r.IsDBNull(6) ? null : r.GetInt32(6)
            )
        );
        return order
            .Select(id =>
                runs[id] with
                {
                    Params =
                        paramsByRun.GetValueOrDefault(id)?.ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal) ?? [],
                    Metrics =
                        metricsByRun.GetValueOrDefault(id)?.ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal)
                        ?? [],
                    Artifacts = artifactsByRun.GetValueOrDefault(id) ?? [],
                    Tags = tagsByRun.GetValueOrDefault(id) ?? [],
                    Checkpoints = checkpointsByRun.GetValueOrDefault(id) ?? [],
                    Executions = executionsByRun.GetValueOrDefault(id) ?? [],
                }
            )
            .ToList();
    }

    private Dictionary<string, List<T>> Group<T>(
        string sql,
        IReadOnlySet<string> ids,
        (string Name, object? Value)[] parameters,
        Func<SqliteDataReader, T> read
    )
    {
        var groups = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        using var query = Command(sql, parameters);
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            if (!ids.Contains(id))
            {
                continue;
            }

            if (!groups.TryGetValue(id, out var list))
            {
                list = [];
                groups[id] = list;
            }

            list.Add(read(reader));
        }

        return groups;
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
    }

    private static RunRecord ReadRun(SqliteDataReader r, Columns c)
    {
        string? Text(int column) => r.IsDBNull(column) ? null : r.GetString(column);
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
            ExitCode = r.IsDBNull(c.ExitCode) ? null : r.GetInt32(c.ExitCode),
            LogPath = Text(c.LogPath),
            Title = Text(c.Title),
            Notes = Text(c.Notes),
            Bookmarked = r.GetInt32(c.Bookmarked) != 0,
            Archived = r.GetInt32(c.Archived) != 0,
            Deleted = r.GetInt32(c.Deleted) != 0,
            Group = Text(c.Group),
        };
    }

    /// <summary>Times are written round-trip ("O", see <see cref="Time"/>); anything else goes through the general parser.</summary>
    private static DateTimeOffset ParseTime(string text) =>
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

            Execute(Migrations[version]);
            Execute("INSERT INTO schema_version VALUES($v)", ("$v", version + 1));
            transaction.Commit();
        }
    }

    private static JsonNode? Json(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonNode.Parse(reader.GetString(ordinal));

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
