using System.Text.Json.Nodes;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>Experiments of the UI (groups of runs): created empty with a description, listed with their best run, runs moved between them.</summary>
public sealed class RunGroupsTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private sealed class Events : IRunGroupEvents
    {
        public List<string> Said { get; } = [];

        public void GroupCreated(string name) => Said.Add("created " + name);

        public void RunsMoved(IReadOnlyList<RunRecord> runs, string? group) =>
            Said.Add($"moved {string.Join(",", runs.Select(r => r.Id))} to {group ?? "(none)"}");
    }

    private static RunRecord Run(string id, string? group, double? acc, bool archived = false) =>
        new()
        {
            Id = id,
            ExperimentName = "exp-" + id,
            Baseline = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8b9b0",
            Kind = "workspace",
            Status = RunStatus.Succeeded,
            Created = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Group = group,
            Archived = archived,
            Metrics = acc is null
                ? new Dictionary<string, MetricSummary>()
                : new Dictionary<string, MetricSummary> { ["metrics.json:acc"] = new(JsonValue.Create(acc.Value), acc, acc) },
        };

    [Fact]
    public void An_experiment_is_created_empty_lists_its_best_run_and_takes_moved_runs()
    {
        using var store = RunStore.Open(_tmp.Combine(".exp", "runs.db"));
        store.Save(Run("aaa111", "sweep", 0.7));
        store.Save(Run("bbb222", "sweep", 0.9));
        store.Save(Run("ccc333", null, 0.95));
        store.Save(Run("ddd444", "sweep", 0.99, archived: true));
        var events = new Events();
        var groups = new RunGroups(store, events);

        groups.Create("  tuning ", " lr sweep ");
        var listed = store.GroupSummaries("metrics.json:acc", lowerIsBetter: false).ToDictionary(g => g.Name);
        Assert.Equal(["sweep", "tuning"], listed.Keys.Order());
        Assert.Equal((0, "lr sweep"), (listed["tuning"].Runs, listed["tuning"].Description));
        Assert.Null(listed["tuning"].Best);
        // The archived run's 0.99 is not the best of what the list shows.
        Assert.Equal((2, ("bbb222", (string?)"exp-bbb222", 0.9)), (listed["sweep"].Runs, listed["sweep"].Best!.Value));
        Assert.Equal(
            "aaa111",
            store.GroupSummaries("metrics.json:acc", lowerIsBetter: true).Single(g => g.Name == "sweep").Best!.Value.RunId
        );
        Assert.Contains(new RunGroup("tuning", 0), store.Groups(archived: false));

        groups.Move(["ccc333", "aaa111"], "tuning");
        listed = store.GroupSummaries("metrics.json:acc", lowerIsBetter: false).ToDictionary(g => g.Name);
        Assert.Equal((2, "ccc333"), (listed["tuning"].Runs, listed["tuning"].Best!.Value.RunId));
        Assert.Equal(1, listed["sweep"].Runs);
        groups.Move(["aaa111"], "");
        Assert.Null(store.Get("aaa111")!.Group);
        Assert.Equal(["created tuning", "moved ccc333,aaa111 to tuning", "moved aaa111 to (none)"], events.Said);
    }

    [Fact]
    public void A_taken_or_empty_name_and_an_unknown_run_are_refused_and_change_nothing()
    {
        using var store = RunStore.Open(_tmp.Combine(".exp", "runs.db"));
        store.Save(Run("aaa111", "sweep", 0.7));
        var groups = new RunGroups(store, new Events());

        Assert.Equal(
            "experiment 'sweep' exists already: pick another name",
            Assert.Throws<ExpException>(() => groups.Create("sweep", null)).Message
        );
        Assert.Equal(
            "experiment name: expected a name, got nothing",
            Assert.Throws<ExpException>(() => groups.Create(" ", null)).Message
        );
        Assert.Equal(ExitCode.NotFound, Assert.Throws<ExpException>(() => groups.Move(["aaa111", "nope"], "other")).Code);
        Assert.Equal("sweep", store.Get("aaa111")!.Group);
        Assert.Equal(["sweep"], store.GroupSummaries(null, false).Select(g => g.Name));
    }
}
