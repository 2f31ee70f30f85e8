using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// <c>dotnet exp save</c>, with the behaviours of DVC's own tests/func/experiments/test_save.py (each test names the
/// DVC test it ports). The setup is DVC's <c>setup_stage</c>: a pipeline that has run, committed with its lock.
/// </summary>
public sealed class SaveTests
{
    private static async Task<TempGitRepo> SetUpStageAsync()
    {
        var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "first");
        await repo.CommitAllAsync("init");
        return repo;
    }

    // test_exp_save_unchanged, test_exp_save[None], test_exp_save[test]
    [Fact]
    public async Task Save_records_the_unchanged_workspace_on_its_baseline_under_a_generated_or_given_name()
    {
        using var repo = await SetUpStageAsync();
        var baseline = await repo.HeadAsync();
        var index = repo.IndexFingerprint();

        var generated = await repo.ExpOkAsync("save");
        var named = await repo.ExpOkAsync("save", "-n", "test");

        var name = generated.StdOut.Split('\'')[1];
        Assert.Contains(TempGitRepo.ExperimentRef(baseline, name), await repo.ExperimentRefsAsync());
        Assert.Contains($"Saved experiment 'test' (", named.StdOut);
        var commit = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(baseline, "test"));
        Assert.Equal(baseline, await repo.GitAsync("rev-parse", commit + "^"));
        Assert.Equal(await repo.GitAsync("rev-parse", "HEAD^{tree}"), await repo.GitAsync("rev-parse", commit + "^{tree}"));
        Assert.Equal(baseline, await repo.HeadAsync());
        Assert.Equal(index, repo.IndexFingerprint());
        Assert.Equal(1, repo.TrainRuns());
        var show = await repo.ExpOkAsync("show", "--csv");
        Assert.Contains(
            show.StdOut.Split('\n'),
            line => line.StartsWith("test,", StringComparison.Ordinal) && line.Contains("0.9")
        );
    }

    // test_exp_save_overwrite_experiment
    [Fact]
    public async Task Saving_over_an_existing_name_needs_force()
    {
        using var repo = await SetUpStageAsync();
        var baseline = await repo.HeadAsync();
        await repo.ExpOkAsync("save", "-n", "dummy");
        var first = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(baseline, "dummy"));
        repo.WriteFile("params.yaml", repo.ReadFile("params.yaml").Replace("seed: 42", "seed: 2", StringComparison.Ordinal));

        var refused = await repo.ExpAsync("save", "-n", "dummy");

        Assert.Equal(6, refused.ExitCode);
        Assert.Contains("already exists", Assert.Single(refused.ErrorLines));
        Assert.Equal(first, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(baseline, "dummy")));

        await repo.ExpOkAsync("save", "-n", "dummy", "-f");

        Assert.Contains("seed: 2", await repo.GitAsync("show", TempGitRepo.ExperimentRef(baseline, "dummy") + ":params.yaml"));
    }

    // test_exp_save_invalid_name
    [Fact]
    public async Task Invalid_names_are_refused_and_nothing_is_saved()
    {
        using var repo = await SetUpStageAsync();

        foreach (var name in new[] { "invalid/name", "invalid..name", "invalid~name", "invalid?name", "invalidname." })
        {
            var refused = await repo.ExpAsync("save", "-n", name, "-f");

            Assert.True(refused.ExitCode == 2, $"{name}: {refused}");
            Assert.Contains("--name", Assert.Single(refused.ErrorLines));
        }

        Assert.DoesNotContain(await repo.ExperimentRefsAsync(), r => !r.EndsWith("/first", StringComparison.Ordinal));
    }

    // test_exp_save_after_commit
    [Fact]
    public async Task Saves_after_a_new_commit_belong_to_that_commit()
    {
        using var repo = await SetUpStageAsync();
        var baseline = await repo.HeadAsync();
        await repo.ExpOkAsync("save", "-n", "exp-1", "-f");
        repo.WriteFile("new_file", "new_file");
        var baselineNew = await repo.CommitAllAsync("new baseline");

        await repo.ExpOkAsync("save", "-n", "exp-2", "-f");

        var refs = await repo.ExperimentRefsAsync();
        Assert.Contains(TempGitRepo.ExperimentRef(baseline, "exp-1"), refs);
        Assert.Contains(TempGitRepo.ExperimentRef(baselineNew, "exp-2"), refs);
        Assert.DoesNotContain(TempGitRepo.ExperimentRef(baselineNew, "exp-1"), refs);
    }

    // test_exp_save_with_staged_changes (GitExp also saves unstaged and untracked changes: the workspace is the experiment)
    [Fact]
    public async Task Deleted_new_and_modified_files_are_saved_as_they_are_in_the_workspace()
    {
        using var repo = await SetUpStageAsync();
        repo.WriteFile("deleted", "deleted");
        repo.WriteFile("modified", "modified");
        var baseline = await repo.CommitAllAsync("init");
        File.Delete(repo.FullPath("deleted"));
        repo.WriteFile("new_file", "new_file");
        repo.WriteFile("modified", "foo");
        await repo.GitAsync("add", "deleted", "new_file");
        var index = repo.IndexFingerprint();

        await repo.ExpOkAsync("save", "-n", "exp");

        var tree = await repo.TreeAsync(TempGitRepo.ExperimentRef(baseline, "exp"));
        Assert.DoesNotContain("deleted", tree.Keys);
        Assert.Contains("new_file", tree.Keys);
        Assert.Equal("foo", await repo.GitAsync("show", TempGitRepo.ExperimentRef(baseline, "exp") + ":modified"));
        Assert.Equal(index, repo.IndexFingerprint());
        Assert.Equal("modified", await repo.GitAsync("show", "HEAD:modified"));
    }

    // test_exp_save_include_untracked, test_exp_save_include_untracked_warning, test_exp_save_include_untracked_force
    [Fact]
    public async Task Include_untracked_saves_ignored_files_and_folders_and_leaves_them_untracked()
    {
        using var repo = await SetUpStageAsync();
        var baseline = await repo.HeadAsync();
        repo.WriteFile(".gitignore", repo.ReadFile(".gitignore") + "new_file\nnew_dir/\n");
        await repo.CommitAllAsync("ignore");
        baseline = await repo.HeadAsync();
        repo.WriteFile("new_file", "new_file");
        repo.WriteFile("new_dir/foo", "foo");
        repo.WriteFile("new_dir/bar", "bar");

        await repo.ExpOkAsync("save", "-n", "plain");
        var saved = await repo.ExpOkAsync("save", "-n", "exp", "-I", "new_file", "--include-untracked", "new_dir");

        Assert.Empty(saved.StdErr);
        var plain = await repo.TreeAsync(TempGitRepo.ExperimentRef(baseline, "plain"));
        Assert.DoesNotContain("new_file", plain.Keys);
        var tree = await repo.TreeAsync(TempGitRepo.ExperimentRef(baseline, "exp"));
        Assert.Contains("new_file", tree.Keys);
        Assert.Contains("new_dir/foo", tree.Keys);
        Assert.Contains("new_dir/bar", tree.Keys);
        Assert.Equal("new_file", repo.ReadFile("new_file"));
        Assert.Empty(await repo.GitAsync("ls-files", "new_file", "new_dir"));

        var missing = await repo.ExpAsync("save", "-n", "missing", "-I", "no_such_file");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--include-untracked 'no_such_file'", Assert.Single(missing.ErrorLines));
    }

    // test_exp_save_custom_message
    [Fact]
    public async Task The_message_is_the_commit_message()
    {
        using var repo = await SetUpStageAsync();
        var baseline = await repo.HeadAsync();

        await repo.ExpOkAsync("save", "-n", "msg", "-m", "custom commit message");

        Assert.Equal(
            "custom commit message",
            await repo.GitAsync("log", "-1", "--format=%B", TempGitRepo.ExperimentRef(baseline, "msg"))
        );
    }

    // test_exp_save_target, and what makes save more than a commit: a changed out goes into the lock and the cache
    [Fact]
    public async Task A_manually_changed_out_is_locked_and_cached_so_applying_the_saved_experiment_brings_it_back()
    {
        using var repo = await SetUpStageAsync();
        var lockBefore = repo.ReadFile("exp.lock");
        repo.WriteFile("model/model.bin", "edited by hand\n");

        var saved = await repo.ExpOkAsync("save", "-n", "manual", "train");

        Assert.Contains("Saved experiment 'manual'", saved.StdOut);
        Assert.NotEqual(lockBefore, repo.ReadFile("exp.lock"));
        Assert.Contains("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut);
        File.Delete(repo.FullPath("model/model.bin"));

        await repo.ExpOkAsync("apply", "manual", "-f");

        Assert.Equal("edited by hand\n", repo.ReadFile("model/model.bin"));
        Assert.Equal(1, repo.TrainRuns());
    }

    [Fact]
    public async Task A_stage_whose_out_is_missing_cannot_be_saved_and_nothing_is_recorded()
    {
        using var repo = await SetUpStageAsync();
        var refs = await repo.ExperimentRefsAsync();
        var lockBefore = repo.ReadFile("exp.lock");
        repo.WriteFile("params.yaml", repo.ReadFile("params.yaml").Replace("lr: 0.1", "lr: 0.3", StringComparison.Ordinal));
        File.Delete(repo.FullPath("model/model.bin"));

        var refused = await repo.ExpAsync("save", "-n", "broken");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("stage 'train' has no out 'model/model.bin'", Assert.Single(refused.ErrorLines));
        Assert.Equal(refs, await repo.ExperimentRefsAsync());
        Assert.Equal(lockBefore, repo.ReadFile("exp.lock"));
    }
}
