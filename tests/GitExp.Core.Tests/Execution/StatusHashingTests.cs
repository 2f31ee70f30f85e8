using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Execution;

/// <summary>What status reads: every file once when the state table is new (a fresh clone), nothing when it is not.</summary>
public sealed class StatusHashingTests : IDisposable
{
    private const int Files = 50;

    private readonly TempGitRepo _repo = new();
    private readonly TempFolder _clones = new();

    public void Dispose()
    {
        _repo.Dispose();
        _clones.Dispose();
    }

    [Fact]
    public async Task First_status_after_a_clone_reads_each_file_of_a_folder_dep_once_and_the_next_status_none()
    {
        _repo.Write(
            "dvc.yaml",
            """
            stages:
              count:
                cmd: ls data | wc -l > count.txt
                deps: [data]
                outs: [count.txt]

            """
        );
        _repo.Write(".gitignore", "/count.txt\n");
        long bytes = 0;
        for (var i = 0; i < Files; i++)
        {
            bytes += new FileInfo(_repo.Write($"data/d{i % 5}/f{i:D2}.txt", new string('x', i + 1))).Length;
        }

        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "data");
        var project = await ExpProject.OpenAsync(_repo.Path);
        await new PipelineRunner(project, SilentRunEvents.Instance).RunAsync(
            "run-1",
            new PipelineRunOptions { CurrentDirectory = _repo.Path }
        );
        _repo.Git("add", "dvc.lock");
        _repo.Git("commit", "-q", "-m", "lock");
        var clone = _clones.Combine("clone");
        _repo.Git("clone", "-q", _repo.Path, clone);

        var first = new ProgressEvents();
        var statuses = await new PipelineRunner(await ExpProject.OpenAsync(clone), first).StatusAsync(
            new PipelineRunOptions { CurrentDirectory = clone }
        );
        var second = new ProgressEvents();
        await new PipelineRunner(await ExpProject.OpenAsync(clone), second).StatusAsync(
            new PipelineRunOptions { CurrentDirectory = clone }
        );

        // The out is not in Git, so it is missing in the clone; the dep is as the lock file has it.
        Assert.Equal(["out 'count.txt' missing"], Assert.Single(statuses).Reasons);
        var done = Assert.Single(first.Reports, r => r.Finished);
        Assert.Equal(
            (FileWork.Hashing, "dvc.yaml:count", Files, bytes),
            (done.Work, done.Subject, done.FilesTotal, done.BytesTotal)
        );
        Assert.Equal((Files, bytes), (done.FilesDone, done.BytesDone));
        Assert.Empty(second.Reports);
    }

    private sealed class ProgressEvents : IRunEvents
    {
        private readonly Lock _lock = new();
        private readonly List<FileProgressReport> _reports = [];

        public IReadOnlyList<FileProgressReport> Reports
        {
            get
            {
                lock (_lock)
                {
                    return [.. _reports];
                }
            }
        }

        public void Progress(FileProgressReport report)
        {
            lock (_lock)
            {
                _reports.Add(report);
            }
        }

        public void StageSkipped(Stage stage, StageAction action) { }

        public void StageRestoredFromRunCache(Stage stage) { }

        public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands) { }

        public void StageStarted(Stage stage) { }

        public void CommandStarted(Stage stage, string command) { }

        public void CommandOutput(ReadOnlySpan<char> text, CommandStream stream) { }

        public void StageFinished(StageExecution execution) { }

        public void Warning(string message) { }
    }
}
