using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Web.Tests;

/// <summary>
/// <c>GET /api/artifacts</c> and <c>GET /api/executions</c> through the real server over a store of several pages,
/// written straight into it: every page of every filter is what listing all the selected runs' rows in memory and
/// cutting pages of 50 gives (the oracle, the endpoints' definition before they paged in SQL).
/// </summary>
public sealed class CrossRunPagingApiTests(CrossRunPagingApiTests.ManyRows ui) : IClassFixture<CrossRunPagingApiTests.ManyRows>
{
    private const int PageSize = 50;

    /// <summary>
    /// 48 runs (some archived, some deleted, pairs created at the same time) with 1 to 5 artifacts and 1 to 5 stage
    /// executions each: paths, kinds, stages and statuses in mixed case and beyond ASCII, start times shared across
    /// runs and within one.
    /// </summary>
    public sealed class ManyRows : UiProject
    {
        private static readonly DateTimeOffset Day = new(2025, 5, 6, 7, 0, 0, TimeSpan.Zero);

        // U+FF21 (fullwidth A) sorts after U+1F600 (a surrogate pair) by UTF-16 code unit, before it by UTF-8 byte.
        private static readonly string[] Paths =
        [
            "model/model.bin",
            "metrics.json",
            "plots/Curve.png",
            "data/\u00c9t\u00e9.csv",
            "data/\u00e9t\u00e9-small.csv",
            "z/\uff21.txt",
            "z/\U0001F600.txt",
            "reports/100%_done.html",
        ];

        private static readonly string[] Kinds = ["out", "metric", "plot", "Plot", "out", "out", "out", "plot"];

        private static readonly string[] Stages = ["prepare", "train", "sub/exp.yaml:\u00c9valuer", "TRAIN-extra"];

        private static readonly string[] Statuses = ["ran", "up-to-date", "failed", "Restored"];

        public IReadOnlyList<RunRecord> Runs { get; } =
        [
            .. Enumerable
                .Range(0, 48)
                .Select(i => new RunRecord
                {
                    Id = string.Create(CultureInfo.InvariantCulture, $"{i * 29 % 48:D2}cd{i:D2}"),
                    ExperimentName = $"exp-{i:D2}",
                    Title = i % 3 == 0 ? $"T\u00edtulo {i}" : null,
                    Baseline = new string('b', 40),
                    Kind = "workspace",
                    Status = i % 4 == 1 ? RunStatus.Failed : RunStatus.Succeeded,
                    // Pairs share a creation time: the list order breaks the tie by id.
                    Created = Day.AddMinutes(i / 2),
                    Archived = i % 11 == 3,
                    Deleted = i % 13 == 5,
                    Params = new Dictionary<string, JsonNode?> { ["params.yaml:lr"] = JsonValue.Create(i / 100.0) },
                    Artifacts =
                    [
                        .. Enumerable
                            .Range(0, i % 5 + 1)
                            .Select(a => (i + (a * 3)) % Paths.Length)
                            .Distinct()
                            .Select(p => new ArtifactRecord(Paths[p], new string((char)('a' + p), 64), (i * 100) + p, Kinds[p])),
                    ],
                    Executions =
                    [
                        .. Enumerable
                            .Range(0, i % 5 + 1)
                            .Select(e =>
                            {
                                // Starts shared by many runs, and by two executions of a run when e is 1 or 2.
                                var started = Day.AddMinutes(i % 7).AddSeconds(Math.Min(e, 2) * 10);
                                return new ExecutionRecord(
                                    Stages[(i + e) % Stages.Length],
                                    Statuses[(i * e + e) % Statuses.Length],
                                    started,
                                    started.AddMilliseconds((i * 37) + e),
                                    (i + e) % 3 == 0,
                                    e == 3 ? i % 5 : null
                                );
                            }),
                    ],
                }),
        ];

        protected override Task PrepareAsync(TempGitRepo repo)
        {
            using (var store = RunStore.Open(Path.Combine(repo.Root, ".exp", "runs.db")))
            {
                foreach (var run in Runs)
                {
                    store.Save(run);
                }
            }

            SqliteConnection.ClearAllPools();
            return Task.CompletedTask;
        }

        /// <summary>The runs the endpoints list for a filter (as every list reads them), with their artifacts and executions.</summary>
        public List<RunRecord> Selected(string filter)
        {
            try
            {
                using var store = RunStore.Open(Path.Combine(Repo.Root, ".exp", "runs.db"));
                return
                [
                    .. store.Find(
                        new RunQuery
                        {
                            Filter = filter.Length == 0 ? null : RunFilter.Parse(filter, "filter"),
                            BookmarkedFirst = false,
                        },
                        RunParts.Artifacts | RunParts.Executions
                    ),
                ];
            }
            finally
            {
                SqliteConnection.ClearAllPools();
            }
        }
    }

    private static JsonObject RunFields(RunRecord run) =>
        new()
        {
            ["runId"] = run.Id,
            ["runName"] = run.ExperimentName,
            ["runTitle"] = run.Title,
            ["runStatus"] = run.Status.ToString().ToLowerInvariant(),
            ["created"] = run.Created.ToString("O", CultureInfo.InvariantCulture),
        };

