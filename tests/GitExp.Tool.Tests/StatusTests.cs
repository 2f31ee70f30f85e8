using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class StatusTests
{
    [Fact]
    public async Task Status_lists_the_changed_stage_and_the_param_that_changed()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "first");
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        repo.WriteFile("params.yaml", repo.ReadFile("params.yaml").Replace("lr: 0.1", "lr: 0.5", StringComparison.Ordinal));

        var result = await repo.ExpOkAsync("status");

        Snapshot.Verify(result.StdOut);
        Assert.Equal(1, repo.TrainRuns());
    }

    [Fact]
    public async Task Run_dry_prints_the_stage_and_runs_nothing()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var index = repo.IndexFingerprint();

        var result = await repo.ExpOkAsync("run", "--dry", "-n", "dry");

        Assert.Contains("train", result.StdOut);
        Assert.Contains("sh train.sh", result.StdOut);
        Assert.Equal(0, repo.TrainRuns());
        Assert.False(repo.Exists("metrics.json"));
        Assert.False(repo.Exists("exp.lock"));
        Assert.Empty(await repo.ExperimentRefsAsync());
        Assert.Equal(index, repo.IndexFingerprint());
    }
}
