using System.Net;
using System.Text.Json.Nodes;
using GitExp.Web.Tests.Infrastructure;

namespace GitExp.Web.Tests;

/// <summary>The cross-run APIs (artifacts, executions, pipelines) through the real tool's server.</summary>
public sealed class CrossRunApiTests(PipelineUiProject ui) : IClassFixture<PipelineUiProject>
{
    private static string Q(string text) => Uri.EscapeDataString(text);

    private static List<JsonNode> Rows(JsonNode page, string name) => page[name]!.AsArray().Select(r => r!).ToList();

    [Fact]
    public async Task Artifacts_lists_every_output_of_every_run_and_filters_by_path_kind_and_run()
    {
        var succeeded = await ui.GetJsonAsync("/api/artifacts?filter=" + Q("status = succeeded"));
        var plots = await ui.GetJsonAsync("/api/artifacts?kind=plot&filter=" + Q("status = succeeded"));
        var models = await ui.GetJsonAsync("/api/artifacts?q=MODEL");
        var ofB = await ui.GetJsonAsync("/api/artifacts?filter=" + Q("params.train.lr = 0.2 and status = succeeded"));

        Assert.Equal(8, (int)succeeded["total"]!);
        Assert.Equal(["metric", "out", "plot"], succeeded["kinds"]!.AsArray().Select(k => (string)k!));
        var a = Rows(succeeded, "artifacts").Where(r => (string)r["runName"]! == "a").ToList();
        Assert.Equal(
            ["data/rows.txt", "metrics.json", "model/model.bin", "plots/curve.png"],
            a.Select(r => (string)r["path"]!).Order(StringComparer.Ordinal)
        );
        var curve = a.Single(r => (string)r["path"]! == "plots/curve.png");
        Assert.Equal(("plot", ui.Ids["a"]), ((string)curve["kind"]!, (string)curve["runId"]!));
        Assert.Equal($"/api/runs/{ui.Ids["a"]}/artifacts/plots/curve.png", (string)curve["url"]!);
        Assert.Equal(64, ((string)curve["sha256"]!).Length);
        Assert.Equal(["plots/curve.png", "plots/curve.png"], Rows(plots, "artifacts").Select(r => (string)r["path"]!));
        Assert.All(Rows(models, "artifacts"), r => Assert.Equal("model/model.bin", (string)r["path"]!));
        // broken failed in train: the model in the workspace is b's, not its own; its prepare was up to date.
        Assert.Equal(2, (int)models["total"]!);
        Assert.Equal(["b"], Rows(ofB, "artifacts").Select(r => (string)r["runName"]!).Distinct());
        var ofBroken = await ui.GetJsonAsync("/api/artifacts?filter=" + Q("name = broken"));
        Assert.Equal(["data/rows.txt"], Rows(ofBroken, "artifacts").Select(r => (string)r["path"]!));
    }

