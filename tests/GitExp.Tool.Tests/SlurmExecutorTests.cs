using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// <c>--executor slurm</c> against a real one-node Slurm cluster: a sweep as one job array, a cancelled job, a controller
/// killed and started again; as Soak (for time), a job over its time limit (Slurm's smallest limit is a minute) and a
/// node failure with and without <c>--requeue</c>.
/// </summary>
public sealed class SlurmExecutorTests(SlurmCluster cluster) : IClassFixture<SlurmCluster>
{
    /// <summary>Each entry's Slurm job and state, from <c>queue status --json</c>.</summary>
    private static async Task<
        IReadOnlyDictionary<string, (string Status, string? Job, string? State, string? Message)>
    > JobsAsync(QueueProject project)
    {
        var json = JsonNode.Parse((await project.ExpOkAsync("queue", "status", "--json")).StdOut)!;
        return json["entries"]!
            .AsArray()
            .ToDictionary(
                e => (string)e!["name"]!,
                e => ((string)e!["status"]!, (string?)e["slurm_job"], (string?)e["slurm_state"], (string?)e["message"])
            );
    }

    /// <summary>
    /// Reads the queue once a second (each read settles what Slurm ended) until every entry has ended: on two cores a
    /// tool process every 100 ms would take the CPU from the jobs it waits for.
    /// </summary>
    private static async Task WaitUntilAllEndedAsync(QueueProject project, int seconds = 60)
    {
        for (var waited = 0; ; waited++)
        {
            if ((await project.StatusAsync()).Entries.All(e => e.Status is "success" or "failed"))
            {
                return;
            }

            Assert.True(waited < seconds, $"timed out after {seconds} s waiting until every entry ended");
            await Task.Delay(1000);
        }
    }

    [Fact]
    public async Task A_sweep_runs_as_one_job_array_two_at_a_time_with_each_result_a_ref_and_the_workspace_untouched()
    {
        await using var project = await QueueProject.CreateTrainingAsync();
        await project.ExpOkAsync("run", "--queue", "-S", "lr=0.1,0.2,0.3", "-S", "batch=16,32");
        var before = await project.WorkspaceFingerprintAsync();

        var start = await project.ExpOkAsync("queue", "start", "--executor", "slurm", "-j", "2");

        Assert.Contains("Submitted 6 experiment(s) to Slurm as job array", start.StdOut);
        var arrayId = (await JobsAsync(project)).Values.Select(j => j.Job!.Split('_')[0]).Distinct().Single();
        // The cap is Slurm's own: the array's throttle, not a process of ours waiting on the login node.
        var job = await SlurmCluster.RunAsync("scontrol", "-o", "show", "job", arrayId + "_0");
        Assert.Contains("ArrayTaskThrottle=2", job.StdOut);
        await WaitUntilAllEndedAsync(project);

        var jobs = await JobsAsync(project);
        Assert.All(jobs.Values, j => Assert.Equal(("success", "COMPLETED"), (j.Status, j.State)));
        Assert.Equal(
            6,
            (await project.Repo.ExperimentRefsAsync()).Count(r => !r.StartsWith("refs/exps/failed/", StringComparison.Ordinal))
        );
        var rows = await project.ShowAsync();
        Assert.Equal(6, rows.Count);
        Assert.Equal(
            ["1.6000", "3.2000", "3.2000", "4.8000", "6.4000", "9.6000"],
            rows.Select(r => r.Metric("score")!).Order(StringComparer.Ordinal)
        );
        Assert.Equal(6, rows.Select(r => (r.Param("lr"), r.Param("batch"))).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("Success", r.State));
        Assert.Equal(before, await project.WorkspaceFingerprintAsync());
        Assert.Empty(await SlurmCluster.RunAsync("squeue", "-h", "-j", arrayId).ContinueWith(t => t.Result.StdOut.Trim()));
    }

