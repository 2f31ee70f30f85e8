using GitExp.Tool.Tests.Infrastructure;
using static GitExp.Tool.Tests.Infrastructure.CheckpointChain;

namespace GitExp.Tool.Tests;

/// <summary>
/// A checkpointing run killed at exact moments of its ref updates (a Git <c>reference-transaction</c> hook sends the
/// SIGKILL), and what the next run does: resume or start over, never take the partial result as finished, never
/// delete the user's files.
/// </summary>
public sealed class CheckpointRecoveryTests : IAsyncLifetime
{
    private TempGitRepo _repo = null!;

    public async Task InitializeAsync()
    {
        _repo = await TempGitRepo.InitAsync();
        _repo.WriteFile(".gitignore", "steps.log\npids\n");
        // Three checkpoints with the bash protocol of docs/checkpoints.md; a fresh start truncates the model.
        _repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            checkpoint() {
              [ -n "$EXP_CHECKPOINT_FILE" ] || return 0
              echo $STEP > "$EXP_CHECKPOINT_FILE.tmp" && mv "$EXP_CHECKPOINT_FILE.tmp" "$EXP_CHECKPOINT_FILE"
              while [ -e "$EXP_CHECKPOINT_FILE" ]; do sleep 0.05; done
            }
            echo $$ >> pids
            STEP=${EXP_CHECKPOINT_STEP:-0}
            [ "$EXP_RESUME" = 1 ] || : > model.txt
            echo "start $EXP_NAME $STEP" >> steps.log
            while [ $STEP -lt 3 ]; do
              STEP=$((STEP + 1))
              echo "step $STEP" >> model.txt
              checkpoint
            done

            """
        );
        _repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps:
                  - train.sh
                outs:
                  - model.txt:
                      checkpoint: true
            """
        );
        // At the KILL_AT-th update of an experiment ref, in state KILL_STATE: SIGKILL to 'dotnet exp' (git's parent),
        // and in state "prepared" to git too, which leaves the ref's .lock file as a killed transaction does.
        _repo.WriteFile(
            ".git/hooks/reference-transaction",
            """
            #!/bin/sh
            refs=$(cat)
            [ -n "$KILL_AT" ] && [ "$1" = "$KILL_STATE" ] || exit 0
            case "$refs" in *" refs/exps/"[0-9a-f][0-9a-f]/*) ;; *) exit 0 ;; esac
            n=$(( $(cat .git/kill-count 2>/dev/null || echo 0) + 1 ))
            echo $n > .git/kill-count
            [ "$n" = "$KILL_AT" ] || exit 0
            tool=$(awk '{ print $4 }' /proc/$PPID/stat)
            if [ "$1" = prepared ]; then kill -9 "$tool" "$PPID"; else kill -9 "$tool"; fi
            sleep 5

            """
        );
        await _repo.ChmodExecutableAsync(".git/hooks/reference-transaction");
        await _repo.CommitAllAsync("Checkpointing project");
    }

    public Task DisposeAsync()
    {
        // Stage commands orphaned by the kills wait for a checkpoint answer for ever: stop the ones this test started.
        var pids = _repo.FullPath("pids");
        if (File.Exists(pids))
        {
            foreach (var pid in File.ReadAllLines(pids).Select(int.Parse))
            {
                if (QueueProject.IsAlive(pid))
                {
                    QueueProject.Kill(pid);
                }
            }
        }

        _repo.Dispose();
        return Task.CompletedTask;
    }

    private Task<ToolResult> RunKilledAtAsync(int update, string state, params string[] args) =>
        ExpTool.RunAsync(
            _repo.Root,
            new Dictionary<string, string> { ["KILL_AT"] = update.ToString(), ["KILL_STATE"] = state },
            ["run", .. args]
        );

    private IReadOnlyList<string> Steps() => File.ReadAllLines(_repo.FullPath("steps.log"));

    [Fact]
    public async Task Run_killed_between_a_checkpoints_lock_and_its_ref_names_the_stale_ref_lock_then_starts_the_stage_over()
    {
        var baseline = await _repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(baseline, "ck");
        var killed = await RunKilledAtAsync(1, "prepared", "-n", "ck");
        Assert.True(killed.ExitCode != 0, killed.ToString());
        var lockFile = _repo.FullPath(".git/" + reference + ".lock");
        Assert.True(File.Exists(lockFile), "the killed transaction left no lock file");
        Assert.Empty(await _repo.ExperimentRefsAsync());

        // The stale lock is found before anything runs, named, with what to do.
        var blocked = await _repo.ExpAsync("run");

        Assert.NotEqual(0, blocked.ExitCode);
        var line = Assert.Single(blocked.ErrorLines);
        Assert.Contains(".git/" + reference + ".lock", line);
        Assert.Contains("delete", line);
        Assert.Equal(["start ck 0"], Steps());

        File.Delete(lockFile);
        var rerun = await _repo.ExpOkAsync("run");

        // The lock file the killed run wrote at checkpoint 1 holds a model no commit has: never "didn't change".
        Assert.DoesNotContain("didn't change", rerun.StdOut);
        Assert.Equal(["start ck 0", "start ck 0"], Steps());
        Assert.Equal(ModelAfter(3), _repo.ReadFile("model.txt"));
        var chain = await ReadAsync(_repo, reference, baseline);
        Assert.Equal([3, 2, 1], chain.Select(c => c.Step));
        Assert.All(chain.Zip(new[] { 3, 2, 1 }), c => Assert.Equal(ModelAfter(c.Second), c.First.Model));
    }

    [Fact]
    public async Task Status_reports_a_checkpoint_stage_killed_between_its_lock_and_its_ref_as_interrupted_until_a_run_finishes_it()
    {
        var baseline = await _repo.HeadAsync();
        var killed = await RunKilledAtAsync(1, "prepared", "-n", "ck");
        Assert.True(killed.ExitCode != 0, killed.ToString());
        File.Delete(_repo.FullPath(".git/" + TempGitRepo.ExperimentRef(baseline, "ck") + ".lock"));
        // The lock entry matches the workspace's model, so only the running flag tells the stage is not done.
        Assert.Contains("model.txt", _repo.ReadFile("exp.lock"));

        var status = await _repo.ExpOkAsync("status");

        Assert.DoesNotContain("up to date", status.StdOut);
        Assert.Contains("train:", status.StdOut);
        Assert.Contains("interrupted", status.StdOut);
        var json = await _repo.ExpOkAsync("status", "--json");
        Assert.Contains("interrupted", json.StdOut);

        await _repo.ExpOkAsync("run");
        Assert.Equal("Everything is up to date.", (await _repo.ExpOkAsync("status")).StdOut.Trim());
    }

    [Fact]
    public async Task Resuming_an_interrupted_run_keeps_untracked_files_created_after_the_interruption()
    {
        var baseline = await _repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(baseline, "ck");
        var killed = await RunKilledAtAsync(2, "committed", "-n", "ck");
        Assert.True(killed.ExitCode != 0, killed.ToString());
        Assert.Equal(2, await TipStepAsync(_repo, reference));
        _repo.WriteFile("notes.txt", "what I tried\n");
        _repo.WriteFile("run-output.log", "the file a shell redirects the next run's output to\n");

        var resumed = await _repo.ExpOkAsync("run");

        Assert.Contains("(step 2) as experiment 'ck'", resumed.StdOut);
        Assert.Equal("what I tried\n", _repo.ReadFile("notes.txt"));
        Assert.True(_repo.Exists("run-output.log"), "the resume deleted an untracked file");
        Assert.Equal(["start ck 0", "start ck 2"], Steps());
        Assert.Equal(ModelAfter(3), _repo.ReadFile("model.txt"));
        Assert.Equal(3, await TipStepAsync(_repo, reference));
    }
}