    [Fact]
    public async Task Executions_show_stage_statuses_cache_hits_and_the_failing_exit_code_and_filter()
    {
        var all = await ui.GetJsonAsync("/api/executions");
        var failed = await ui.GetJsonAsync("/api/executions?status=failed");
        var hits = await ui.GetJsonAsync("/api/executions?stage=prep&cacheHit=true");
        var ofA = await ui.GetJsonAsync("/api/executions?filter=" + Q("name = a"));

        Assert.Equal(6, (int)all["total"]!);
        Assert.Equal(["prepare", "train"], all["stages"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(["failed", "ran", "up-to-date"], all["statuses"]!.AsArray().Select(s => (string)s!));
        var byRun = Rows(all, "executions")
            .GroupBy(e => (string)e["runName"]!)
            .ToDictionary(
                g => g.Key,
                g => g.OrderBy(e => (string)e["stage"]!).Select(e => ((string)e["status"]!, (bool)e["cache_hit"]!)).ToList()
            );
        Assert.Equal([("ran", false), ("ran", false)], byRun["a"]);
        Assert.Equal([("up-to-date", true), ("ran", false)], byRun["b"]);
        Assert.Equal([("up-to-date", true), ("failed", false)], byRun["broken"]);
        var failure = Rows(failed, "executions").Single();
        Assert.Equal(
            ("broken", "train", 5),
            ((string)failure["runName"]!, (string)failure["stage"]!, (int)failure["exit_code"]!)
        );
        Assert.Equal(["b", "broken"], Rows(hits, "executions").Select(e => (string)e["runName"]!).Order());
        Assert.Equal(["ran", "ran"], Rows(ofA, "executions").Select(e => (string)e["status"]!));
        Assert.True(Rows(all, "executions").All(e => (long)e["duration_ms"]! >= 0));
    }

    [Fact]
    public async Task Pipelines_lists_each_pipeline_file_with_its_versions_newest_first()
    {
        var pipelines = (await ui.GetJsonAsync("/api/pipelines"))["pipelines"]!.AsArray();

        var exp = Assert.Single(pipelines)!;
        Assert.Equal("exp.yaml", (string)exp["file"]!);
        Assert.Equal(["prepare", "train"], exp["stages"]!.AsArray().Select(s => (string)s!));
        var versions = exp["versions"]!.AsArray();
        Assert.Equal(["Edit the pipeline", "Two stages"], versions.Select(v => (string)v!["subject"]!));
        Assert.Equal(await ui.Repo.HeadAsync(), (string)versions[0]!["commit"]!);
        Assert.Equal("GitExp Tests", (string)versions[0]!["author"]!);
        Assert.True(DateTimeOffset.TryParse((string)versions[1]!["date"]!, out _));
    }

    [Fact]
    public async Task Stages_of_a_run_are_its_commits_stage_graph_with_what_each_stage_did()
    {
        var a = await ui.GetJsonAsync($"/api/runs/{ui.Ids["a"]}/stages");
        var b = await ui.GetJsonAsync($"/api/runs/{ui.Ids["b"]}/stages");
        var broken = await ui.GetJsonAsync($"/api/runs/{ui.Ids["broken"]}/stages");
        var missing = await ui.Http.GetAsync("/api/runs/nosuchrun/stages");

        // Run b changed only train.lr: prepare was up to date (a cache hit), train ran.
        Assert.Equal("commit", (string)b["source"]!);
        var stages = Rows(b, "stages");
        Assert.Equal(["prepare", "train"], stages.Select(s => (string)s["address"]!));
        var (prepare, train) = (stages[0], stages[1]);
        Assert.Equal(
            ("prepare", "exp.yaml", "up-to-date", true, (int?)null),
            (
                (string)prepare["name"]!,
                (string)prepare["pipeline"]!,
                (string)prepare["status"]!,
                (bool)prepare["cacheHit"]!,
                (int?)prepare["exitCode"]
            )
        );
        Assert.Empty(prepare["deps"]!.AsArray());
        Assert.Equal(("ran", false), ((string)train["status"]!, (bool)train["cacheHit"]!));
        Assert.Equal(["prepare"], train["deps"]!.AsArray().Select(d => (string)d!));
        Assert.All(stages, s => Assert.True((long)s["durationMs"]! >= 0));
        Assert.Equal(["ran", "ran"], Rows(a, "stages").Select(s => (string)s["status"]!));
        // The failed run made no commit: the workspace's pipeline, with train's exit code.
        var failed = Rows(broken, "stages");
        Assert.Equal("workspace", (string)broken["source"]!);
        Assert.Equal(
            [("up-to-date", (int?)null), ("failed", 5)],
            failed.Select(s => ((string)s["status"]!, (int?)s["exitCode"]))
        );
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_malformed_run_filter_or_bad_cache_hit_is_400()
    {
        var filter = await ui.Http.GetAsync("/api/executions?filter=" + Q("metrics.acc >"));
        var artifacts = await ui.Http.GetAsync("/api/artifacts?filter=" + Q("status ="));
        var hit = await ui.Http.GetAsync("/api/executions?cacheHit=maybe");

        Assert.Equal(HttpStatusCode.BadRequest, filter.StatusCode);
        Assert.Contains("expected a value at position 14", await filter.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, artifacts.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, hit.StatusCode);
    }
}
