using System.Text.Json.Nodes;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Tool.Tests;

/// <summary>
/// <c>runs list</c> over a store written directly (fixed ids and times): its JSON, CSV and table outputs as approved
/// files, which were first written by <c>dotnet exp</c> before filters ran in SQL, so the output has not changed a
/// byte; and sorting on every column.
/// </summary>
public sealed class RunsListTests
{
    private static readonly DateTimeOffset Day = new(2025, 3, 4, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A repository whose store holds runs covering every field and value type.</summary>
    private static async Task<TempGitRepo> StoreAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        using (var store = RunStore.Open(Path.Combine(repo.Root, ".exp", "runs.db")))
        {
            store.Save(
                new RunRecord
                {
                    Id = "a1a1a1a1a1a1",
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
                    Created = Day,
                    Started = Day.AddSeconds(1.25),
                    Finished = Day.AddSeconds(31.5),
                    ExitCode = 3,
                    LogPath = ".exp/logs/a1a1a1a1a1a1.log",
                    Title = "<b>baseline</b> & \"dropout\" +1 é",
                    Notes = "first try\nsecond line",
                    Group = "dropout-sweep",
                    Tags = ["paper", "keep"],
                    // Saved out of key order; listed in key order.
                    Params = new Dictionary<string, JsonNode?>
                    {
                        ["params.yaml:train.lr"] = JsonNode.Parse("0.0100"),
                        ["params.yaml:model.name"] = "resnet+50 <é>",
                        ["params.yaml:layers"] = new JsonArray(64, 128),
                        ["params.yaml:nothing"] = null,
                        ["params.yaml:opts"] = new JsonObject { ["a"] = true, ["b"] = 1e-7 },
                        ["other.yaml:lr"] = 2,
                    },
                    Metrics = new Dictionary<string, MetricSummary>
                    {
                        ["metrics.json:loss"] = new(JsonValue.Create(0.25), 0.1, 1.0 / 3),
                        ["metrics.json:acc"] = new(JsonValue.Create(0.93), 0.5, 0.95),
                        ["metrics.json:label"] = new(JsonValue.Create("good"), null, null),
                    },
                    Artifacts =
                    [
                        new ArtifactRecord("plots/acc.tsv", new string('b', 64), 56, "plot"),
                        new ArtifactRecord("model/model.bin", new string('a', 64), 1234, "out"),
                    ],
                    Checkpoints =
                    [
                        ("c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2", 2),
                        ("c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", 1),
                    ],
                    Executions =
                    [
                        new ExecutionRecord("prepare", "up-to-date", Day.AddSeconds(1), Day.AddSeconds(1.012), true, null),
                        new ExecutionRecord("train", "failed", Day.AddSeconds(2), Day.AddSeconds(30), false, 3),
                    ],
                }
            );
            store.Save(Simple("b2b2b2b2b2b2", "calm-owl", 1, 0.81, "Alpha") with { Bookmarked = true });
            store.Save(Simple("c3c3c3c3c3c3", "dark-fox", 2, 0.87, null) with { Tags = ["keep"] });
            store.Save(Simple("d4d4d4d4d4d4", "eager-elk", 3, 0.99, "zeta") with { Archived = true });
            store.Save(Simple("e5e5e5e5e5e5", "fair-gnu", 4, 0.5, "gone") with { Deleted = true });
        }

        SqliteConnection.ClearAllPools();
        return repo;
    }

    private static RunRecord Simple(string id, string name, int minutes, double acc, string? title) =>
        new()
        {
            Id = id,
            ExperimentName = name,
            Baseline = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8b9b0",
            Status = RunStatus.Succeeded,
            Created = Day.AddMinutes(minutes),
            Started = Day.AddMinutes(minutes),
            Finished = Day.AddMinutes(minutes).AddSeconds(minutes * 10),
            Title = title,
            Host = "build-host",
            Params = new Dictionary<string, JsonNode?> { ["params.yaml:train.lr"] = acc / 10 },
            Metrics = new Dictionary<string, MetricSummary> { ["metrics.json:acc"] = new(JsonValue.Create(acc), acc / 2, acc) },
        };

    [Fact]
    public async Task List_prints_json_csv_and_table_as_before()
    {
        using var repo = await StoreAsync();

        var outputs = new List<string>();
        foreach (
            var args in new[]
            {
                new[] { "runs", "list", "--json" },
                [
                    "runs",
                    "list",
                    "--json",
                    "--filter",
                    "metrics.acc > 0.85 or tag = paper",
                    "--sort",
                    "metrics.acc",
                    "--sort-order",
                    "asc",
                ],
                ["runs", "list", "--json", "--archived"],
                ["runs", "list", "--csv"],
                ["runs", "list"],
                ["runs", "list", "--filter", "title ~ nothing"],
                ["runs", "show", "a1a1a1a1a1a1", "--json"],
            }
        )
        {
            outputs.Add($"$ dotnet exp {string.Join(' ', args)}\n{(await repo.ExpOkAsync(args)).StdOut}");
        }

        Snapshot.Verify(string.Join("\n", outputs));
    }

    [Theory]
    [InlineData("title", "asc", "calm-owl bold-lark dark-fox")]
    [InlineData("title", "desc", "calm-owl bold-lark dark-fox")]
    [InlineData("id", "desc", "calm-owl dark-fox bold-lark")]
    [InlineData("name", "asc", "calm-owl bold-lark dark-fox")]
    [InlineData("duration", "asc", "calm-owl dark-fox bold-lark")]
    [InlineData("tags", "asc", "calm-owl dark-fox bold-lark")]
    [InlineData("group", "asc", "calm-owl bold-lark dark-fox")]
    [InlineData("params.train.lr", "desc", "calm-owl dark-fox bold-lark")]
    [InlineData("params.lr", "asc", "calm-owl bold-lark dark-fox")]
    [InlineData("metrics.label", "asc", "calm-owl bold-lark dark-fox")]
    public async Task List_sorts_on_every_column_bookmarked_first_and_runs_without_the_value_last(
        string key,
        string order,
        string names
    )
    {
        using var repo = await StoreAsync();

        var listed = JsonNode.Parse(
            (await repo.ExpOkAsync("runs", "list", "--json", "--sort", key, "--sort-order", order)).StdOut
        )!;

        Assert.Equal(names, string.Join(' ', listed.AsArray().Select(r => (string)r!["name"]!)));
    }

    [Fact]
    public async Task An_unknown_sort_key_is_a_one_line_error_naming_the_keys()
    {
        using var repo = await StoreAsync();

        var result = await repo.ExpAsync("runs", "list", "--sort", "colour");

        Assert.Equal(2, result.ExitCode);
        QueueTests.AssertOneLineError(result, "--sort 'colour'", "title", "params.<key>");
    }
}
