using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Web.Tests;

/// <summary>
/// <c>GET /api/runs</c> through the real server over 40 runs written straight into the store: filtered, searched
/// and sorted pages come from SQL with the total of every match and the page asked for, whatever the column.
/// </summary>
public sealed class RunsPageApiTests(RunsPageApiTests.ManyRuns ui) : IClassFixture<RunsPageApiTests.ManyRuns>
{
    /// <summary>40 runs, <c>exp-00</c> (oldest) to <c>exp-39</c>, with every column the runs table shows.</summary>
    public sealed class ManyRuns : UiProject
    {
        private static readonly DateTimeOffset Day = new(2025, 5, 6, 7, 0, 0, TimeSpan.Zero);

        public List<RunRecord> Runs { get; } =
            Enumerable
                .Range(0, 40)
                .Select(i => new RunRecord
                {
                    // Id order is not creation order.
                    Id = string.Create(CultureInfo.InvariantCulture, $"{i * 17 % 40:D2}ab{i:D2}"),
                    ExperimentName = $"exp-{i:D2}",
                    Baseline = new string('b', 40),
                    Commit =
                        i % 6 == 0
                            ? null
                            : string.Create(CultureInfo.InvariantCulture, $"{(i * 7) % 40:D2}") + new string('c', 38),
                    Title =
                        i % 4 == 0 ? null : (i % 3 == 0 ? "Alpha " : "beta ") + i.ToString("D2", CultureInfo.InvariantCulture),
                    Notes = i == 7 ? "an ALPHA note" : null,
                    Status =
                        i % 5 == 0 ? RunStatus.Failed
                        : i % 7 == 3 ? RunStatus.Interrupted
                        : RunStatus.Succeeded,
                    Created = Day.AddMinutes(i),
                    Started = i % 10 == 0 ? null : Day.AddMinutes(i),
                    Finished = i % 10 == 0 ? null : Day.AddMinutes(i).AddSeconds(i * 7 % 13),
                    Bookmarked = i is 5 or 20,
                    // exp-39 resumed the interrupted exp-38.
                    ResumedFrom = i == 39 ? string.Create(CultureInfo.InvariantCulture, $"{38 * 17 % 40:D2}ab38") : null,
                    Group = i % 3 == 0 ? "g3" : null,
                    Tags =
                        i % 4 == 1 ? ["keep"]
                        : i % 4 == 2 ? ["drop", "keep"]
                        : [],
                    Params = new Dictionary<string, JsonNode?>
                    {
                        ["params.yaml:opt"] = i % 2 == 0 ? "adam" : "sgd",
                        ["params.yaml:lr"] = i % 9 == 0 ? null : JsonValue.Create(i / 100.0),
                    },
                    Metrics = new Dictionary<string, MetricSummary>
                    {
                        ["metrics.json:acc"] = new(JsonValue.Create(i * 13 % 40 / 40.0), null, null),
                    },
                })
                .ToList();

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
    }

    private static List<string> Names(JsonNode page) => page["runs"]!.AsArray().Select(r => (string)r!["name"]!).ToList();

    /// <summary>The expected order: bookmarked first, by the value (runs without it last), ties newest first.</summary>
    private List<string> Expected<T>(
        IEnumerable<RunRecord> runs,
        Func<RunRecord, T?> value,
        bool descending,
        IComparer<T>? comparer = null
    )
    {
        comparer ??= Comparer<T>.Default;
        var list = runs.OrderByDescending(r => r.Created).ToList();
        var with = list.Where(r => value(r) is not null);
        var ordered = descending ? with.OrderByDescending(r => value(r)!, comparer) : with.OrderBy(r => value(r)!, comparer);
        return ordered
            .Concat(list.Where(r => value(r) is null))
            .OrderBy(r => r.Bookmarked ? 0 : 1)
            .Select(r => r.ExperimentName!)
            .ToList();
    }

