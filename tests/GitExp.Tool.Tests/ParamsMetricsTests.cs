using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// <c>params diff</c>, <c>metrics show</c> and <c>metrics diff</c>, with behaviours of DVC's tests/func/params/test_diff.py
/// and tests/func/metrics/test_diff.py and test_show.py (each test names the DVC tests it ports).
/// </summary>
public sealed class ParamsMetricsTests
{
    // metrics/test_show.py::test_show, test_show_targets
    [Fact]
    public async Task Metrics_show_prints_the_workspaces_metrics_and_of_chosen_revisions()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "low", "-S", "train.lr=0.2");

        var table = await repo.ExpOkAsync("metrics", "show");
        var json = JsonNode.Parse(
            (await repo.ExpOkAsync("metrics", "show", "--json", "--rev", "low", "--rev", "workspace")).StdOut
        )!;
        var none = await repo.ExpOkAsync("metrics", "show", "--targets", "other.json");

        Assert.Contains(
            table.StdOut.Split('\n'),
            l => l.Contains("metrics.json") && l.Contains("acc") && l.TrimEnd().EndsWith("0.8")
        );
        Assert.Equal(0.8, json["low"]!["metrics.json"]!["acc"]!.GetValue<double>());
        Assert.Equal(0.4, json["workspace"]!["metrics.json"]!["loss"]!.GetValue<double>());
        Assert.Contains("No metrics", none.StdOut);
    }

    // metrics/test_diff.py::test_metrics_diff_simple, test_metrics_diff_no_changes
    [Fact]
    public async Task Metrics_diff_compares_only_metrics_and_says_when_nothing_changed()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "b", "-S", "train.lr=0.3");

        var diff = JsonNode.Parse((await repo.ExpOkAsync("metrics", "diff", "a", "b", "--json")).StdOut)!;
        var same = await repo.ExpOkAsync("metrics", "diff", "b", "workspace");

        Assert.Equal(["metrics.json"], diff.AsObject().Select(p => p.Key));
        Assert.Equal(0.8, diff["metrics.json"]!["acc"]!["old"]!.GetValue<double>());
        Assert.Equal(0.7, diff["metrics.json"]!["acc"]!["new"]!.GetValue<double>());
        Assert.Equal(-0.1, diff["metrics.json"]!["acc"]!["diff"]!.GetValue<double>());
        Assert.Equal("No changes in metrics between b and workspace.", same.StdOut.Trim());
    }

    // params/test_diff.py::test_diff, test_diff_no_changes, test_diff_targeted
    [Fact]
    public async Task Params_diff_compares_only_params_all_adds_unchanged_ones_and_targets_choose_files()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "b", "-S", "train.lr=0.3");

        var changed = JsonNode.Parse((await repo.ExpOkAsync("params", "diff", "a", "b", "--json")).StdOut)!;
        var all = await repo.ExpOkAsync("params", "diff", "a", "b", "--all", "--md");
        var targeted = await repo.ExpOkAsync("params", "diff", "a", "b", "--targets", "other.yaml");

        Assert.Equal(["params.yaml"], changed.AsObject().Select(p => p.Key));
        Assert.Equal(["train.lr"], changed["params.yaml"]!.AsObject().Select(p => p.Key));
        Assert.Contains("| params.yaml | seed | 42 | 42 |", all.StdOut);
        Assert.DoesNotContain("acc", all.StdOut);
        Assert.Equal("No changes in params between a and b.", targeted.StdOut.Trim());
    }
}