    private static JsonArray Strings(IEnumerable<string> values) =>
        [.. values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(v => (JsonNode)v)];

    private static JsonObject Paged(int page, List<JsonObject> rows, string name, JsonObject extra)
    {
        var result = new JsonObject
        {
            ["total"] = rows.Count,
            ["page"] = page,
            ["pageSize"] = PageSize,
        };
        foreach (var (key, value) in extra)
        {
            result[key] = value?.DeepClone();
        }

        result[name] = new JsonArray([.. rows.Skip((page - 1) * PageSize).Take(PageSize).Select(r => r.DeepClone())]);
        return result;
    }

    /// <summary>Every row of the artifacts list in memory: each selected run's artifacts, runs in list order.</summary>
    private (List<JsonObject> Rows, JsonObject Extra) ArtifactsOracle(string q, string kind, string filter)
    {
        var all = ui.Selected(filter).SelectMany(r => r.Artifacts.Select(a => (Run: r, Artifact: a))).ToList();
        var rows = all.Where(x => q.Length == 0 || x.Artifact.Path.Contains(q, StringComparison.OrdinalIgnoreCase))
            .Where(x => kind.Length == 0 || string.Equals(x.Artifact.Kind, kind, StringComparison.OrdinalIgnoreCase))
            .Select(x =>
            {
                var json = RunFields(x.Run);
                json["path"] = x.Artifact.Path;
                json["kind"] = x.Artifact.Kind;
                json["size"] = x.Artifact.Size;
                json["sha256"] = x.Artifact.Sha256;
                json["directory"] = x.Artifact.Sha256.EndsWith(GitExp.Core.Cache.ContentHash.DirSuffix, StringComparison.Ordinal);
                json["url"] =
                    $"/api/runs/{Uri.EscapeDataString(x.Run.Id)}/artifacts/{string.Join('/', x.Artifact.Path.Split('/').Select(Uri.EscapeDataString))}";
                return json;
            })
            .ToList();
        return (rows, new JsonObject { ["kinds"] = Strings(all.Select(x => x.Artifact.Kind)) });
    }

    /// <summary>Every row of the executions list in memory: latest start first, ties in list order.</summary>
    private (List<JsonObject> Rows, JsonObject Extra) ExecutionsOracle(
        string stage,
        string status,
        string cacheHit,
        string filter
    )
    {
        var all = ui.Selected(filter).SelectMany(r => r.Executions.Select(e => (Run: r, Execution: e))).ToList();
        var rows = all.Where(x => stage.Length == 0 || x.Execution.Stage.Contains(stage, StringComparison.OrdinalIgnoreCase))
            .Where(x => status.Length == 0 || string.Equals(x.Execution.Status, status, StringComparison.OrdinalIgnoreCase))
            .Where(x => cacheHit.Length == 0 || x.Execution.CacheHit == (cacheHit == "true"))
            .OrderByDescending(x => x.Execution.Started)
            .Select(x =>
            {
                var json = RunFields(x.Run);
                json["stage"] = x.Execution.Stage;
                json["status"] = x.Execution.Status;
                json["started"] = x.Execution.Started.ToString("O", CultureInfo.InvariantCulture);
                json["finished"] = x.Execution.Finished.ToString("O", CultureInfo.InvariantCulture);
                json["duration_ms"] = x.Execution.DurationMs;
                json["cache_hit"] = x.Execution.CacheHit;
                json["exit_code"] = x.Execution.ExitCode;
                return json;
            })
            .ToList();
        return (
            rows,
            new JsonObject
            {
                ["stages"] = Strings(all.Select(x => x.Execution.Stage)),
                ["statuses"] = Strings(all.Select(x => x.Execution.Status)),
            }
        );
    }