    public static TheoryData<string, string> Sorts() =>
        new()
        {
            { "title", "asc" },
            { "title", "desc" },
            { "id", "asc" },
            { "id", "desc" },
            { "name", "asc" },
            { "status", "desc" },
            { "created", "asc" },
            { "duration", "desc" },
            { "group", "asc" },
            { "tags", "asc" },
            { "commit", "desc" },
            { "params.lr", "asc" },
            { "params.params.yaml:lr", "desc" },
            { "params.opt", "asc" },
            { "metrics.acc", "desc" },
            { "metrics.metrics.json:acc", "asc" },
        };

    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task Any_column_sorts_on_the_server_and_pages_come_in_that_order(string sort, string order)
    {
        var descending = order == "desc";
        var expected = sort switch
        {
            "title" => Expected(ui.Runs, r => r.Title, descending, StringComparer.Ordinal),
            "id" => Expected(ui.Runs, r => r.Id, descending, StringComparer.Ordinal),
            "name" => Expected(ui.Runs, r => r.ExperimentName, descending, StringComparer.Ordinal),
            "status" => Expected(ui.Runs, r => r.Status.ToString(), descending, StringComparer.Ordinal),
            "created" => Expected(ui.Runs, r => (DateTimeOffset?)r.Created, descending),
            "duration" => Expected(ui.Runs, r => r.Duration, descending),
            "group" => Expected(ui.Runs, r => r.Group, descending, StringComparer.Ordinal),
            "tags" => Expected(
                ui.Runs,
                r => r.Tags.Count == 0 ? null : string.Join(", ", r.Tags),
                descending,
                StringComparer.Ordinal
            ),
            "commit" => Expected(ui.Runs, r => r.Commit, descending, StringComparer.Ordinal),
            "params.opt" => Expected(ui.Runs, r => (string?)r.Params["params.yaml:opt"], descending, StringComparer.Ordinal),
            var p when p.StartsWith("params.", StringComparison.Ordinal) => Expected(
                ui.Runs,
                r => (double?)r.Params["params.yaml:lr"],
                descending
            ),
            _ => Expected(ui.Runs, r => (double?)r.Metrics["metrics.json:acc"].Last, descending),
        };

        var pages = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var answer = await ui.GetJsonAsync(
                $"/api/runs?sort={Uri.EscapeDataString(sort)}&order={order}&page={page}&pageSize=15"
            );
            Assert.Equal(40, (int)answer["total"]!);
            pages.AddRange(Names(answer));
        }

