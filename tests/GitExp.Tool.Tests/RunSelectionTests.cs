using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// Which stages a run takes and what a failure does to the rest: <c>--downstream</c>, <c>-p</c>, <c>-R</c>,
/// <c>--allow-missing</c>, <c>-k</c> and <c>--ignore-errors</c>, with the behaviours of DVC's
/// tests/func/repro/test_repro.py (each test names the DVC test it ports).
/// </summary>
public sealed class RunSelectionTests
{
    private static async Task<TempGitRepo> PipelineAsync(string yaml, params (string Path, string Text)[] files)
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("exp.yaml", yaml);
        foreach (var (path, text) in files)
        {
            repo.WriteFile(path, text);
        }

        await repo.CommitAllAsync("pipeline");
        return repo;
    }

    /// <summary>The stages that ran, in order, from the run's "Running stage 'x':" lines.</summary>
    private static List<string> Ran(ToolResult result) =>
        result
            .StdOut.Split('\n')
            .Where(l => l.StartsWith("Running stage '", StringComparison.Ordinal))
            .Select(l => l.Split('\'')[1])
            .ToList();

    private const string Diamond = """
        stages:
          A-gen:
            cmd: echo A>A
            deps: [seed]
            outs: [A]
          B-gen:
            cmd: echo B>B
            deps: [A]
            outs: [B]
          C-gen:
            cmd: echo C>C
            deps: [A]
            outs: [C]
          D-gen:
            cmd: echo D>D
            deps: [B, C]
            outs: [D]
          G-gen:
            cmd: echo G>G
            deps: [seed]
            outs: [G]
          F-gen:
            cmd: echo F>F
            deps: [G]
            outs: [F]
          E-gen:
            cmd: echo E>E
            deps: [D, F]
            outs: [E]

        """;

    // test_downstream
    [Fact]
    public async Task Downstream_runs_the_target_and_what_comes_after_it_never_what_comes_before()
    {
        using var repo = await PipelineAsync(Diamond, ("seed", "seed\n"));
        await repo.ExpOkAsync("run");

        var fromB = await repo.ExpOkAsync("run", "--downstream", "-f", "B-gen");
        var fromA = await repo.ExpOkAsync("run", "--downstream", "-f", "A-gen");

        Assert.Equal(["B-gen", "D-gen", "E-gen"], Ran(fromB));
        var ranFromA = Ran(fromA);
        Assert.Equal(5, ranFromA.Count);
        Assert.Equal("A-gen", ranFromA[0]);
        Assert.Equal(["B-gen", "C-gen"], ranFromA[1..3].Order(StringComparer.Ordinal));
        Assert.Equal(["D-gen", "E-gen"], ranFromA[3..]);
    }

    // test_repro_pipeline
    [Fact]
    public async Task Pipeline_runs_every_stage_linked_to_the_target_and_nothing_else()
    {
        using var repo = await PipelineAsync(Diamond, ("seed", "seed\n"));

        var run = await repo.ExpOkAsync("run", "-p", "-f", "-s", "F-gen");
        var refused = await repo.ExpAsync("run", "--queue", "-p");

        Assert.Equal(7, Ran(run).Count);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--pipeline", Assert.Single(refused.ErrorLines));
    }

    [Fact]
    public async Task Pipeline_leaves_out_a_stage_that_shares_nothing_with_the_target()
    {
        const string Two = """
            stages:
              first:
                cmd: echo 1 > one
                deps: [seed]
                outs: [one]
              second:
                cmd: cat one > two
                deps: [one]
                outs: [two]
              apart:
                cmd: echo apart > apart
                deps: [seed]
                outs: [apart]

            """;
        using var repo = await PipelineAsync(Two, ("seed", "seed\n"));

        var run = await repo.ExpOkAsync("run", "-p", "second");

        Assert.Equal(["first", "second"], Ran(run));
        Assert.False(repo.Exists("apart"));
    }

    // test_repro_allow_missing
    [Fact]
    public async Task Allow_missing_skips_stages_whose_only_change_is_data_their_lock_records()
    {
        const string Pipeline = """
            stages:
              create-foo:
                cmd: cat fixed > foo
                deps: [fixed]
                outs: [foo]
              copy-foo:
                cmd: cp foo bar
                deps: [foo]
                outs: [bar]

            """;
        using var repo = await PipelineAsync(Pipeline, ("fixed", "fixed\n"));
        await repo.ExpOkAsync("run");
        await repo.CommitAllAsync("ran");
        File.Delete(repo.FullPath("foo"));

        var allowed = await repo.ExpOkAsync("run", "--allow-missing");

        Assert.Empty(Ran(allowed));
        Assert.False(repo.Exists("foo"));
        repo.WriteFile("fixed", "changed\n");
        Assert.Equal(["create-foo", "copy-foo"], Ran(await repo.ExpOkAsync("run", "--allow-missing")));
    }

    /// <summary>A stage that fails after writing its out, one that does not need it, and one that does.</summary>
    private const string FailingPipeline = """
        stages:
          copy-bar-foobar:
            cmd:
              - cp bar foobar
              - exit 1
            deps: [bar]
            outs: [foobar]
          independent:
            cmd: cp foo foo2
            deps: [foo]
            outs: [foo2]
          cat:
            cmd: cat foobar foo > cat.txt
            deps: [foobar, foo]
            outs: [cat.txt]

        """;

    // test_repro_keep_going
    [Fact]
    public async Task Keep_going_runs_independent_stages_after_a_failure_and_the_run_still_fails()
    {
        using var repo = await PipelineAsync(FailingPipeline, ("bar", "bar\n"), ("foo", "foo\n"));

        var kept = await repo.ExpAsync("run", "-k");

        Assert.Equal(1, kept.ExitCode);
        Assert.Equal(["copy-bar-foobar", "independent"], Ran(kept));
        Assert.Contains("Stage 'cat' not run: a stage it depends on failed.", kept.StdOut);
        Assert.True(repo.Exists("foo2"));
        Assert.False(repo.Exists("cat.txt"));
        Assert.Empty(await repo.ExperimentRefsAsync());
    }

    // test_repro_ignore_errors
    [Fact]
    public async Task Ignore_errors_tries_every_stage_and_records_the_experiment()
    {
        using var repo = await PipelineAsync(FailingPipeline, ("bar", "bar\n"), ("foo", "foo\n"));

        var ignored = await repo.ExpOkAsync("run", "--ignore-errors", "-n", "ignored");

        Assert.Equal(["copy-bar-foobar", "independent", "cat"], Ran(ignored));
        Assert.Contains("warning: stage 'copy-bar-foobar' failed", ignored.StdOut);
        Assert.Equal("bar\nfoo\n", repo.ReadFile("cat.txt"));
        Assert.Single(await repo.ExperimentRefsAsync());
        Assert.Equal(2, (await repo.ExpAsync("run", "-k", "--ignore-errors")).ExitCode);
    }

    // test_exp_run_recursive (tests/func/experiments/test_experiments.py)
    [Fact]
    public async Task Recursive_takes_a_folder_as_every_pipeline_file_under_it()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("seed", "seed\n");
        repo.WriteFile("a/exp.yaml", "stages:\n  in-a:\n    cmd: echo a > out\n    deps: [../seed]\n    outs: [out]\n");
        repo.WriteFile(
            "a/deeper/exp.yaml",
            "stages:\n  in-deeper:\n    cmd: echo d > out\n    deps: [../../seed]\n    outs: [out]\n"
        );
        repo.WriteFile("b/exp.yaml", "stages:\n  in-b:\n    cmd: echo b > out\n    deps: [../seed]\n    outs: [out]\n");
        await repo.CommitAllAsync("pipelines");

        var run = await repo.ExpOkAsync("run", "-R", "a");
        var none = await repo.ExpAsync("run", "-R", "seed-folder-that-is-not-there");

        Assert.Equal(["a/deeper/exp.yaml:in-deeper", "a/exp.yaml:in-a"], Ran(run).Order(StringComparer.Ordinal));
        Assert.False(repo.Exists("b/out"));
        Assert.NotEqual(0, none.ExitCode);
    }
}