    /// <summary>Every page the rows fill and the one after, each exactly as the oracle cuts it.</summary>
    private async Task AssertPagesAsync(string path, string name, (List<JsonObject> Rows, JsonObject Extra) oracle)
    {
        var pages = (oracle.Rows.Count + PageSize - 1) / PageSize;
        for (var page = 1; page <= pages + 1; page++)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            var answer = await ui.GetJsonAsync($"{path}{separator}page={page}");
            Assert.Equal(Paged(page, oracle.Rows, name, oracle.Extra).ToJsonString(), answer.ToJsonString());
        }
    }

    public static TheoryData<string, string, string> ArtifactQueries() =>
        new()
        {
            { "", "", "" },
            { "DATA/", "", "" },
            { "\u00e9t\u00c9", "", "" }, // beyond ASCII, in another case
            { "%_", "", "" }, // LIKE's wildcards, as text
            { "", "PLOT", "" },
            { "", "out", "status = succeeded" },
            { "t", "", "params.lr >= 0.2 or title ~ 'T\u00cdTULO 1'" },
            { "", "", "status = interrupted" }, // no run
        };

    [Theory]
    [MemberData(nameof(ArtifactQueries))]
    public async Task Artifacts_pages_are_the_in_memory_listings_pages(string q, string kind, string filter)
    {
        var oracle = ArtifactsOracle(q, kind, filter);
        var path =
            $"/api/artifacts?q={Uri.EscapeDataString(q)}&kind={Uri.EscapeDataString(kind)}&filter={Uri.EscapeDataString(filter)}";

        if (q.Length + kind.Length + filter.Length == 0)
        {
            Assert.True(oracle.Rows.Count > 2 * PageSize, $"{oracle.Rows.Count} artifacts: not three pages");
        }

        await AssertPagesAsync(path, "artifacts", oracle);
    }

    public static TheoryData<string, string, string, string> ExecutionQueries() =>
        new()
        {
            { "", "", "", "" },
            { "TRAIN", "", "", "" },
            { "\u00e9valuer", "", "", "" }, // beyond ASCII, in another case
            { "", "restored", "", "" },
            { "", "", "true", "" },
            { "a", "RAN", "false", "status = failed" },
            { "", "", "", "params.lr < 0.3" },
        };

    [Theory]
    [MemberData(nameof(ExecutionQueries))]
    public async Task Executions_pages_are_the_in_memory_listings_pages(
        string stage,
        string status,
        string cacheHit,
        string filter
    )
    {
        var oracle = ExecutionsOracle(stage, status, cacheHit, filter);
        var path =
            $"/api/executions?stage={Uri.EscapeDataString(stage)}&status={Uri.EscapeDataString(status)}"
            + $"&cacheHit={cacheHit}&filter={Uri.EscapeDataString(filter)}";

        if (stage.Length + status.Length + cacheHit.Length + filter.Length == 0)
        {
            Assert.True(oracle.Rows.Count > 2 * PageSize, $"{oracle.Rows.Count} executions: not three pages");
        }

        await AssertPagesAsync(path, "executions", oracle);
    }

    [Fact]
    public async Task A_bad_page_or_cache_hit_is_400_naming_it()
    {
        var page = await ui.Http.GetAsync("/api/artifacts?page=0");
        var cacheHit = await ui.Http.GetAsync("/api/executions?cacheHit=maybe");

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Equal(
            "page '0': expected a number from 1",
            (string)JsonNode.Parse(await page.Content.ReadAsStringAsync())!["error"]!
        );
        Assert.Equal(HttpStatusCode.BadRequest, cacheHit.StatusCode);
        Assert.StartsWith("cacheHit 'maybe'", (string)JsonNode.Parse(await cacheHit.Content.ReadAsStringAsync())!["error"]!);
    }
}

/// <summary>
/// A page of artifacts or executions reads its own rows and runs only. The oldest of 60 runs cannot be read (its
/// status is not one the store knows): it stands for the cost of reading every run, which the first page must not pay.
/// </summary>
public sealed class CrossRunPageReadsTests(CrossRunPageReadsTests.OneUnreadableRun ui)
    : IClassFixture<CrossRunPageReadsTests.OneUnreadableRun>
{
    public sealed class OneUnreadableRun : UiProject
    {
        private static readonly DateTimeOffset Day = new(2025, 5, 6, 7, 0, 0, TimeSpan.Zero);

        protected override Task PrepareAsync(TempGitRepo repo)
        {
            using (var store = RunStore.Open(Path.Combine(repo.Root, ".exp", "runs.db")))
            {
                for (var i = 0; i < 60; i++)
                {
                    var created = Day.AddMinutes(i);
                    store.Save(
                        new RunRecord
                        {
                            Id = string.Create(CultureInfo.InvariantCulture, $"run{i:D2}"),
                            ExperimentName = $"exp-{i:D2}",
                            Baseline = new string('b', 40),
                            Kind = "workspace",
                            Status = RunStatus.Succeeded,
                            Created = created,
                            Artifacts = [new ArtifactRecord("model.bin", new string('a', 64), i, "out")],
                            Executions = [new ExecutionRecord("train", "ran", created, created.AddSeconds(1), false, 0)],
                        }
                    );
                }
            }

            SqliteConnection.ClearAllPools();
            return Task.CompletedTask;
        }

        public void MakeTheOldestRunUnreadable()
        {
            using (var connection = new SqliteConnection($"Data Source={Path.Combine(Repo.Root, ".exp", "runs.db")}"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "UPDATE runs SET status = 'unknown' WHERE id = 'run00'";
                Assert.Equal(1, command.ExecuteNonQuery());
            }

            SqliteConnection.ClearAllPools();
        }
    }

    [Theory]
    [InlineData("/api/artifacts", "artifacts")]
    [InlineData("/api/executions", "executions")]
    public async Task The_first_page_does_not_read_the_runs_of_later_pages(string path, string name)
    {
        // Only now: the fixture listed the runs when it started, which reads them all.
        ui.MakeTheOldestRunUnreadable();
        var response = await ui.Http.GetAsync(path);

        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(60, (int)page["total"]!);
        Assert.Equal(
            Enumerable.Range(10, 50).Reverse().Select(i => $"exp-{i:D2}"),
            page[name]!.AsArray().Select(r => (string)r!["runName"]!)
        );
    }
}