        Assert.Equal(expected, pages);
    }

    [Fact]
    public async Task A_filtered_page_has_the_total_of_every_match_and_the_page_asked_for()
    {
        var filter = Uri.EscapeDataString("params.opt = ADAM and metrics.acc >= 0.25 and not status = failed");
        var matches = ui
            .Runs.Where(r => (string?)r.Params["params.yaml:opt"] == "adam")
            .Where(r => (double)r.Metrics["metrics.json:acc"].Last! >= 0.25 && r.Status != RunStatus.Failed)
            .ToList();
        var expected = Expected(matches, r => (double?)r.Metrics["metrics.json:acc"].Last, descending: false);

        var second = await ui.GetJsonAsync($"/api/runs?filter={filter}&sort=metrics.acc&order=asc&page=2&pageSize=4");
        var beyond = await ui.GetJsonAsync($"/api/runs?filter={filter}&page=9&pageSize=4");

        Assert.True(matches.Count > 8, $"{matches.Count} matches");
        Assert.Equal(matches.Count, (int)second["total"]!);
        Assert.Equal((2, 4), ((int)second["page"]!, (int)second["pageSize"]!));
        Assert.Equal(expected.Skip(4).Take(4), Names(second));
        Assert.Equal(["metrics.json:acc"], second["metricKeys"]!.AsArray().Select(k => (string)k!));
        Assert.Equal(["params.yaml:lr", "params.yaml:opt"], second["paramKeys"]!.AsArray().Select(k => (string)k!));
        var row = second["runs"]![0]!;
        Assert.Equal("adam", (string)row["params"]!["params.yaml:opt"]!);
        Assert.Null(row["artifacts"]);
        Assert.True(row.AsObject().ContainsKey("duration"));
        Assert.Equal(matches.Count, (int)beyond["total"]!);
        Assert.Empty(beyond["runs"]!.AsArray());
    }

    [Fact]
    public async Task Search_pages_through_name_title_notes_commit_and_id_case_insensitively()
    {
        var text = "alpha";
        var matches = ui
            .Runs.Where(r =>
                new[] { r.ExperimentName, r.Title, r.Notes, r.Commit, r.Id }.Any(v =>
                    v?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
                )
            )
            .ToList();
        var expected = Expected(matches, r => (DateTimeOffset?)r.Created, descending: true);

        var first = await ui.GetJsonAsync("/api/runs?q=ALPHA&pageSize=3");
        var second = await ui.GetJsonAsync("/api/runs?q=ALPHA&pageSize=3&page=2");
        var byTitleAsc = await ui.GetJsonAsync("/api/runs?q=Alpha&sort=title&order=asc&pageSize=50");
        var byCommit = await ui.GetJsonAsync("/api/runs?q=" + ui.Runs[13].Commit![..2] + "cccc");
        var byId = await ui.GetJsonAsync("/api/runs?q=AB13");

        Assert.Contains("exp-07", expected);
        Assert.Equal(expected.Count, (int)first["total"]!);
        Assert.Equal(expected.Take(3), Names(first));
        Assert.Equal(expected.Skip(3).Take(3), Names(second));
        Assert.Equal(Expected(matches, r => r.Title, descending: false, StringComparer.Ordinal), Names(byTitleAsc));
        Assert.Equal(["exp-13"], Names(byCommit));
        Assert.Equal(["exp-13"], Names(byId));
    }

    [Fact]
    public async Task The_status_list_shows_the_runs_of_one_status_within_the_filter_given()
    {
        var interrupted = ui.Runs.Where(r => r.Status == RunStatus.Interrupted).ToList();
        var sgd = interrupted.Where(r => (string?)r.Params["params.yaml:opt"] == "sgd").ToList();

        var all = await ui.GetJsonAsync("/api/runs?status=interrupted&pageSize=50");
        // The filter is taken whole: "or" inside it does not escape the status.
        var filtered = await ui.GetJsonAsync(
            "/api/runs?status=INTERRUPTED&pageSize=50&filter=" + Uri.EscapeDataString("params.opt = sgd or name = exp-00")
        );
        var unknown = await ui.Http.GetAsync("/api/runs?status=done");

        Assert.True(sgd.Count > 0 && sgd.Count < interrupted.Count, $"{sgd.Count} of {interrupted.Count}");
        Assert.Equal(Expected(interrupted, r => (DateTimeOffset?)r.Created, descending: true), Names(all));
        Assert.Equal(Expected(sgd, r => (DateTimeOffset?)r.Created, descending: true), Names(filtered));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(
            "status 'done': expected queued, running, succeeded, failed or interrupted",
            (string)JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]!
        );
    }

    [Fact]
    public async Task An_unknown_sort_or_order_is_400_naming_it()
    {
        var sort = await ui.Http.GetAsync("/api/runs?sort=colour");
        var order = await ui.Http.GetAsync("/api/runs?sort=title&order=up");

        Assert.Equal(HttpStatusCode.BadRequest, sort.StatusCode);
        Assert.StartsWith(
            "sort 'colour': expected created, name, title, id, status",
            (string)JsonNode.Parse(await sort.Content.ReadAsStringAsync())!["error"]!
        );
        Assert.Equal(HttpStatusCode.BadRequest, order.StatusCode);
        Assert.StartsWith("order 'up'", (string)JsonNode.Parse(await order.Content.ReadAsStringAsync())!["error"]!);
    }
}
