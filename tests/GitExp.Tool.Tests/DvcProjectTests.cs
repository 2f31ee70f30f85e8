using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>A DVC project (dvc.yaml, dvc.lock, no exp.yaml) used as it is.</summary>
public sealed class DvcProjectTests
{
    /// <summary>The sample project with its pipeline in <c>dvc.yaml</c> instead of <c>exp.yaml</c>, committed.</summary>
    private static async Task<TempGitRepo> DvcSampleAsync(string directory = "")
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject(directory);
        File.Move(repo.FullPath(Path.Combine(directory, "exp.yaml")), repo.FullPath(Path.Combine(directory, "dvc.yaml")));
        await repo.CommitAllAsync("Add DVC project");
        return repo;
    }

    private static JsonObject Row(ToolResult show, string type) =>
        JsonNode.Parse(show.StdOut)!.AsArray().Select(r => r!.AsObject()).First(r => (string)r["type"]! == type);

    [Fact]
    public async Task Dvc_yaml_without_exp_yaml_is_the_default_pipeline_of_run_status_and_show()
    {
        using var repo = await DvcSampleAsync();

        await repo.ExpOkAsync("run", "-n", "first");

        Assert.Equal(1, repo.TrainRuns());
        Assert.True(repo.Exists("dvc.lock"));
        Assert.False(repo.Exists("exp.lock"));
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status", "dvc.yaml:train")).StdOut.Trim());
        var row = Row(await repo.ExpOkAsync("show", "--json"), "experiment");
        Assert.Equal("0.1", row["params"]!["params.yaml"]!["train.lr"]!.ToJsonString());
        Assert.Equal("0.9000", row["metrics"]!["metrics.json"]!["acc"]!.ToJsonString());
    }

    [Fact]
    public async Task Run_queue_dvc_yaml_queues_and_runs_the_dvc_pipeline()
    {
        using var repo = await DvcSampleAsync();

        await repo.ExpOkAsync("run", "--queue", "dvc.yaml", "-S", "train.lr=0.5", "-n", "queued");
        await repo.ExpOkAsync("run", "--run-all");

        var row = Row(await repo.ExpOkAsync("show", "--json"), "experiment");
        Assert.Equal("queued", (string)row["name"]!);
        Assert.Equal("0.5", row["params"]!["params.yaml"]!["train.lr"]!.ToJsonString());
        Assert.Equal("0.5000", row["metrics"]!["metrics.json"]!["acc"]!.ToJsonString());
    }

    [Fact]
    public async Task A_folder_with_exp_yaml_keeps_it_and_a_sub_dvc_yaml_is_a_target()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject();
        repo.WriteSampleProject("sub");
        File.Move(repo.FullPath("sub/exp.yaml"), repo.FullPath("sub/dvc.yaml"));
        // A dvc.yaml beside an exp.yaml is not a pipeline of its own (exp.yaml wins).
        repo.WriteFile("dvc.yaml", "stages:\n  other:\n    cmd: exit 3\n");
        await repo.CommitAllAsync("Two pipelines");

        await repo.ExpOkAsync("run", "--all-pipelines", "-n", "all");

        Assert.Equal(1, repo.TrainRuns());
        Assert.Equal(1, repo.TrainRuns("sub"));
        Assert.True(repo.Exists("exp.lock"));
        Assert.True(repo.Exists("sub/dvc.lock"));
        Assert.False(repo.Exists("dvc.lock"));
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status", "sub/dvc.yaml")).StdOut.Trim());
    }
}
