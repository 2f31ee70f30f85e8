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

    // DVC tests/func/repro/test_repro.py::test_repro_frozen_callback: a stage without deps runs on every run, unless frozen.
    [Fact]
    public async Task A_stage_without_deps_runs_every_time_unless_frozen()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("foo", "foo\n");
        repo.WriteFile(".gitignore", "file1\n");
        const string Pipeline = "stages:\n  copy-FOO-file1:\n    cmd: cat foo >> file1\n";
        repo.WriteFile("exp.yaml", Pipeline);
        await repo.CommitAllAsync("callback stage");

        await repo.ExpOkAsync("run");
        var status = await repo.ExpOkAsync("status");
        await repo.ExpOkAsync("run");

        Assert.Contains("always changed: it has no deps", status.StdOut);
        Assert.Equal(["foo", "foo"], File.ReadAllLines(repo.FullPath("file1")));

        repo.WriteFile("exp.yaml", Pipeline + "    frozen: true\n");
        await repo.ExpOkAsync("run");
        Assert.Equal(2, File.ReadAllLines(repo.FullPath("file1")).Length);

        repo.WriteFile("exp.yaml", Pipeline);
        await repo.ExpOkAsync("run");
        Assert.Equal(3, File.ReadAllLines(repo.FullPath("file1")).Length);
    }
}
