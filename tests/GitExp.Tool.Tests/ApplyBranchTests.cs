using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class ApplyBranchTests
{
    [Fact]
    public async Task Apply_after_runs_restores_files_and_cached_out_and_branch_points_at_the_experiment()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        var paramsA = File.ReadAllBytes(repo.FullPath("params.yaml"));
        var metricsA = File.ReadAllBytes(repo.FullPath("metrics.json"));
        var modelA = File.ReadAllBytes(repo.FullPath("model/model.bin"));
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        Assert.NotEqual(modelA, File.ReadAllBytes(repo.FullPath("model/model.bin")));
        var index = repo.IndexFingerprint();

        var applied = await repo.ExpOkAsync("apply", "exp-a");

        Assert.Contains("Applied experiment 'exp-a'", applied.StdOut);
        Assert.Equal(paramsA, File.ReadAllBytes(repo.FullPath("params.yaml")));
        Assert.Equal(metricsA, File.ReadAllBytes(repo.FullPath("metrics.json")));
        Assert.Equal(modelA, File.ReadAllBytes(repo.FullPath("model/model.bin")));
        Assert.Equal(head, await repo.HeadAsync());
        Assert.Equal("main", await repo.BranchAsync());
        Assert.Equal(index, repo.IndexFingerprint());
        Assert.Equal(1 + 1, repo.TrainRuns());

        await repo.ExpOkAsync("branch", "exp-a", "newbranch");

        Assert.Equal(
            await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "exp-a")),
            await repo.GitAsync("rev-parse", "refs/heads/newbranch")
        );
        Assert.Equal("main", await repo.BranchAsync());
        Assert.Equal(head, await repo.HeadAsync());
    }

    [Fact]
    public async Task Apply_refuses_unrelated_local_changes_unless_forced()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.GitAsync("checkout", "-q", "--", "params.yaml");
        repo.WriteFile("train.sh", repo.ReadFile("train.sh") + "# a local edit\n");

        var refused = await repo.ExpAsync("apply", "exp-a");

        Assert.NotEqual(0, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("train.sh", line);
        Assert.Contains("--force", line);
        Assert.Contains("lr: 0.1 ", repo.ReadFile("params.yaml"));
        Assert.EndsWith("# a local edit\n", repo.ReadFile("train.sh"));

        await repo.ExpOkAsync("apply", "exp-a", "--force");

        Assert.Contains("lr: 0.2 ", repo.ReadFile("params.yaml"));
        Assert.DoesNotContain("# a local edit", repo.ReadFile("train.sh"));
        Assert.Equal("model trained with lr=0.2\n", repo.ReadFile("model/model.bin"));
    }

    [Fact]
    public async Task Forced_apply_overwrites_the_experiments_files_and_keeps_every_other_untracked_file()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        // Work no experiment holds: an untracked note, an untracked folder, and an edit of a tracked file.
        repo.WriteFile("notes.txt", "my notes\n");
        repo.WriteFile("scratch/idea.md", "an idea\n");
        repo.WriteFile("train.sh", repo.ReadFile("train.sh") + "# a local edit\n");
        repo.WriteFile("metrics.json", "{\"acc\": 0}\n");

        await repo.ExpOkAsync("apply", "exp-a", "--force");

        Assert.Equal("my notes\n", repo.ReadFile("notes.txt"));
        Assert.Equal("an idea\n", repo.ReadFile("scratch/idea.md"));
        // Files the experiment has are overwritten, tracked or not.
        Assert.DoesNotContain("# a local edit", repo.ReadFile("train.sh"));
        Assert.Contains("\"acc\": 0.8", repo.ReadFile("metrics.json"));
        Assert.Contains("lr: 0.2 ", repo.ReadFile("params.yaml"));
        Assert.Equal("model trained with lr=0.2\n", repo.ReadFile("model/model.bin"));
    }

    [Fact]
    public async Task Forced_apply_refuses_when_a_kept_untracked_file_stands_where_the_experiment_has_a_folder()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await ToolPathTests.CraftExperimentAsync(repo, head, "exp-a", "with-folder", "extra/info.txt", "info\n");
        repo.WriteFile("extra", "my own file\n");
        repo.WriteFile("train.sh", repo.ReadFile("train.sh") + "# a local edit\n");

        var refused = await repo.ExpAsync("apply", "with-folder", "--force");

        Assert.Equal(6, refused.ExitCode);
        Assert.DoesNotContain("   at ", refused.StdErr);
        Assert.Contains("'extra'", Assert.Single(refused.ErrorLines));
        Assert.Equal("my own file\n", repo.ReadFile("extra"));
        Assert.EndsWith("# a local edit\n", repo.ReadFile("train.sh"));
    }

    [Fact]
    public async Task A_refused_apply_names_only_the_edits_no_experiment_holds_not_the_last_runs_results()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        repo.WriteFile("train.sh", repo.ReadFile("train.sh") + "# a local edit\n");

        var refused = await repo.ExpAsync("apply", "exp-a");

        Assert.Equal(6, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("overwritten: train.sh (compared with experiment 'exp-b'", line);
        Assert.DoesNotContain("params.yaml", line);
        Assert.DoesNotContain("metrics.json", line);
        Assert.EndsWith("# a local edit\n", repo.ReadFile("train.sh"));
        Assert.Contains("lr: 0.05", repo.ReadFile("params.yaml"));
    }

    [Fact]
    public async Task Branch_refuses_an_existing_branch_name()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        var main = await repo.GitAsync("rev-parse", "main");

        var refused = await repo.ExpAsync("branch", "exp-a", "main");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("'main'", Assert.Single(refused.ErrorLines));
        Assert.Equal(main, await repo.GitAsync("rev-parse", "main"));
    }
}
