using System.Text.RegularExpressions;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// The queue run by parallel and background workers: kill, a worker's crash, single-flight stages, temp runs.
/// One class, so these slower tests run one at a time beside the others.
/// </summary>
public sealed class QueueWorkerTests
{
    [Fact]
    public async Task Queue_kill_ends_a_running_entry_as_failed_and_stops_its_stage_processes()
    {
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "30");
        await project.ExpOkAsync("run", "--queue", "-n", "sleeper");
        var id = (await project.StatusAsync()).Named("sleeper").Id;
        await project.ExpOkAsync("queue", "start");
        await QueueProject.WaitUntilAsync(
            async () => project.StagePids().Count == 2 && (await project.StatusAsync()).Named("sleeper").Status == "running",
            "the stage runs"
        );
        var pids = project.StagePids();
        Assert.All(pids, pid => Assert.True(QueueProject.IsAlive(pid)));

        var kill = await project.ExpOkAsync("queue", "kill", id);

        Assert.Contains(id, kill.StdOut);
        var entry = (await project.StatusAsync()).Named("sleeper");
        Assert.Equal("failed", entry.Status);
        Assert.Equal(130, entry.ExitCode);
        Assert.Contains("kill", entry.Message);
        await QueueProject.WaitUntilAsync(() => pids.All(pid => !QueueProject.IsAlive(pid)), "the stage processes are gone", 10);
        Assert.Equal("Failed", Assert.Single(await project.ShowAsync()).State);
        Assert.Equal(["refs/exps/failed/" + id], await project.Repo.ExperimentRefsAsync());
        Assert.Equal(["start sleeper"], project.SideLines("runs.log"));
    }

    /// <summary>
    /// A stage that records its pid, and on SIGINT runs <paramref name="onInterrupt"/> (a trap action; empty
    /// ignores it), then loops until stopped.
    /// </summary>
    private static Task<QueueProject> TrappingStageAsync(string onInterrupt) =>
        QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                ["stage.sh"] = $"""
                #!/bin/sh
                trap '{onInterrupt}' INT
                printf '%s\n' $$ >> '{QueueProject.SidePlaceholder}/pids'
                while :; do sleep 1; done

                """,
                ["exp.yaml"] = "stages:\n  slow:\n    cmd: sh stage.sh\n    deps: [stage.sh]\n",
            }
        );

    private static async Task<string> StartRunningAsync(QueueProject project, string name)
    {
        await project.ExpOkAsync("run", "--queue", "-n", name);
        var id = (await project.StatusAsync()).Named(name).Id;
        await project.ExpOkAsync("queue", "start");
        await QueueProject.WaitUntilAsync(
            async () => project.StagePids().Count == 1 && (await project.StatusAsync()).Named(name).Status == "running",
            "the stage runs"
        );
        return id;
    }

    [Fact]
    public async Task Queue_kill_interrupts_the_stage_as_ctrl_c_does_so_it_cleans_up_and_the_entry_ends_failed()
    {
        // DVC: queue kill "gracefully interrupts" (SIGINT); the stage's own handler runs.
        await using var project = await TrappingStageAsync("printf \"cleaned up\\n\" > {side}/interrupted; exit 3");
        var id = await StartRunningAsync(project, "trapper");
        var pid = project.StagePids()[0];

        var kill = await project.ExpOkAsync("queue", "kill", id);

        Assert.Contains(id, kill.StdOut);
        Assert.Equal(["cleaned up"], project.SideLines("interrupted"));
        var entry = (await project.StatusAsync()).Named("trapper");
        Assert.Equal("failed", entry.Status);
        Assert.Equal(130, entry.ExitCode);
        Assert.Contains("kill", entry.Message);
        await QueueProject.WaitUntilAsync(() => !QueueProject.IsAlive(pid), "the stage is gone", 10);
    }

    [Fact]
    public async Task Queue_kill_force_kills_at_once_without_interrupting()
    {
        // DVC: queue kill -f "forcefully and immediately" kills.
        await using var project = await TrappingStageAsync("printf \"cleaned up\\n\" > {side}/interrupted; exit 3");
        var id = await StartRunningAsync(project, "trapper");
        var pid = project.StagePids()[0];

        await project.ExpOkAsync("queue", "kill", "-f", id);

        Assert.Empty(project.SideLines("interrupted"));
        Assert.Equal("failed", (await project.StatusAsync()).Named("trapper").Status);
        await QueueProject.WaitUntilAsync(() => !QueueProject.IsAlive(pid), "the stage is gone", 10);
    }

    [Fact]
    public async Task Queue_kill_of_a_stage_that_ignores_the_interrupt_kills_it_after_the_grace_time()
    {
        await using var project = await TrappingStageAsync("");
        var id = await StartRunningAsync(project, "stubborn");
        var pid = project.StagePids()[0];

        var kill = await project.ExpOkAsync("queue", "kill", id);

        Assert.Contains("Killed", kill.StdOut);
        Assert.Equal("failed", (await project.StatusAsync()).Named("stubborn").Status);
        await QueueProject.WaitUntilAsync(() => !QueueProject.IsAlive(pid), "the stage is gone", 10);
    }

    [Fact]
    public async Task Exp_clean_removes_a_dead_workers_workspace_and_stage_but_not_a_running_or_failed_entrys()
    {
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "30");
        await project.ExpOkAsync("run", "--queue", "-n", "broken", "-S", "fail=3", "-S", "sleep=0");
        await project.ExpOkAsync("run", "--queue", "-n", "stale");
        await project.ExpOkAsync("queue", "start", "-j", "1");
        await QueueProject.WaitUntilAsync(
            async () => (await project.StatusAsync()).Named("stale").Status == "running" && project.StagePids().Count == 4,
            "broken failed and stale runs"
        );
        var worker = Assert.Single(project.WorkerPids());
        var orphans = project.StagePids().Skip(2).ToList();
        QueueProject.Kill(worker);
        await QueueProject.WaitUntilAsync(
            async () => !QueueProject.IsAlive(worker) && (await project.StatusAsync()).Named("stale").Status == "queued",
            "the killed worker is gone"
        );
        await project.ExpOkAsync("run", "--temp", "-n", "busy");
        await QueueProject.WaitUntilAsync(
            async () => (await project.StatusAsync()).Named("busy").Status == "running" && project.StagePids().Count == 6,
            "busy runs"
        );
        var status = await project.StatusAsync();
        var (broken, stale, busy) = (status.Named("broken").Id, status.Named("stale").Id, status.Named("busy").Id);
        Assert.All(orphans, pid => Assert.True(QueueProject.IsAlive(pid), $"orphaned stage process {pid} runs"));

        var clean = await project.ExpOkAsync("clean");
        var again = await project.ExpOkAsync("clean");

        Assert.Contains($"Removed workspace .exptmp/{stale} (stale, queued).", clean.StdOut);
        Assert.DoesNotContain(busy, clean.StdOut);
        Assert.DoesNotContain(broken, clean.StdOut);
        Assert.Equal("Nothing to clean up.", again.StdOut.Trim());
        Assert.False(project.Repo.Exists($".exptmp/{stale}"));
        Assert.True(project.Repo.Exists($".exptmp/{busy}/train.sh"));
        Assert.True(project.Repo.Exists($".exptmp/{broken}/train.sh"));
        await QueueProject.WaitUntilAsync(() => orphans.All(pid => !QueueProject.IsAlive(pid)), "the orphans are stopped", 10);
        Assert.DoesNotContain($".exptmp/{stale}", await project.Repo.GitAsync("worktree", "list"));
        status = await project.StatusAsync();
        Assert.Equal("running", status.Named("busy").Status);
        Assert.Equal("queued", status.Named("stale").Status);
        Assert.Equal("failed", status.Named("broken").Status);
    }

    [Fact]
    public async Task A_worker_killed_mid_run_loses_no_entry_and_the_next_worker_records_each_once()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        // The first entry sleeps long enough to be caught running; its orphaned stage must not finish on its own.
        await project.ExpOkAsync("run", "--queue", "-n", "crash", "-S", "sleep=6,0,1");
        await project.ExpOkAsync("queue", "start", "-j", "1");
        await QueueProject.WaitUntilAsync(
            async () => project.StagePids().Count == 2 && (await project.StatusAsync()).Named("crash-1").Status == "running",
            "crash-1 runs"
        );
        var worker = Assert.Single(project.WorkerPids());
        var orphans = project.StagePids();

        QueueProject.Kill(worker);

        await QueueProject.WaitUntilAsync(
            async () => !QueueProject.IsAlive(worker) && (await project.StatusAsync()).Workers == 0,
            "the killed worker is gone"
        );
        Assert.Equal("queued", (await project.StatusAsync()).Named("crash-1").Status);

        await project.ExpOkAsync("queue", "start");
        await QueueProject.WaitUntilAsync(
            async () => (await project.StatusAsync()).Entries.All(e => e.Status == "success"),
            "every entry succeeded"
        );
        await project.StopWorkersAsync();

        var runs = project.SideLines("runs.log");
        Assert.Equal(["done crash-1", "done crash-2", "done crash-3"], runs.Where(l => l.StartsWith("done ")).Order());
        Assert.Equal(2, runs.Count(l => l == "start crash-1"));
        Assert.Equal(1, runs.Count(l => l == "start crash-2"));
        Assert.Equal(1, runs.Count(l => l == "start crash-3"));
        var head = await project.Repo.HeadAsync();
        Assert.Equal(
            new[] { "crash-1", "crash-2", "crash-3" }.Select(n => TempGitRepo.ExperimentRef(head, n)),
            await project.Repo.ExperimentRefsAsync()
        );
        Assert.Equal(
            ["crash-1:success", "crash-2:success", "crash-3:success"],
            (await project.StatusAsync()).Entries.Select(e => $"{e.Name}:{e.Status}").Order(StringComparer.Ordinal)
        );
        Assert.All(orphans, pid => Assert.False(QueueProject.IsAlive(pid), $"orphaned stage process {pid} still runs"));
        Assert.All(project.StagePids(), pid => Assert.False(QueueProject.IsAlive(pid), $"stage process {pid} still runs"));
    }

    [Fact]
    public async Task Identical_stages_of_parallel_entries_run_once_and_both_get_the_outs()
    {
        await using var project = await QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                ["params.yaml"] = "lr: 0.1\n",
                ["prep.sh"] = """
                #!/bin/sh
                printf 'prep %s\n' "$EXP_NAME" >> '{side}/prep.log'
                sleep 1
                printf '42\n' > prep.txt

                """,
                ["train.sh"] = """
                #!/bin/sh
                lr=$(awk '$1 == "lr:" { print $2 }' params.yaml)
                printf '{"prepared": %s, "lr_seen": %s}\n' "$(cat prep.txt)" "$lr" > metrics.json

                """,
                ["exp.yaml"] = """
                stages:
                  prep:
                    cmd: sh prep.sh
                    deps:
                      - prep.sh
                    outs:
                      - prep.txt
                  train:
                    cmd: sh train.sh
                    deps:
                      - train.sh
                      - prep.txt
                    params:
                      - lr
                    metrics:
                      - metrics.json:
                          cache: false

                """,
            }
        );
        await project.ExpOkAsync("run", "--queue", "-n", "twin", "-S", "lr=0.1,0.2");

        await project.ExpOkAsync("run", "--run-all", "-j", "2");

        Assert.Single(project.SideLines("prep.log"));
        var rows = (await project.ShowAsync()).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["twin-1", "twin-2"], rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.Equal("42", r.Metric("prepared")));
        Assert.Equal(["0.1", "0.2"], rows.Select(r => r.Metric("lr_seen")));
        var head = await project.Repo.HeadAsync();
        var prepLocks = new List<string>();
        foreach (var name in new[] { "twin-1", "twin-2" })
        {
            var lockText = await project.Repo.GitAsync("show", TempGitRepo.ExperimentRef(head, name) + ":exp.lock");
            prepLocks.Add(Regex.Match(lockText, @"- path: prep\.txt\s+sha256: (\w+)").Groups[1].Value);
        }

        Assert.NotEqual("", prepLocks[0]);
        Assert.Equal(prepLocks[0], prepLocks[1]);
    }

    [Fact]
    public async Task Temp_returns_at_once_and_temp_wait_returns_the_result()
    {
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "3");
        // A stop asked for earlier (with no worker left to obey it) must not swallow later temp runs.
        await project.ExpOkAsync("queue", "stop");

        var background = await project.ExpOkAsync("run", "--temp", "-n", "bg");

        Assert.DoesNotContain("done bg", project.SideLines("runs.log"));
        var entry = (await project.StatusAsync()).Named("bg");
        Assert.Contains(entry.Status, new[] { "queued", "running" });
        Assert.Contains(entry.Id, background.StdOut);
        await QueueProject.WaitUntilAsync(
            async () => (await project.ShowAsync()).Any(r => r.Name == "bg" && r.State == "Success"),
            "bg shows as a successful experiment"
        );
        Assert.Equal("1.6000", Assert.Single(await project.ShowAsync(), r => r.Name == "bg").Metric("score"));
        await QueueProject.WaitUntilAsync(async () => (await project.StatusAsync()).Workers == 0, "the temp worker exits");

        var attached = await project.ExpAsync("run", "--temp", "--wait", "-n", "fg", "-S", "lr=0.2", "-S", "sleep=0");

        Assert.True(attached.ExitCode == 0, attached.ToString());
        Assert.Contains("fg: succeeded", attached.StdOut);
        Assert.Contains("training fg with lr=0.2", attached.StdOut + await LogAsync(project, "fg"));
        Assert.Equal("3.2000", Assert.Single(await project.ShowAsync(), r => r.Name == "fg").Metric("score"));

        var failed = await project.ExpAsync("run", "--temp", "--wait", "-n", "no", "-S", "fail=4", "-S", "sleep=0");

        Assert.NotEqual(0, failed.ExitCode);
        var no = (await project.StatusAsync()).Named("no");
        Assert.Equal("failed", no.Status);
        Assert.Equal(4, no.ExitCode);
        Assert.Equal("Failed", Assert.Single(await project.ShowAsync(), r => r.Name == "no").State);
    }

    private static async Task<string> LogAsync(QueueProject project, string name) =>
        (await project.ExpOkAsync("queue", "logs", name)).StdOut;
}
