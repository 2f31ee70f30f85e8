using System.Text.Json.Nodes;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>The run store on a real SQLite file: round trips, annotation merging, lookups, purge, migrations.</summary>
public sealed class RunStoreTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose()
    {
        // Pooled connections keep the file open; release them before deleting the folder.
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private string DbPath => _tmp.Combine(".exp", "runs.db");

    private static RunRecord Run(string id, DateTimeOffset? created = null) =>
        new()
        {
            Id = id,
            Baseline = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8b9b0",
            Kind = "workspace",
            Status = RunStatus.Running,
            Created = created ?? new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        };

    private static RunRecord Full() =>
        new()
        {
            Id = "a1b2c3d4e5f6",
            ExperimentName = "bold-lark",
            ExperimentRef = "refs/exps/b1/b2b3/bold-lark",
            Commit = "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff",
            Baseline = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8b9b0",
            Branch = "main",
            Dirty = true,
            GitUser = "Ada Lovelace",
            Command = "dotnet exp run -S train.lr=0.01",
            Host = "build-host",
            Kind = "queue",
            Status = RunStatus.Failed,
            // Non-UTC offsets: the store keeps the instant, in UTC.
            Created = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.FromHours(2)),
            Started = new DateTimeOffset(2025, 3, 4, 10, 0, 1, 250, TimeSpan.FromHours(2)),
            Finished = new DateTimeOffset(2025, 3, 4, 3, 30, 0, TimeSpan.FromHours(-5)),
            ExitCode = 3,
            LogPath = ".exp/logs/a1b2c3d4e5f6.log",
            Title = "baseline with dropout",
            Notes = "first try\nsecond line",
            Bookmarked = true,
            Archived = true,
            Deleted = true,
            Group = "dropout-sweep",
            Tags = ["keep", "paper"],
            Params = new Dictionary<string, JsonNode?>
            {
                ["params.yaml:train.lr"] = JsonValue.Create(0.01),
                ["params.yaml:model.name"] = JsonValue.Create("resnet 50"),
                ["params.yaml:layers"] = new JsonArray(64, 128),
                ["params.yaml:nothing"] = null,
            },
            Metrics = new Dictionary<string, MetricSummary>
            {
                ["metrics.json:acc"] = new(JsonValue.Create(0.93), 0.5, 0.95),
                ["metrics.json:label"] = new(JsonValue.Create("good"), null, null),
            },
            Artifacts =
            [
                new ArtifactRecord("model/model.bin", new string('a', 64), 1234, "out"),
                new ArtifactRecord("plots/acc.tsv", new string('b', 64), 56, "plot"),
            ],
            Checkpoints = [("c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", 1), ("c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2", 2)],
            Executions =
            [
                new ExecutionRecord(
                    "train",
                    "failed",
                    new DateTimeOffset(2025, 3, 4, 8, 0, 1, TimeSpan.Zero),
                    new DateTimeOffset(2025, 3, 4, 8, 0, 9, TimeSpan.Zero),
                    false,
                    3
                ),
            ],
        };

    [Fact]
    public void The_latest_run_of_a_name_is_found_in_sql_archived_ones_included_deleted_ones_not()
    {
        var day = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero);
        using var store = RunStore.Open(DbPath);
        store.Save(Run("old00000") with { ExperimentName = "lark", Created = day });
        store.Save(Run("new00000") with { ExperimentName = "lark", Created = day.AddHours(1), Archived = true });
        store.Save(Run("gone0000") with { ExperimentName = "lark", Created = day.AddHours(2), Deleted = true });
        store.Save(Run("other000") with { ExperimentName = "wren", Created = day.AddHours(3) });

        Assert.Equal("new00000", store.LatestNamed("lark")?.Id);
        Assert.Equal("wren", store.LatestNamed("wren")?.ExperimentName);
        Assert.Null(store.LatestNamed("owl"));
    }

    [Fact]
    public void Every_field_round_trips_through_save_and_get_with_times_in_utc()
    {
        var saved = Full();
        using (var store = RunStore.Open(DbPath))
        {
            store.Save(saved);
        }

        using var reopened = RunStore.Open(DbPath);
        var loaded = reopened.Get(saved.Id)!;

        Assert.Equal(saved.Id, loaded.Id);
        Assert.Equal(saved.ExperimentName, loaded.ExperimentName);
        Assert.Equal(saved.ExperimentRef, loaded.ExperimentRef);
        Assert.Equal(saved.Commit, loaded.Commit);
        Assert.Equal(saved.Baseline, loaded.Baseline);
        Assert.Equal(saved.Branch, loaded.Branch);
        Assert.True(loaded.Dirty);
        Assert.Equal(saved.GitUser, loaded.GitUser);
        Assert.Equal(saved.Command, loaded.Command);
        Assert.Equal(saved.Host, loaded.Host);
        Assert.Equal("queue", loaded.Kind);
        Assert.Equal(RunStatus.Failed, loaded.Status);
        Assert.Equal(saved.Created, loaded.Created);
        Assert.Equal(saved.Started, loaded.Started);
        Assert.Equal(saved.Finished, loaded.Finished);
        Assert.Equal(TimeSpan.Zero, loaded.Created.Offset);
        Assert.Equal(TimeSpan.Zero, loaded.Started!.Value.Offset);
        Assert.Equal(TimeSpan.Zero, loaded.Finished!.Value.Offset);
        Assert.Equal(new DateTime(2025, 3, 4, 8, 0, 0), loaded.Created.UtcDateTime);
        Assert.Equal(saved.Duration, loaded.Duration);
        Assert.Equal(3, loaded.ExitCode);
        Assert.Equal(saved.LogPath, loaded.LogPath);
        Assert.Equal(saved.Title, loaded.Title);
        Assert.Equal(saved.Notes, loaded.Notes);
        Assert.True(loaded.Bookmarked);
        Assert.True(loaded.Archived);
        Assert.True(loaded.Deleted);
        Assert.Equal(saved.Group, loaded.Group);
        Assert.Equal(saved.Tags.Order(StringComparer.Ordinal), loaded.Tags.Order(StringComparer.Ordinal));

        Assert.Equal(saved.Params.Keys.Order(StringComparer.Ordinal), loaded.Params.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in saved.Params)
        {
            Assert.True(JsonNode.DeepEquals(value, loaded.Params[key]), $"param {key}: {loaded.Params[key]?.ToJsonString()}");
        }

        Assert.Equal(saved.Metrics.Keys.Order(StringComparer.Ordinal), loaded.Metrics.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, summary) in saved.Metrics)
        {
            var back = loaded.Metrics[key];
            Assert.True(JsonNode.DeepEquals(summary.Last, back.Last), $"metric {key}: {back.Last?.ToJsonString()}");
            Assert.Equal(summary.Min, back.Min);
            Assert.Equal(summary.Max, back.Max);
        }

        Assert.Equal(saved.Artifacts, loaded.Artifacts.OrderBy(a => a.Path, StringComparer.Ordinal));
        Assert.Equal(saved.Checkpoints, loaded.Checkpoints);
    }

    [Fact]
    public void Save_of_a_finishing_run_keeps_annotations_set_meanwhile()
    {
        using var store = RunStore.Open(DbPath);
        var started = Run("000000000001");
        store.Save(started);
        store.Replace(
            store.Get(started.Id)! with
            {
                Title = "the good one",
                Notes = "set while it ran",
                Group = "g",
                Tags = ["keep"],
                Bookmarked = true,
            }
        );

        store.Save(started with { Status = RunStatus.Succeeded, ExitCode = 0 });

        var loaded = store.Get(started.Id)!;
        Assert.Equal(RunStatus.Succeeded, loaded.Status);
        Assert.Equal("the good one", loaded.Title);
        Assert.Equal("set while it ran", loaded.Notes);
        Assert.Equal("g", loaded.Group);
        Assert.Equal(["keep"], loaded.Tags);
        Assert.True(loaded.Bookmarked);
    }

    [Fact]
    public void Replace_writes_exactly_what_it_is_given_clearing_annotations()
    {
        using var store = RunStore.Open(DbPath);
        var run = Run("000000000001") with
        {
            Title = "t",
            Notes = "n",
            Group = "g",
            Tags = ["a", "b"],
            Bookmarked = true,
            Archived = true,
        };
        store.Save(run);

        store.Replace(run with { Title = null, Notes = null, Group = null, Tags = ["b"], Bookmarked = false, Archived = false });

        var loaded = store.Get(run.Id)!;
        Assert.Null(loaded.Title);
        Assert.Null(loaded.Notes);
        Assert.Null(loaded.Group);
        Assert.Equal(["b"], loaded.Tags);
        Assert.False(loaded.Bookmarked);
        Assert.False(loaded.Archived);
    }

    [Fact]
    public void Groups_lists_the_groups_of_the_shown_runs_by_name_with_their_counts()
    {
        using var store = RunStore.Open(DbPath);
        var groups = new[] { "sweep", "baseline", "sweep", null, "gone", "old" };
        for (var i = 0; i < groups.Length; i++)
        {
            store.Save(Run($"r{i}") with { Group = groups[i], Deleted = groups[i] == "gone", Archived = groups[i] == "old" });
        }

        Assert.Equal([new RunGroup("baseline", 1), new RunGroup("sweep", 2)], store.Groups(archived: false));
        Assert.Equal([new RunGroup("old", 1)], store.Groups(archived: true));
    }

    [Fact]
    public void Metric_history_survives_save_and_replace()
    {
        using var store = RunStore.Open(DbPath);
        var run = Run("000000000001");
        store.Save(run);
        store.SaveMetricHistory(run.Id, "acc", [(1, 0.5), (2, 0.75), (3, 0.9)]);

        store.Save(run with { Status = RunStatus.Succeeded });
        store.Replace(run with { Title = "renamed" });

        Assert.Equal([(1L, 0.5), (2L, 0.75), (3L, 0.9)], store.MetricHistory(run.Id, "acc"));
        Assert.Equal("renamed", store.Get(run.Id)!.Title);
    }

    [Fact]
    public void A_metrics_history_is_read_by_its_key_and_an_older_runs_bare_key_only_when_one_metric_has_it()
    {
        using var store = RunStore.Open(DbPath);
        MetricSummary summary = new(JsonValue.Create(1.0), 1, 1);
        var run = Run("000000000001") with
        {
            Metrics = new Dictionary<string, MetricSummary>
            {
                ["a/metrics.json:acc"] = summary,
                ["b/metrics.json:acc"] = summary,
                ["a/metrics.json:train.loss"] = summary,
                ["a/metrics.json:f1"] = summary,
            },
        };
        store.Save(run);
        store.SaveMetricHistory(run.Id, "a/metrics.json:acc", [(1, 0.1)]);
        store.SaveMetricHistory(run.Id, "b/metrics.json:acc", [(1, 0.2)]);
        store.SaveMetricHistory(run.Id, "a/metrics.json:train.loss", [(1, 0.3)]);
        // As a run recorded before histories were keyed by metric left them: the key without its file.
        var older = Run("000000000002") with
        {
            Metrics = run.Metrics,
        };
        store.Save(older);
        store.SaveMetricHistory(older.Id, "acc", [(1, 0.4)]);
        store.SaveMetricHistory(older.Id, "train.loss", [(1, 0.5)]);

        Assert.Equal([(1L, 0.1)], store.MetricHistory(run, "a/metrics.json:acc"));
        Assert.Equal([(1L, 0.2)], store.MetricHistory(run, "b/metrics.json:acc"));
        Assert.Equal([(1L, 0.3)], store.MetricHistory(run, "a/metrics.json:train.loss"));
        Assert.Empty(store.MetricHistory(run, "a/metrics.json:f1"));
        Assert.Equal(["a/metrics.json:acc", "b/metrics.json:acc", "a/metrics.json:train.loss"], store.MetricsWithHistory(run));
        Assert.Equal([(1L, 0.5)], store.MetricHistory(older, "a/metrics.json:train.loss"));
        Assert.Empty(store.MetricHistory(older, "a/metrics.json:acc")); // acc is held by two files: not a guess
        Assert.Equal(["a/metrics.json:train.loss"], store.MetricsWithHistory(older));
    }

    [Fact]
    public void Get_finds_a_run_by_unique_prefix_and_refuses_an_ambiguous_one()
    {
        using var store = RunStore.Open(DbPath);
        store.Save(Run("abc111111111"));
        store.Save(Run("abc222222222"));
        store.Save(Run("def333333333"));

        Assert.Equal("abc222222222", store.Get("abc2")!.Id);
        Assert.Equal("def333333333", store.Get("def333333333")!.Id);
        Assert.Null(store.Get("zzz"));
        // LIKE wildcards in an id are text, not patterns.
        Assert.Null(store.Get("%"));
        Assert.Null(store.Get("_bc"));

        var error = Assert.Throws<ExpException>(() => store.Get("abc"));
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains("'abc'", error.Message);
        Assert.Contains("abc111111111", error.Message);
        Assert.Contains("abc222222222", error.Message);
    }

    [Fact]
    public void List_hides_archived_and_deleted_runs_unless_asked_and_lists_newest_first()
    {
        using var store = RunStore.Open(DbPath);
        var t = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        store.Save(Run("000000000001", t));
        store.Save(Run("000000000002", t.AddMinutes(1)) with { Archived = true });
        store.Save(Run("000000000003", t.AddMinutes(2)) with { Deleted = true });
        store.Save(Run("000000000004", t.AddMinutes(3)));

        Assert.Equal(["000000000004", "000000000001"], store.List().Select(r => r.Id));
        Assert.Equal(["000000000004", "000000000002", "000000000001"], store.List(includeArchived: true).Select(r => r.Id));
        Assert.Equal(["000000000004", "000000000003", "000000000001"], store.List(includeDeleted: true).Select(r => r.Id));
        Assert.Equal(4, store.List(includeArchived: true, includeDeleted: true).Count);
    }

    [Fact]
    public void Purge_removes_only_soft_deleted_runs_and_their_rows()
    {
        using (var store = RunStore.Open(DbPath))
        {
            var kept = Full() with { Id = "keptkeptkept", Deleted = false, Archived = true };
            var gone = Full() with { Id = "gonegonegone", Deleted = true };
            store.Save(kept);
            store.Save(gone);
            store.SaveMetricHistory(kept.Id, "acc", [(1, 0.5)]);
            store.SaveMetricHistory(gone.Id, "acc", [(1, 0.5)]);

            Assert.Equal(1, store.Purge());

            Assert.Null(store.Get(gone.Id));
            Assert.NotNull(store.Get(kept.Id));
            Assert.Equal([(1L, 0.5)], store.MetricHistory(kept.Id, "acc"));
            Assert.Empty(store.MetricHistory(gone.Id, "acc"));
            Assert.Equal(0, store.Purge());
        }

        using var connection = OpenRaw();
        Assert.Equal(0L, Scalar(connection, "SELECT COUNT(*) FROM runs WHERE id = 'gonegonegone'"));
        foreach (var table in new[] { "params", "metrics", "metric_steps", "artifacts", "tags", "checkpoints", "executions" })
        {
            Assert.Equal(0L, Scalar(connection, $"SELECT COUNT(*) FROM {table} WHERE run_id = 'gonegonegone'"));
            Assert.True((long)Scalar(connection, $"SELECT COUNT(*) FROM {table} WHERE run_id = 'keptkeptkept'")! > 0, table);
        }
    }

    [Fact]
    public void A_fresh_file_gets_the_current_schema_version_and_reopening_applies_nothing_twice()
    {
        using (var store = RunStore.Open(DbPath))
        {
            store.Save(Run("000000000001"));
        }

        using (RunStore.Open(DbPath)) { }
        using (var again = RunStore.Open(DbPath))
        {
            Assert.NotNull(again.Get("000000000001"));
        }

        using var connection = OpenRaw();
        Assert.Equal((long)RunStore.SchemaVersion, Scalar(connection, "SELECT MAX(version) FROM schema_version"));
        Assert.Equal((long)RunStore.SchemaVersion, Scalar(connection, "SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public void A_file_of_a_newer_schema_is_refused_naming_the_file()
    {
        using (RunStore.Open(DbPath)) { }
        using (var connection = OpenRaw())
        {
            Scalar(connection, $"INSERT INTO schema_version VALUES({RunStore.SchemaVersion + 1})");
        }

        SqliteConnection.ClearAllPools();
        var error = Assert.Throws<ExpException>(() => RunStore.Open(DbPath));
        Assert.Contains(".exp/runs.db", error.Message);
        Assert.Contains((RunStore.SchemaVersion + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public void Executions_round_trip_in_order_and_a_second_save_replaces_them()
    {
        var start = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);
        var run = Run("e1e2e3e4e5e6") with
        {
            Executions =
            [
                new ExecutionRecord("prepare", "up-to-date", start, start.AddMilliseconds(12), true, null),
                new ExecutionRecord("train", "failed", start.AddSeconds(1), start.AddSeconds(3.5), false, 3),
            ],
        };
        using (var store = RunStore.Open(DbPath))
        {
            store.Save(run);
            var loaded = store.Get("e1e2e3e4e5e6")!;
            Assert.Equal(run.Executions, loaded.Executions);
            Assert.Equal([12L, 2500L], loaded.Executions.Select(e => e.DurationMs));

            store.Save(run with { Executions = [run.Executions[1]] });
            Assert.Equal(["train"], store.Get("e1e2e3e4e5e6")!.Executions.Select(e => e.Stage));
        }
    }

    [Fact]
    public void SaveExecutions_replaces_only_the_runs_executions_and_skips_a_run_the_store_does_not_hold()
    {
        var start = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);
        var run = Run("f1f2f3f4f5f6") with
        {
            Title = "kept",
            Tags = ["kept"],
            Params = new Dictionary<string, JsonNode?> { ["p.yaml:lr"] = 0.1 },
        };
        var prepare = new ExecutionRecord("prepare", "ran", start, start.AddSeconds(2), false, null);
        var training = new ExecutionRecord(
            "train",
            ExecutionRecord.Running,
            start.AddSeconds(2),
            start.AddSeconds(2),
            false,
            null
        );
        using var store = RunStore.Open(DbPath);
        store.Save(run);

        store.SaveExecutions(run.Id, [prepare, training]);
        store.SaveExecutions("000000000000", [prepare]);

        var loaded = store.Get(run.Id)!;
        Assert.Equal([prepare, training], loaded.Executions);
        Assert.Equal(("kept", RunStatus.Running), (loaded.Title, loaded.Status));
        Assert.Equal(["kept"], loaded.Tags);
        Assert.Equal(["p.yaml:lr"], loaded.Params.Keys);
        Assert.Null(store.Get("000000000000"));

        // The run's final save writes them all again: each stage once.
        var trained = training with
        {
            Status = "ran",
            Finished = start.AddSeconds(5),
        };
        store.Save(loaded with { Status = RunStatus.Succeeded, Executions = [prepare, trained] });
        Assert.Equal([prepare, trained], store.Get(run.Id)!.Executions);
    }

    /// <summary>Takes back versions 5 (the run's process), 6 (resumed from), 7 (experiments) and 8 (schedules), for a test that makes an older store.</summary>
    private static void UndoVersionsFrom5(SqliteConnection connection)
    {
        Scalar(connection, "DROP TABLE schedules");
        Scalar(connection, "DROP TABLE run_groups");
        Scalar(connection, "DROP TABLE schedule_fires");
        Scalar(connection, "ALTER TABLE runs DROP COLUMN schedule");
        Scalar(connection, "DROP INDEX runs_running");
        Scalar(connection, "DROP INDEX checkpoints_commit");
        foreach (var column in new[] { "pid", "pid_start", "boot_id", "resumed_from" })
        {
            Scalar(connection, $"ALTER TABLE runs DROP COLUMN {column}");
        }
    }

    [Fact]
    public void A_store_from_before_executions_gets_the_table_and_keeps_its_runs()
    {
        using (var store = RunStore.Open(DbPath))
        {
            store.Save(Run("0000000000v1"));
        }

        using (var connection = OpenRaw())
        {
            // What a store written before executions (and stored numbers) existed looks like.
            Scalar(connection, "DROP TABLE executions");
            Scalar(connection, "ALTER TABLE params DROP COLUMN num");
            Scalar(connection, "ALTER TABLE metrics DROP COLUMN num");
            UndoVersionsFrom5(connection);
            Scalar(connection, "DELETE FROM schema_version WHERE version > 2");
        }

        SqliteConnection.ClearAllPools();
        var start = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);
        using (var upgraded = RunStore.Open(DbPath))
        {
            var old = upgraded.Get("0000000000v1")!;
            Assert.Empty(old.Executions);
            upgraded.Save(
                old with
                {
                    Executions = [new ExecutionRecord("train", "ran", start, start.AddSeconds(1), false, null)],
                }
            );
            Assert.Equal("ran", upgraded.Get("0000000000v1")!.Executions.Single().Status);
        }

        using var raw = OpenRaw();
        Assert.Equal((long)RunStore.SchemaVersion, Scalar(raw, "SELECT MAX(version) FROM schema_version"));
        Assert.Equal(RunStore.SchemaVersion - 2L, Scalar(raw, "SELECT COUNT(*) FROM schema_version WHERE version > 2"));
    }

    [Fact]
    public void A_store_from_before_stored_numbers_gets_them_parsed_by_dotnet_so_filters_and_sorts_compare_numbers()
    {
        using (var store = RunStore.Open(DbPath))
        {
            foreach (var (id, lr) in new[] { ("0000000000n1", "10"), ("0000000000n2", "1e-1"), ("0000000000n3", "\"0.2\"") })
            {
                store.Save(
                    Run(id) with
                    {
                        Params = new Dictionary<string, JsonNode?> { ["params.yaml:lr"] = JsonNode.Parse(lr) },
                        Metrics = new Dictionary<string, MetricSummary> { ["m.json:acc"] = new(JsonNode.Parse(lr), null, null) },
                    }
                );
            }
        }

        using (var connection = OpenRaw())
        {
            // Version 3: no num columns.
            Scalar(connection, "ALTER TABLE params DROP COLUMN num");
            Scalar(connection, "ALTER TABLE metrics DROP COLUMN num");
            UndoVersionsFrom5(connection);
            Scalar(connection, "DELETE FROM schema_version WHERE version > 3");
        }

        SqliteConnection.ClearAllPools();
        using (var upgraded = RunStore.Open(DbPath))
        {
            string[] Ids(string filter, string? sort = null) =>
                upgraded
                    .Find(new RunQuery { Filter = RunFilter.Parse(filter), Sort = RunSort.Parse(sort, descending: false) })
                    .Select(r => r.Id)
                    .ToArray();

            // As numbers 10 > 9 (as text "10" < "9"); the string "0.2" compares as text.
            Assert.Equal(["0000000000n1"], Ids("params.lr > 9 and metrics.acc > 9"));
            Assert.Equal(["0000000000n2", "0000000000n1", "0000000000n3"], Ids("params.lr != 7", "params.lr"));
        }

        using var raw = OpenRaw();
        Assert.Equal(0.1, Scalar(raw, "SELECT num FROM params WHERE run_id = '0000000000n2'"));
        Assert.Equal(DBNull.Value, Scalar(raw, "SELECT num FROM metrics WHERE run_id = '0000000000n3'"));
    }

    [Fact]
    public void The_store_is_in_wal_mode()
    {
        using (RunStore.Open(DbPath)) { }

        using var connection = OpenRaw();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode"));
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()
        );
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public void Page_is_the_list_order_sliced_with_the_total_and_keys_of_every_matching_run()
    {
        using var store = RunStore.Open(DbPath);
        var day = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 7; i++)
        {
            store.Save(
                Run($"r{i}", day.AddHours(i)) with
                {
                    Bookmarked = i == 2,
                    Archived = i == 6,
                    Deleted = i == 5,
                    Group = i % 2 == 0 ? "even" : null,
                    Params = new Dictionary<string, JsonNode?> { [$"params.yaml:p{i}"] = i },
                    Metrics = new Dictionary<string, MetricSummary> { ["m.json:acc"] = new(0.5, 0.1, 0.9) },
                }
            );
        }

        // List order with bookmarked first: r2, then r4 r3 r1 r0 (r5 deleted, r6 archived).
        var first = store.Page(new RunQuery(), offset: 0, limit: 2);
        Assert.Equal(5, first.Total);
        Assert.Equal(["r2", "r4"], first.Runs.Select(r => r.Id));
        Assert.Equal("params.yaml:p2", Assert.Single(first.Runs[0].Params).Key);
        Assert.Equal(["m.json:acc"], first.MetricKeys);
        Assert.Equal(["params.yaml:p0", "params.yaml:p1", "params.yaml:p2", "params.yaml:p3", "params.yaml:p4"], first.ParamKeys);
        Assert.Equal(["r1", "r0"], store.Page(new RunQuery(), 3, 2).Runs.Select(r => r.Id));
        Assert.Empty(store.Page(new RunQuery(), 10, 2).Runs);
        var even = store.Page(new RunQuery { Group = "even" }, 0, 10);
        Assert.Equal(["r2", "r4", "r0"], even.Runs.Select(r => r.Id));
        Assert.Equal(["params.yaml:p0", "params.yaml:p2", "params.yaml:p4"], even.ParamKeys);
        var archived = store.Page(new RunQuery { Archived = true }, offset: 0, limit: 10);
        Assert.Equal(["r6"], archived.Runs.Select(r => r.Id));
        Assert.Equal(["params.yaml:p6"], archived.ParamKeys);
    }
}
