using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Experiments;

/// <summary>The one execution path as a front end sees it: events, in order, for what a run did.</summary>
public sealed class ExperimentExecutionTests : IDisposable
{
    private readonly TempGitRepo _repo = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _repo.Dispose();
    }

    [Fact]
    public async Task A_workspace_run_reports_each_command_line_and_the_experiment_and_an_unchanged_rerun_reports_the_skip()
    {
        _repo.Write(
            "exp.yaml",
            "stages:\n  hello:\n    cmd: |\n      echo one\n      echo two > out.txt\n    deps:\n      - in.txt\n    outs:\n      - out.txt\n"
        );
        _repo.Write("in.txt", "in\n");
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "pipeline");
        var project = await ExpProject.OpenAsync(_repo.Path);
        var here = new PipelineRunOptions { CurrentDirectory = _repo.Path };

        var first = new RecordingEvents();
        var run = await new ExperimentExecution(project, first).RunAsync(
            new ExperimentRunOptions { Name = "first", Pipeline = here }
        );
        var second = new RecordingEvents();
        var rerun = await new ExperimentExecution(project, second).RunAsync(new ExperimentRunOptions { Pipeline = here });

        Assert.Equal(
            [
                "started hello",
                "command echo one",
                "output one\n",
                "command echo two > out.txt",
                "finished hello ran",
                "recorded first",
            ],
            first.Lines
        );
        Assert.Equal("first", run.Recorded?.Name);
        Assert.Equal(["skipped hello UpToDate", "finished hello up-to-date"], second.Lines);
        Assert.Null(rerun.Recorded);
    }

    private sealed class RecordingEvents : IExperimentEvents
    {
        public List<string> Lines { get; } = [];

        public void StageSkipped(Stage stage, StageAction action) => Lines.Add($"skipped {stage.Name} {action}");

        public void StageRestoredFromRunCache(Stage stage) => Lines.Add($"restored {stage.Name}");

        public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands) =>
            Lines.Add($"would run {stage.Name}");

        public void StageStarted(Stage stage) => Lines.Add($"started {stage.Name}");

        public void CommandStarted(Stage stage, string command) => Lines.Add($"command {command}");

        public void CommandOutput(ReadOnlySpan<char> text, CommandStream stream) => Lines.Add($"output {text}");

        public void StageFinished(StageExecution execution) => Lines.Add($"finished {execution.Stage.Name} {execution.Status}");

        public void Warning(string message) => Lines.Add($"warning {message}");

        public void Progress(GitExp.Core.Cache.FileProgressReport report) { }

        public void ResumingFromCheckpoint(string experimentName, string checkpoint, int step) =>
            Lines.Add($"resuming {experimentName}");

        public void CheckpointRecorded(string experimentName, int step, string commit) =>
            Lines.Add($"checkpoint {experimentName} {step}");

        public void ExperimentRecorded(Experiment experiment) => Lines.Add($"recorded {experiment.Name}");
    }
}
