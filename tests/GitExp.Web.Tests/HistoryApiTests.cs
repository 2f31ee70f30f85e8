using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;

namespace GitExp.Web.Tests;

/// <summary>
/// Step histories of nested metric keys, and of two files with the same key, through the run and compare APIs
/// (<see cref="NestedMetricsProject"/>: runs <c>lr-01</c> and <c>lr-02</c>).
/// </summary>
public sealed class HistoryApiTests(HistoryApiTests.NestedMetrics ui) : IClassFixture<HistoryApiTests.NestedMetrics>
{
    public sealed class NestedMetrics : UiProject
    {
        protected override async Task PrepareAsync(TempGitRepo repo)
        {
            await NestedMetricsProject.WriteAsync(repo);
            await repo.ExpOkAsync("run", "-n", "lr-01");
            await repo.ExpOkAsync("run", "-n", "lr-02", "-S", "lr=0.2");
        }
    }

    private static readonly string[] Keys = [.. NestedMetricsProject.Offsets.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Run_detail_lists_every_metric_with_a_history_and_each_key_answers_its_own_points()
    {
        var id = ui.Ids["lr-02"];
        var run = await ui.GetJsonAsync($"/api/runs/{id}");

        Assert.Equal(Keys, run["histories"]!.AsArray().Select(k => (string)k!));
        foreach (var key in Keys)
        {
            // As the run page asks: each part of the key escaped, its '/' kept.
            var asThePageAsks = await ui.GetJsonAsync(
                $"/api/runs/{id}/history/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}"
            );
            var escapedWhole = await ui.GetJsonAsync($"/api/runs/{id}/history/{Uri.EscapeDataString(key)}");

            Assert.Equal(NestedMetricsProject.History(0.2, key), asThePageAsks.ToJsonString());
            Assert.Equal(NestedMetricsProject.History(0.2, key), escapedWhole.ToJsonString());
        }

        // A key without its file means the first file's in key order that has it, as in filters.
        var bare = await ui.GetJsonAsync($"/api/runs/{id}/history/acc");
        Assert.Equal(NestedMetricsProject.History(0.2, "eval/metrics.json:acc"), bare.ToJsonString());
    }

    [Fact]
    public async Task Compare_overlays_each_runs_history_of_nested_keys_and_of_both_files_with_the_same_key()
    {
        var compared = await ui.GetJsonAsync($"/api/compare?ids={ui.Ids["lr-01"]},{ui.Ids["lr-02"]}");

        var metrics = compared["metrics"]!.AsArray().ToDictionary(m => (string)m!["key"]!, m => m!);
        Assert.Equal(
            Keys.Append("live/metrics.json:step").Order(StringComparer.Ordinal),
            metrics.Keys.Order(StringComparer.Ordinal)
        );
        foreach (var key in Keys)
        {
            Assert.Equal(
                $"[{NestedMetricsProject.History(0.1, key)},{NestedMetricsProject.History(0.2, key)}]",
                metrics[key]["histories"]!.ToJsonString()
            );
        }

        Assert.Null(metrics["live/metrics.json:step"]["histories"]);
    }
}
