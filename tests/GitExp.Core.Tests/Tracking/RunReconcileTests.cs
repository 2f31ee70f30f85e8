using System.Diagnostics;
using GitExp.Core.Processes;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>Runs whose process died while the store says they run: settled as interrupted by the next open.</summary>
public sealed class RunReconcileTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);

    private readonly TempGitRepo _repo = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _repo.Dispose();
    }

    private string Baseline => _repo.Git("rev-parse", "HEAD");

    private RunRecord Running(string id, ProcessIdentity? process, string? experimentRef = null) =>
        new()
        {
            Id = id,
            ExperimentName = id,
            ExperimentRef = experimentRef,
            Baseline = Baseline,
            Kind = "workspace",
            Status = RunStatus.Running,
            Created = Start,
            Started = Start,
            Process = process,
            Executions =
            [
                new ExecutionRecord("prepare", "ran", Start, Start.AddSeconds(2), false, null),
                new ExecutionRecord("train", ExecutionRecord.Running, Start.AddSeconds(2), Start.AddSeconds(2), false, null),
            ],
        };

    /// <summary>A process that ran and ended: its id and start time are no longer anyone's.</summary>
    private static ProcessIdentity Ended()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", "0.2"))!;
        var identity = ProcessIdentity.Of(process.Id);
        process.WaitForExit();
        return Assert.IsType<ProcessIdentity>(identity);
    }

    private async Task<RunStore> OpenAsync(params RunRecord[] runs)
    {
        var project = await ExpProject.OpenAsync(_repo.Path);
        using (var raw = RunStore.Open(Path.Combine(project.ExpDirectory, "runs.db")))
        {
            foreach (var run in runs)
            {
                raw.Save(run);
            }
        }

        return RunStore.Open(project);
    }

    private string Checkpoint(string parent, int step, string name = "ck") =>
        _repo.Git(
            "commit-tree",
            "HEAD^{tree}",
            "-p",
            parent,
            "-m",
            $"exp: {name} checkpoint {step}",
            "-m",
            $"Exp-Checkpoint: {step}"
        );

    [Fact]
    public async Task A_run_whose_process_ended_is_interrupted_with_its_running_stage_and_finished_at_its_last_event()
    {
        using var store = await OpenAsync(Running("dead00000000", Ended()));

        var run = store.Get("dead00000000")!;
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal([("prepare", "ran"), ("train", "interrupted")], run.Executions.Select(e => (e.Stage, e.Status)));
        Assert.Equal(Start.AddSeconds(2), run.Finished);
        Assert.Null(run.ExitCode);
    }

    [Fact]
    public async Task A_run_whose_pid_is_alive_but_started_at_another_time_is_interrupted_and_a_live_run_is_not()
    {
        var self = ProcessIdentity.Current;
        using var store = await OpenAsync(
            Running("reused000000", self with { StartTime = self.StartTime + 1 }),
            Running("live00000000", self),
            Running("otherhost000", Ended() with { Host = "another-host" }) with
            {
                Host = "another-host",
            },
            Running("legacy000000", null)
        );

        Assert.Equal(RunStatus.Interrupted, store.Get("reused000000")!.Status);
        Assert.Equal(RunStatus.Running, store.Get("live00000000")!.Status);
        Assert.Equal("running", store.Get("live00000000")!.Executions[1].Status);
        // Neither can be checked from here: another machine's process, a run recorded without its process.
        Assert.Equal(RunStatus.Running, store.Get("otherhost000")!.Status);
        Assert.Equal(RunStatus.Running, store.Get("legacy000000")!.Status);
        Assert.Equal(self, store.Get("live00000000")!.Process);
    }

    [Fact]
    public async Task An_interrupted_run_gets_the_checkpoints_it_committed_and_not_those_of_the_run_it_continued()
    {
        var reference = $"refs/exps/{Baseline[..2]}/{Baseline[2..]}/ck";
        var first1 = Checkpoint(Baseline, 1);
        var first2 = Checkpoint(first1, 2);
        _repo.Git("update-ref", reference, first2);
        using (var store = await OpenAsync(Running("first0000000", Ended(), reference)))
        {
            Assert.Equal([(first1, 1), (first2, 2)], store.Get("first0000000")!.Checkpoints);
        }

        var second3 = Checkpoint(first2, 3);
        var second4 = Checkpoint(second3, 4);
        _repo.Git("update-ref", reference, second4);
        using var reopened = await OpenAsync(Running("second000000", Ended(), reference));

        var second = reopened.Get("second000000")!;
        Assert.Equal(RunStatus.Interrupted, second.Status);
        Assert.Equal([(second3, 3), (second4, 4)], second.Checkpoints);
        Assert.Equal("first0000000", second.ResumedFrom);
        Assert.Null(reopened.Get("first0000000")!.ResumedFrom);
        Assert.Equal([(first1, 1), (first2, 2)], reopened.Get("first0000000")!.Checkpoints);
    }

    [Fact]
    public async Task Reindex_settles_the_runs_whose_process_is_gone_too()
    {
        var project = await ExpProject.OpenAsync(_repo.Path);
        var path = Path.Combine(project.ExpDirectory, "runs.db");
        using (var raw = RunStore.Open(path))
        {
            raw.Save(Running("dead00000000", Ended()));
        }

        await new RunIndexer(project).ReindexAsync();

        using var store = RunStore.Open(path);
        Assert.Equal(RunStatus.Interrupted, store.Get("dead00000000")!.Status);
    }

    [Fact]
    public async Task A_store_from_before_run_processes_gets_the_columns_and_keeps_its_running_runs_running()
    {
        var path = Path.Combine(_repo.Path, ".exp", "runs.db");
        using (var store = RunStore.Open(path))
        {
            store.Save(Running("old000000000", null));
        }

        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // What a store of schema version 4 looks like.
            command.CommandText = """
                DROP TABLE schedules; DROP TABLE schedule_fires; DROP TABLE run_groups; ALTER TABLE runs DROP COLUMN schedule;
                DROP INDEX runs_running; DROP INDEX checkpoints_commit;
                ALTER TABLE runs DROP COLUMN pid; ALTER TABLE runs DROP COLUMN pid_start; ALTER TABLE runs DROP COLUMN boot_id; ALTER TABLE runs DROP COLUMN resumed_from;
                DELETE FROM schema_version WHERE version > 4;
                """;
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        using var upgraded = RunStore.Open(await ExpProject.OpenAsync(_repo.Path));

        var old = upgraded.Get("old000000000")!;
        Assert.Equal(RunStatus.Running, old.Status);
        Assert.Null(old.Process);
        upgraded.Save(old with { Id = "new000000000", Process = Ended() });
        Assert.Equal(["new000000000"], upgraded.Reconcile(await _repo.OpenAsync()));
        Assert.Equal(RunStatus.Interrupted, upgraded.Get("new000000000")!.Status);
    }
}