    [Fact]
    public async Task A_cancelled_job_ends_failed_with_the_reason_and_its_log_and_queue_kill_cancels_a_waiting_one()
    {
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "60");
        await project.ExpOkAsync("run", "--queue", "-n", "running");
        await project.ExpOkAsync("queue", "start", "--executor", "slurm");
        // A temp run through Slurm, held there by an sbatch option of its own: it waits until killed.
        var temp = await project.ExpOkAsync("run", "--temp", "-n", "waiting", "--executor", "slurm", "--sbatch-arg=--hold");
        Assert.Contains("Submitted 1 experiment(s) to Slurm", temp.StdOut);
        await QueueProject.WaitUntilAsync(
            async () => project.StagePids().Count == 2 && (await project.StatusAsync()).Named("running").Status == "running",
            "the first entry's stage runs"
        );
        var jobs = await JobsAsync(project);
        Assert.Equal(("queued", "PENDING"), (jobs["waiting"].Status, jobs["waiting"].State));
        var waitingId = (await project.StatusAsync()).Named("waiting").Id;

        using var follow = ExpTool.Start(project.Root, "queue", "logs", "running", "-f");

        var kill = await project.ExpOkAsync("queue", "kill", waitingId);
        var cancel = await SlurmCluster.RunAsync("scancel", jobs["running"].Job!);

