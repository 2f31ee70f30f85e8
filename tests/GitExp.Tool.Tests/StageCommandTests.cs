using System.Diagnostics;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>How a stage's commands run: one shell per line, never from the run-cache when always changed, no stray process ids.</summary>
public sealed class StageCommandTests
{
    [Fact]
    public async Task Multi_line_cmd_runs_each_line_and_a_failing_middle_line_fails_the_run_with_nothing_recorded()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              build:
                cmd: |
                  echo one > first.txt
                  exit 3
                  echo three > result.txt
                outs:
                  - result.txt:
                      cache: false
            """
        );
        await repo.CommitAllAsync("init");

        var dry = await repo.ExpOkAsync("run", "--dry");
        var run = await repo.ExpAsync("run", "-n", "lines");

        Assert.Contains("> echo one > first.txt\n> exit 3\n> echo three > result.txt\n", dry.StdOut);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("> exit 3", run.StdOut);
        Assert.DoesNotContain("> echo three", run.StdOut);
        Assert.True(repo.Exists("first.txt"));
        Assert.False(repo.Exists("result.txt"));
        Assert.Empty(await repo.ExperimentRefsAsync());
        Assert.Contains("stage 'build' failed", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Always_changed_stage_runs_every_time_and_is_never_restored_from_the_run_cache()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(".gitignore", "runs.log\n");
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              stamp:
                cmd: echo ran >> runs.log && echo out > out.txt
                always_changed: true
                outs:
                  - out.txt
            """
        );
        await repo.CommitAllAsync("init");

        await repo.ExpOkAsync("run");
        var second = await repo.ExpOkAsync("run");

        Assert.DoesNotContain("run-cache", second.StdOut);
        Assert.Contains("Running stage 'stamp'", second.StdOut);
        Assert.Equal(["ran", "ran"], File.ReadAllLines(repo.FullPath("runs.log")));
    }

    [Fact]
    public async Task Stage_pid_file_is_gone_after_a_run_and_a_process_that_took_a_stale_id_is_never_killed()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "first");
        var pidFile = repo.FullPath(".exp/tmp/stage.pid");
        Assert.False(File.Exists(pidFile), "the stage's pid file outlived its command");

        // An unrelated process inside the workspace that happens to have the id a stale file names.
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "60") { WorkingDirectory = repo.Root })!;
        try
        {
            File.WriteAllText(pidFile, bystander.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

            await repo.ExpOkAsync("run", "-n", "second", "-S", "train.lr=0.2");

            Assert.True(QueueProject.IsAlive(bystander.Id), "the run killed a process it did not start");
            Assert.False(File.Exists(pidFile));
        }
        finally
        {
            bystander.Kill();
        }
    }
}
