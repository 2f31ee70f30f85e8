using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class RunTests
{
    [Fact]
    public async Task Run_records_experiment_ref_with_metrics_and_leaves_head_untouched()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        var index = repo.IndexFingerprint();

        var result = await repo.ExpOkAsync("run", "-n", "first");

        var expRef = TempGitRepo.ExperimentRef(head, "first");
        Assert.Equal([expRef], await repo.ExperimentRefsAsync());
        Assert.Contains($"Ran experiment 'first'", result.StdOut);
        Assert.Contains(expRef, result.StdOut);
        Assert.Equal(head, await repo.GitAsync("rev-parse", expRef + "^"));
        var tree = await repo.TreeAsync(expRef);
        Assert.Contains("metrics.json", tree.Keys);
        Assert.Contains("exp.lock", tree.Keys);
        Assert.Contains("params.yaml", tree.Keys);
        Assert.DoesNotContain("model/model.bin", tree.Keys);
        Assert.Equal("""{"acc": 0.9000, "loss": 0.2000}""" + "\n", await repo.GitAsync("show", expRef + ":metrics.json") + "\n");

        Assert.Equal("model trained with lr=0.1\n", repo.ReadFile("model/model.bin"));
        Assert.Equal("", await repo.GitAsync("check-ignore", "-q", "model/model.bin"));
        Assert.Equal(head, await repo.HeadAsync());
        Assert.Equal("main", await repo.BranchAsync());
        Assert.Equal(index, repo.IndexFingerprint());
    }

    [Fact]
    public async Task Run_refuses_a_taken_name_and_overwrites_it_with_force()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "dup");
        var first = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "dup"));
        repo.WriteFile("notes.txt", "a change so the second run records something new\n");

        var refused = await repo.ExpAsync("run", "-n", "dup");

        Assert.NotEqual(0, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("--name", line);
        Assert.Contains("dup", line);
        Assert.Equal(first, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "dup")));

        await repo.ExpOkAsync("run", "-n", "dup", "-f");

        var second = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "dup"));
        Assert.NotEqual(first, second);
        Assert.Contains("notes.txt", (await repo.TreeAsync(second)).Keys);
        Assert.Single(await repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task Run_keeps_the_executable_bit_of_modified_and_untracked_scripts()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("tool.sh", "#!/bin/sh\necho v1\n");
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              build:
                cmd: printf '#!/bin/sh\necho v2\n' > tool.sh && printf '#!/bin/sh\necho new\n' > new.sh && chmod +x tool.sh new.sh && echo done > result.txt
                outs:
                  - result.txt:
                      cache: false
            """
        );
        await repo.ChmodExecutableAsync("tool.sh");
        await repo.CommitAllAsync("init");

        await repo.ExpOkAsync("run", "-n", "modes");

        var expRef = (await repo.ExperimentRefsAsync())[0];
        var tree = await repo.TreeAsync(expRef);
        Assert.Equal("100755", tree["tool.sh"]);
        Assert.Equal("100755", tree["new.sh"]);
        Assert.Equal("100644", tree["result.txt"]);
        Assert.Equal("#!/bin/sh\necho v2", await repo.GitAsync("show", expRef + ":tool.sh"));
    }

    [Fact]
    public async Task Run_includes_untracked_files_and_excludes_ignored_ones()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        repo.WriteFile(".gitignore", "runs.log\n*.tmp\nscratch/\n");
        await repo.CommitAllAsync("ignore scratch");
        repo.WriteFile("data/extra.csv", "x,y\n1,2\n");
        repo.WriteFile("debug.tmp", "ignored\n");
        repo.WriteFile("scratch/big.bin", "ignored\n");

        await repo.ExpOkAsync("run", "-n", "files");

        var tree = await repo.TreeAsync((await repo.ExperimentRefsAsync())[0]);
        Assert.Contains("data/extra.csv", tree.Keys);
        Assert.DoesNotContain("debug.tmp", tree.Keys);
        Assert.DoesNotContain("scratch/big.bin", tree.Keys);
        Assert.DoesNotContain("runs.log", tree.Keys);
        Assert.DoesNotContain(tree.Keys, k => k.StartsWith(".exp/cache", StringComparison.Ordinal));
        Assert.True(repo.Exists("debug.tmp"));
    }

    [Fact]
    public async Task Run_on_a_detached_head_uses_it_as_baseline_and_stays_detached()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        repo.WriteFile("README.md", "second commit\n");
        var tip = await repo.CommitAllAsync("second");
        var first = await repo.GitAsync("rev-parse", "HEAD~1");
        await repo.GitAsync("checkout", "-q", "--detach", first);

        await repo.ExpOkAsync("run", "-n", "detached");

        Assert.Equal([TempGitRepo.ExperimentRef(first, "detached")], await repo.ExperimentRefsAsync());
        Assert.Equal(first, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(first, "detached") + "^"));
        Assert.Null(await repo.BranchAsync());
        Assert.Equal(first, await repo.HeadAsync());
        Assert.Equal(tip, await repo.GitAsync("rev-parse", "main"));
    }

    [Fact]
    public async Task Run_of_a_pipeline_in_a_subdirectory_resolves_paths_beside_it()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync("sub");
        var head = await repo.HeadAsync();

        await repo.ExpOkAsync("run", "sub/exp.yaml", "-n", "by-file");

        Assert.Equal(1, repo.TrainRuns("sub"));
        Assert.True(repo.Exists("sub/exp.lock"));
        Assert.False(repo.Exists("exp.lock"));
        Assert.Equal("model trained with lr=0.1\n", repo.ReadFile("sub/model/model.bin"));
        var tree = await repo.TreeAsync(TempGitRepo.ExperimentRef(head, "by-file"));
        Assert.Contains("sub/metrics.json", tree.Keys);
        Assert.Contains("sub/exp.lock", tree.Keys);
        Assert.DoesNotContain("sub/model/model.bin", tree.Keys);
        Assert.Contains("path: model/model.bin", repo.ReadFile("sub/exp.lock"));

        await repo.ExpOkAsync("run", "sub/exp.yaml:train", "-S", "sub/params.yaml:train.lr=0.2", "-n", "by-stage");

        Assert.Equal(2, repo.TrainRuns("sub"));
        Assert.Equal(
            """{"acc": 0.8000, "loss": 0.4000}""",
            await repo.GitAsync("show", TempGitRepo.ExperimentRef(head, "by-stage") + ":sub/metrics.json")
        );
    }

    [Fact]
    public async Task Run_with_nothing_changed_runs_no_stage_and_records_no_duplicate()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "once");
        Assert.Equal(1, repo.TrainRuns());

        var again = await repo.ExpOkAsync("run");

        Assert.Equal(1, repo.TrainRuns());
        Assert.Single(await repo.ExperimentRefsAsync());
        Assert.Contains("No experiment recorded", again.StdOut);
        Assert.Contains("once", again.StdOut);
    }

    [Fact]
    public async Task Run_with_nothing_changed_but_a_new_name_records_that_name_without_running_stages()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "once");

        await repo.ExpOkAsync("run", "-n", "twice");

        Assert.Equal(1, repo.TrainRuns());
        var refs = await repo.ExperimentRefsAsync();
        Assert.Equal(2, refs.Count);
        Assert.Equal(
            await repo.GitAsync("rev-parse", refs[0] + "^{tree}"),
            await repo.GitAsync("rev-parse", refs[1] + "^{tree}")
        );
    }

    [Fact]
    public async Task Run_with_a_message_uses_it_as_the_commit_subject()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        await repo.ExpOkAsync("run", "-n", "msg", "-m", "Try the default learning rate");

        var expRef = (await repo.ExperimentRefsAsync())[0];
        Assert.Equal("Try the default learning rate", await repo.GitAsync("log", "-1", "--format=%s", expRef));
    }

    [Fact]
    public async Task Run_set_param_rewrites_the_value_keeping_comments_and_other_keys()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        await repo.ExpOkAsync("run", "-n", "low-lr", "-S", "train.lr=0.01", "-S", "+train.momentum=0.9");

        Assert.Equal(
            """
            # Sample training parameters
            train:
              lr: 0.01 # learning rate
              epochs: 3
              momentum: 0.9
            seed: 42 # keep runs reproducible

            """,
            repo.ReadFile("params.yaml")
        );
        Assert.Equal(
            """{"acc": 0.9900, "loss": 0.0200}""",
            await repo.GitAsync("show", (await repo.ExperimentRefsAsync())[0] + ":metrics.json")
        );
    }

    [Fact]
    public async Task Run_set_param_refuses_an_unknown_key_without_plus()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var before = repo.ReadFile("params.yaml");

        var result = await repo.ExpAsync("run", "-S", "train.lrr=0.01");

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("train.lrr", line);
        Assert.Contains("params.yaml", line);
        Assert.Equal(before, repo.ReadFile("params.yaml"));
        Assert.Equal(0, repo.TrainRuns());
        Assert.Empty(await repo.ExperimentRefsAsync());
    }
}
