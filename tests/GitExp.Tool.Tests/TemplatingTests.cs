using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>DVC 3 templating (vars, ${...}, foreach) run end to end, with generated stages as targets.</summary>
public sealed class TemplatingTests
{
    private const string Pipeline = """
        vars:
          - splits: [train, test]
        stages:
          prepare:
            foreach: ${splits}
            do:
              cmd: echo ${item} ${prep.scale} > out/${item}.txt
              deps:
                - input/${item}.txt
              outs:
                - out/${item}.txt
          report:
            cmd: cat out/train.txt out/test.txt > report.txt
            deps: [out/train.txt, out/test.txt]
            outs: [report.txt]
        """;

    private static async Task<TempGitRepo> ForeachProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("dvc.yaml", Pipeline);
        repo.WriteFile("params.yaml", "prep:\n  scale: 2\n");
        repo.WriteFile("input/train.txt", "t\n");
        repo.WriteFile("input/test.txt", "v\n");
        await repo.CommitAllAsync("Foreach pipeline");
        return repo;
    }

    // DVC warns when a foreach's item (and key) hide a variable of that name, and runs on.
    [Fact]
    public async Task A_foreach_item_hiding_a_variable_is_a_warning_and_the_stages_see_their_item()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "dvc.yaml",
            "vars:\n  - item: shadowed\nstages:\n  build:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item} > ${item}.txt\n      outs:\n        - ${item}.txt\n"
        );
        await repo.CommitAllAsync("A foreach hiding a var");

        var run = await repo.ExpOkAsync("run");

        Assert.Contains(
            "warning: dvc.yaml:5: item is already specified, will be overwritten for stages generated from 'build'",
            run.StdOut + run.StdErr,
            StringComparison.Ordinal
        );
        Assert.Equal("a\n", repo.ReadFile("a.txt"));
    }

    [Fact]
    public async Task Foreach_stages_run_lock_their_expanded_commands_and_answer_to_their_generated_names()
    {
        using var repo = await ForeachProjectAsync();

        await repo.ExpOkAsync("run", "-n", "first");

        Assert.Equal("train 2\n", repo.ReadFile("out/train.txt"));
        Assert.Equal("train 2\ntest 2\n", repo.ReadFile("report.txt"));
        var dvcLock = repo.ReadFile("dvc.lock");
        Assert.Contains("  prepare@train:\n    cmd: ", dvcLock);
        Assert.Contains("echo train 2 > out/train.txt", dvcLock);
        Assert.Contains("  prepare@test:\n    cmd: ", dvcLock);
        Assert.Contains("echo test 2 > out/test.txt", dvcLock);
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        // No stage lists params.yaml under 'params', but the commands interpolate it: exp show has its values.
        var show = JsonNode.Parse((await repo.ExpOkAsync("show", "--json")).StdOut)!.AsArray();
        var row = show.Select(r => r!.AsObject()).First(r => (string)r["type"]! == "experiment");
        Assert.Equal("2", row["params"]!["params.yaml"]!["prep.scale"]!.ToJsonString());

        // A param interpolated into the command changes the command, so the generated stages change.
        repo.WriteFile("params.yaml", "prep:\n  scale: 3\n");
        var status = (await repo.ExpOkAsync("status")).StdOut;
        Assert.Contains("prepare@train:", status);
        Assert.Contains("prepare@test:", status);
        var one = (await repo.ExpOkAsync("status", "prepare@test")).StdOut;
        Assert.Contains("prepare@test:", one);
        Assert.DoesNotContain("prepare@train", one);
        var qualified = (await repo.ExpOkAsync("status", "dvc.yaml:prepare@train")).StdOut;
        Assert.Contains("prepare@train:", qualified);
        Assert.DoesNotContain("prepare@test", qualified);
        // The group's name stands for every stage it generates, as in DVC.
        var group = (await repo.ExpOkAsync("status", "prepare")).StdOut;
        Assert.Contains("prepare@train:", group);
        Assert.Contains("prepare@test:", group);

        // -S changes params.yaml before the run: the stages expand with the new value.
        repo.WriteFile("params.yaml", "prep:\n  scale: 2\n");
        await repo.ExpOkAsync("run", "-S", "prep.scale=5", "-n", "five");
        Assert.Equal("train 5\n", repo.ReadFile("out/train.txt"));
        Assert.Contains("echo test 5 > out/test.txt", repo.ReadFile("dvc.lock"));
    }

    [Fact]
    public async Task Run_of_one_generated_stage_runs_only_that_stage()
    {
        using var repo = await ForeachProjectAsync();

        await repo.ExpOkAsync("run", "prepare@test", "-n", "only-test");

        Assert.True(repo.Exists("out/test.txt"));
        Assert.False(repo.Exists("out/train.txt"));
        var missing = await repo.ExpAsync("status", "prepare@valid");
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("no stage 'prepare@valid'", missing.StdErr);
    }

    [Fact]
    public async Task An_undefined_name_is_one_located_line_and_nothing_is_written()
    {
        using var repo = await ForeachProjectAsync();
        repo.WriteFile("dvc.yaml", Pipeline.Replace("${prep.scale}", "${prep.epochs}", StringComparison.Ordinal));
        await repo.CommitAllAsync("Typo");

        var result = await repo.ExpAsync("run", "-n", "typo");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(
            "error: dvc.yaml:7:12: stage 'prepare@train': 'cmd': undefined name 'prep.epochs' in '${prep.epochs}'",
            result.StdErr.Trim()
        );
        Assert.False(repo.Exists("dvc.lock"));
        Assert.False(repo.Exists("out"));
        Assert.Empty(await repo.ExperimentRefsAsync());
    }
}
