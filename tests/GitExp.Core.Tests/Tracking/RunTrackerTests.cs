using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>Run tracking on a real repository: what it does when the store cannot be written.</summary>
public sealed class RunTrackerTests : IDisposable
{
    private readonly TempGitRepo _repo = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _repo.Dispose();
    }

    private static Stage Stage(string name) => new(name, "exp.yaml", ["echo " + name], ".", [], [], [], false, false, null, 1);

    [Fact]
    public async Task Stages_of_a_run_whose_store_cannot_be_written_warn_once_and_never_throw()
    {
        var project = await ExpProject.OpenAsync(_repo.Path);
        // A folder where the store's file should be: every open fails, as a full disk or a broken file would.
        Directory.CreateDirectory(Path.Combine(project.ExpDirectory, "runs.db"));
        var output = new StringWriter();
        var tracker = new RunTracker(project, output);
        var baseline = _repo.Git("rev-parse", "HEAD");

        var run = await tracker.StartAsync(
            project,
            "a1b2c3d4e5f6",
            "broken-store",
            baseline,
            "workspace",
            "dotnet exp run",
            RunStatus.Running,
            null,
            CancellationToken.None
        );
        foreach (var name in new[] { "prepare", "train" })
        {
            var stage = Stage(name);
            tracker.StageStarted(stage);
            tracker.StageFinished(
                new StageExecution(
                    stage,
                    new StageOutcome(stage, StageAction.Ran, []),
                    DateTimeOffset.UtcNow,
                    TimeSpan.Zero,
                    null
                )
            );
        }

        await tracker.FinishAsync(project, run, null, RunStatus.Succeeded, 0, [], CancellationToken.None);

        var lines = output.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("warning: ", l, StringComparison.Ordinal));
        Assert.Equal(
            2,
            lines.Count(l => l.StartsWith("warning: the run was not recorded in .exp/runs.db (", StringComparison.Ordinal))
        );
        Assert.Single(
            lines,
            l => l.StartsWith("warning: the run's stages were not recorded in .exp/runs.db", StringComparison.Ordinal)
        );
    }

    [Fact]
    public async Task A_failed_run_keeps_only_what_its_completed_stages_wrote_not_an_earlier_runs_results()
    {
        _repo.Write(
            "exp.yaml",
            """
            stages:
              prepare:
                cmd: echo rows > data.txt
                outs: [data.txt]
              train:
                cmd: sh train.sh
                deps: [data.txt]
                outs: [model.txt]
                metrics:
                  - metrics.json: {cache: false}
                plots:
                  - acc.tsv: {cache: false}

            """
        );
        _repo.Write(
            "train.sh",
            "printf '{\"acc\": 0.9}' > metrics.json\nprintf 'step\\tacc\\n1\\t0.9\\n' > acc.tsv\necho m > model.txt\n"
        );
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "two stages");
        var project = await ExpProject.OpenAsync(_repo.Path);
        project.EnsureInitialized();
        // An earlier run: its metrics, plot and model stay in the workspace and the lock file.
        await new PipelineRunner(project, SilentRunEvents.Instance).RunAsync(
            "earlier",
            new PipelineRunOptions { CurrentDirectory = _repo.Path }
        );
        Assert.True(File.Exists(Path.Combine(_repo.Path, "metrics.json")));
        var tracker = new RunTracker(project, new StringWriter());
        var run = await tracker.StartAsync(
            project,
            "f00000000001",
            "broken",
            _repo.Git("rev-parse", "HEAD"),
            "workspace",
            "dotnet exp run",
            RunStatus.Running,
            null,
            CancellationToken.None
        );
        var (prepare, train) = (Stage("prepare"), Stage("train"));
        tracker.StageStarted(prepare);
        tracker.StageFinished(
            new StageExecution(
                prepare,
                new StageOutcome(prepare, StageAction.Ran, []),
                DateTimeOffset.UtcNow,
                TimeSpan.Zero,
                null
            )
        );
        tracker.StageStarted(train);
        tracker.StageFinished(new StageExecution(train, null, DateTimeOffset.UtcNow, TimeSpan.Zero, 3));

        await tracker.FinishAsync(project, run, null, RunStatus.Failed, 3, [], CancellationToken.None);

        using var store = RunStore.Open(project);
        var failed = store.Get("f00000000001")!;
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Empty(failed.Metrics);
        Assert.Equal(["data.txt"], failed.Artifacts.Select(a => a.Path));
        Assert.Empty(store.MetricHistory("f00000000001", "metrics.json:acc"));
    }
}