        Assert.Contains($"Killed {waitingId}", kill.StdOut);
        Assert.Equal(0, cancel.ExitCode);
        await WaitUntilAllEndedAsync(project);
        jobs = await JobsAsync(project);
        Assert.Equal(("failed", "CANCELLED"), (jobs["running"].Status, jobs["running"].State));
        Assert.Contains("cancelled in Slurm (scancel)", jobs["running"].Message);
        Assert.Equal(("failed", "CANCELLED"), (jobs["waiting"].Status, jobs["waiting"].State));
        Assert.Contains("killed by 'dotnet exp queue kill'", jobs["waiting"].Message);
        var log = await project.ExpOkAsync("queue", "logs", "running");
        Assert.Contains("Running stage 'train'", log.StdOut);
        Assert.Contains("CANCELLED AT", log.StdOut);
        // 'logs -f' followed the job's output on the shared filesystem until Slurm's end of it.
        var followed = await follow.WaitAsync();
        Assert.Equal(0, followed.ExitCode);
        Assert.Equal(log.StdOut, followed.StdOut);
        await QueueProject.WaitUntilAsync(
            () => project.StagePids().All(pid => !QueueProject.IsAlive(pid)),
            "the stage is gone",
            20
        );
        Assert.Equal(["start running"], project.SideLines("runs.log"));
        Assert.Equal(
            2,
            (await project.Repo.ExperimentRefsAsync()).Count(r => r.StartsWith("refs/exps/failed/", StringComparison.Ordinal))
        );
    }

    [Fact]
    [Trait("Category", "Soak")]
    public async Task A_node_failure_fails_an_entry_with_the_reason_and_with_requeue_runs_it_again()
    {
        // Soak for time: two 10 s stages, one of them twice (about 45 s on the shared machine).
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "10");
        await project.ExpOkAsync("run", "--queue", "-n", "plain");
        await project.ExpOkAsync("queue", "start", "--executor", "slurm");
        // Other params than 'plain': with the same, the run-cache could restore one from the other.
        await project.ExpOkAsync("run", "--queue", "-n", "again", "-S", "lr=0.2");
        await project.ExpOkAsync("queue", "start", "--executor", "slurm", "--requeue");
        await QueueProject.WaitUntilAsync(
            () => project.SideLines("runs.log").Order(StringComparer.Ordinal).SequenceEqual(["start again", "start plain"]),
            $"both entries' stages run ({(await SlurmCluster.RunAsync("squeue")).StdOut})",
            60
        );

        var node = (await SlurmCluster.RunAsync("hostname", "-s")).StdOut.Trim();
        var down = await SlurmCluster.RunAsync("scontrol", "update", "nodename=" + node, "state=down", "reason=test");
        Assert.Equal(0, down.ExitCode);
        await QueueProject.WaitUntilAsync(
            () => project.StagePids().All(pid => !QueueProject.IsAlive(pid)),
            "the stages are gone",
            20
        );
        // ReturnToService=2 brings a node whose slurmd answers back by itself; resume in case it has not yet.
        await SlurmCluster.RunAsync("scontrol", "update", "nodename=" + node, "state=resume");

        await WaitUntilAllEndedAsync(project, 90);
        var jobs = await JobsAsync(project);
        Assert.Equal(("failed", "NODE_FAIL"), (jobs["plain"].Status, jobs["plain"].State));
        Assert.Contains("killed by Slurm: its node failed", jobs["plain"].Message);
        Assert.Equal("success", jobs["again"].Status);
        var lines = project.SideLines("runs.log");
        Assert.True(
            lines
                .Where(l => l.EndsWith("again", StringComparison.Ordinal))
                .SequenceEqual(["start again", "start again", "done again"]),
            string.Join(" / ", lines)
        );
    }

    [Fact]
    [Trait("Category", "Soak")]
    public async Task A_job_over_its_time_limit_ends_failed_with_the_reason()
    {
        // Slurm's smallest time limit is one minute, and it looks every 30 s: this takes about 90 s.
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "600");
        await project.ExpOkAsync("run", "--queue", "-n", "slow");

        await project.ExpOkAsync("queue", "start", "--executor", "slurm", "--time", "1");

        await WaitUntilAllEndedAsync(project, 180);
        var jobs = await JobsAsync(project);
        Assert.Equal(("failed", "TIMEOUT"), (jobs["slow"].Status, jobs["slow"].State));
        Assert.Contains("time limit", jobs["slow"].Message);
        Assert.Contains("DUE TO TIME LIMIT", (await project.ExpOkAsync("queue", "logs", "slow")).StdOut);
    }

    [Fact]
    public async Task Entries_finish_after_slurmctld_is_killed_and_started_again_and_nothing_is_submitted_twice()
    {
        await using var project = await QueueProject.CreateTrainingAsync(sleep: "4");
        // The executor from the config this time: 'queue start' alone submits to Slurm, one at a time.
        project.Repo.WriteFile(".exp/config.yaml", "executor:\n  name: slurm\n  jobs: 1\n");
        await project.Repo.CommitAllAsync("Slurm by default");
        await project.ExpOkAsync("run", "--queue", "-S", "lr=0.1,0.2");
        Assert.Contains("as job array", (await project.ExpOkAsync("queue", "start")).StdOut);
        await QueueProject.WaitUntilAsync(() => project.StagePids().Count >= 2, "the first entry's stage runs");
        var arrays = (await JobsAsync(project)).Values.Select(j => j.Job).ToList();
        // slurmctld saves its state a few seconds after a change: a job started since is lost with the controller, and
        // Slurm then drains the node on seeing it twice. A crash after the save is the case this test is about.
        await cluster.WaitUntilStateSavedAsync(arrays.First(j => j!.EndsWith("_0", StringComparison.Ordinal))!);

        cluster.KillController();
        try
        {
            // Without the controller nothing can be told: entries stay as they are, and submitting again is refused.
            var status = await project.ExpOkAsync("queue", "status", "--json");
            Assert.DoesNotContain("\"failed\"", status.StdOut);
            var again = await project.ExpAsync("queue", "start");
            Assert.Equal(7, again.ExitCode);
            Assert.Contains("squeue", again.StdErr);
        }
        finally
        {
            await cluster.StartControllerAsync();
        }

        await WaitUntilAllEndedAsync(project, 90);
        var jobs = await JobsAsync(project);
        Assert.All(jobs.Values, j => Assert.Equal("success", j.Status));
        Assert.Equal(arrays, jobs.Values.Select(j => j.Job).ToList());
        Assert.Equal(2, (await project.ShowAsync()).Count(r => r.State == "Success"));
        Assert.Equal(2, project.SideLines("runs.log").Count(l => l.StartsWith("done", StringComparison.Ordinal)));
    }
}
