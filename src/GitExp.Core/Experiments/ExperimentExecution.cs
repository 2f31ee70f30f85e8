using System.Globalization;
using System.Text;
using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;
using GitExp.Core.Tracking;

namespace GitExp.Core.Experiments;

/// <summary>Options of <c>dotnet exp run</c> beyond the pipeline's own.</summary>
public sealed record ExperimentRunOptions
{
    public PipelineRunOptions Pipeline { get; init; } = new();

    public string? Name { get; init; }

    public string? Message { get; init; }

    /// <summary><c>-S [file:]key=value</c> changes written to the params files before the run.</summary>
    public IReadOnlyList<ParamAssignment> SetParams { get; init; } = [];

    /// <summary>Replace an experiment of the same name.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Continue from this checkpoint (a commit id, an experiment name, or <c>name~N</c>).</summary>
    public string? Rev { get; init; }

    /// <summary>Discard the checkpoint outs and start over.</summary>
    public bool Reset { get; init; }

    /// <summary>The command line as the user typed it, kept with the run.</summary>
    public string CommandLine { get; init; } = "dotnet exp run";
}

/// <summary>The stages' outcomes and the experiment recorded, if any (with the reason when none).</summary>
/// <summary>What <c>exp save</c> records: the workspace as it is, under a name.</summary>
public sealed record ExperimentSaveOptions
{
    public string? Name { get; init; }

    public string? Message { get; init; }

    /// <summary>Replace an experiment of the same name and baseline.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Stages whose changes are committed to the lock file first; none: every stage.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Paths committed even though .gitignore names them.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    public string CurrentDirectory { get; init; } = Environment.CurrentDirectory;

    public string CommandLine { get; init; } = "dotnet exp save";
}

public sealed record ExperimentRunResult(IReadOnlyList<StageOutcome> Stages, Experiment? Recorded, string? NotRecordedReason);

/// <summary>
/// A run in an isolated workspace (a queued or temp run), prepared by the queue: the worktree exists and holds
/// the entry's snapshot; the run is recorded under <paramref name="Name"/> on <paramref name="Baseline"/>.
/// </summary>
/// <param name="AlsoUpdate">Ref changes made in the same transaction as the experiment's ref (the queue ref goes).</param>
public sealed record IsolatedRun(
    ExpProject Workspace,
    string RunId,
    string Name,
    string Baseline,
    string CommandLine,
    string LogPath,
    string PidFile,
    CheckpointPlan Plan,
    PipelineRunOptions Pipeline,
    IReadOnlyList<RefUpdate> AlsoUpdate
)
{
    /// <summary>The experiment's commit message (<c>-m</c> when it was queued); null: <c>exp: &lt;name&gt;</c>.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// The one way an experiment runs, in the workspace or isolated (queued, temp): restores the checkpoint it
/// continues from, sets the stages' environment, runs the pipeline, commits checkpoints, records the
/// experiment, tracks the run in the run store with its true final status, and tells
/// <paramref name="events"/> what happens.
/// </summary>
public sealed class ExperimentExecution(ExpProject project, IExperimentEvents events)
{
    /// <summary>Runs the pipeline in the workspace and records the result as an experiment commit.</summary>
    public async Task<ExperimentRunResult> RunAsync(ExperimentRunOptions options, CancellationToken cancellationToken = default)
    {
        if (!options.Pipeline.Dry)
        {
            // Loading SQLite overlaps reading the pipelines and git's answers below, instead of following them.
            RunStore.PreloadInBackground();
        }

        var git = project.Git;
        var baseline = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        if (options.Name is not null && options.Rev is null)
        {
            await CheckNameFreeAsync(baseline, options.Name, options.Overwrite, cancellationToken).ConfigureAwait(false);
        }
        else if (options.Name is not null)
        {
            await ExperimentNames.ValidateAsync(git, options.Name, "--name", cancellationToken).ConfigureAwait(false);
        }

        if (options.Rev is null)
        {
            // Bad input is refused before anything is written, .exp/ and the run store included.
            await new PipelineRunner(project, events)
                .CheckSelectionAsync(options.Pipeline, cancellationToken)
                .ConfigureAwait(false);
            ParamEdits.CheckForWorkspace(project, options.SetParams);
        }

        using var workspaceLock = WorkspaceLock.Acquire(project);
        // A run killed with SIGKILL leaves its stage command running; it must not write into this run.
        var pidFile = Path.Combine(project.TempDirectory, "stage.pid");
        OrphanProcess.Kill(pidFile, project.Root);
        // A malformed pipeline is refused before -S touches any params file.
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        if (options.Rev is null)
        {
            ParamEdits.ApplyToWorkspace(project, options.SetParams);
        }
        else
        {
            // Set once the checkpoint's files are restored: restoring them would undo the values otherwise.
            ParamEdits.RefuseSweep(options.SetParams);
        }

        var checkpointOuts = index.Graph.Stages.SelectMany(s => s.Outs).Where(o => o.Checkpoint).ToList();
        var planner = new CheckpointPlanner(project);
        var plan = await planner
            .PlanAsync(
                baseline,
                options.Name,
                options.Rev,
                options.SetParams,
                options.Reset,
                options.Overwrite,
                checkpointOuts.Count > 0,
                cancellationToken
            )
            .ConfigureAwait(false);
        if (plan.Restart && !options.Pipeline.Dry)
        {
            events.Warning(
                $"the last checkpointing run in this workspace was interrupted, and this run does not continue one of its checkpoints: the checkpoint stages start over as experiment '{plan.Chain.Name}'"
            );
        }

        if ((options.Reset || plan.Restart) && !options.Pipeline.Dry)
        {
            foreach (var checkpointOut in checkpointOuts)
            {
                ContentCache.RemoveOutput(project.FullPath(checkpointOut.Path));
            }
        }

        if (checkpointOuts.Count > 0 && !options.Pipeline.Dry)
        {
            planner.Remember(plan.Chain);
        }

        var runId = Guid.NewGuid().ToString("N")[..12];
        var result = await ExecuteAsync(
                new RunSpec(
                    project,
                    runId,
                    "workspace",
                    options.CommandLine,
                    Path.Combine(project.LogDirectory, runId + ".log"),
                    pidFile,
                    plan,
                    options.Pipeline,
                    options.Message,
                    options.Overwrite,
                    options.Name is not null,
                    []
                ),
                cancellationToken,
                cancellationToken
            )
            .ConfigureAwait(false);
        if (checkpointOuts.Count > 0 && !options.Pipeline.Dry)
        {
            planner.Finished(plan.Chain);
        }

        if (
            result.Recorded is null
            && !options.Pipeline.Dry
            && checkpointOuts.Count > 0
            && result.Stages.All(o => o.Action != StageAction.Ran)
        )
        {
            result = result with
            {
                NotRecordedReason =
                    result.NotRecordedReason
                    + "; to train further from the last checkpoint run 'dotnet exp run --rev <experiment>', to start over 'dotnet exp run --reset'",
            };
        }

        return result;
    }

    /// <summary>
    /// Records the workspace as it is as an experiment, running nothing (<c>exp save</c>): the changed stages'
    /// lock entries and cached outs are written first (DVC's <c>commit</c>), then the workspace is committed
    /// under <c>refs/exps</c> like a run's result, and the save is tracked in the run store.
    /// </summary>
    public async Task<Experiment> SaveAsync(ExperimentSaveOptions options, CancellationToken cancellationToken = default)
    {
        var git = project.Git;
        var baseline = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        if (options.Name is not null)
        {
            await CheckNameFreeAsync(baseline, options.Name, options.Overwrite, cancellationToken).ConfigureAwait(false);
        }

        var include = options.Include.Select(path => CheckIncluded(path, options.CurrentDirectory)).ToList();
        var pipeline = new PipelineRunOptions { Targets = options.Targets, CurrentDirectory = options.CurrentDirectory };
        await new PipelineRunner(project, events).CheckSelectionAsync(pipeline, cancellationToken).ConfigureAwait(false);
        using var workspaceLock = WorkspaceLock.Acquire(project);
        var store = new ExperimentStore(git);
        var name =
            options.Name
            ?? ExperimentNames.Generate(await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false));
        await new PipelineRunner(project, events).CommitAsync(pipeline, cancellationToken).ConfigureAwait(false);
        using var warnings = new WarningWriter(events);
        var tracker = new RunTracker(project, warnings);
        var runId = Guid.NewGuid().ToString("N")[..12];
        var run = await tracker
            .StartAsync(project, runId, name, baseline, "save", options.CommandLine, RunStatus.Running, null, cancellationToken)
            .ConfigureAwait(false);
        Experiment? experiment;
        try
        {
            // Asked for by name: recorded even when it matches HEAD or another experiment (as DVC does).
            (experiment, _) = await new ExperimentRecorder(project)
                .RecordAsync(
                    baseline,
                    name,
                    options.Message,
                    options.Overwrite,
                    nameGiven: true,
                    cancellationToken,
                    include: include
                )
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is ExpException or GitCommandException or OperationCanceledException)
        {
            await tracker
                .FinishAsync(project, run, null, RunStatus.Failed, (int)ExitCode.Conflict, [], CancellationToken.None)
                .ConfigureAwait(false);
            throw;
        }

        await tracker
            .FinishAsync(project, run, experiment, RunStatus.Succeeded, 0, [], CancellationToken.None)
            .ConfigureAwait(false);
        events.ExperimentRecorded(experiment!);
        return experiment!;
    }

    private string CheckIncluded(string path, string currentDirectory)
    {
        var full = Path.GetFullPath(path, currentDirectory);
        var relative = Path.GetRelativePath(project.Root, full);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ExpException(ExitCode.Usage, $"--include-untracked '{path}': the path is outside the repository");
        }

        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw new ExpException(ExitCode.NotFound, $"--include-untracked '{path}': no such file or folder");
        }

        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>A name given for a new experiment is valid, and free for this baseline unless it is to be overwritten.</summary>
    private async Task CheckNameFreeAsync(string baseline, string name, bool overwrite, CancellationToken cancellationToken)
    {
        var git = project.Git;
        var store = new ExperimentStore(git);
        await ExperimentNames.ValidateAsync(git, name, "--name", cancellationToken).ConfigureAwait(false);
        var taken = await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false);
        if (taken.Contains(name) && !overwrite)
        {
            var existing = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).First(e =>
                e.Baseline == baseline && e.Name == name
            );
            throw new ExpException(
                ExitCode.Conflict,
                existing.Interrupted
                    ? $"--name '{name}': that experiment was interrupted; continue it with 'dotnet exp run --rev {name}' (or plain 'dotnet exp run'), or use -f to start it over"
                    : $"--name '{name}': an experiment of that name already exists for this commit; use -f to overwrite it or choose another name"
            );
        }
    }

    /// <summary>Runs a queued or temp experiment in its isolated workspace and records it.</summary>
    /// <param name="cancellationToken">Stops the run: the worker is stopping (interrupted) or the entry was killed (failed).</param>
    /// <param name="stopping">Whether the worker itself is stopping: a cancellation without it is a kill of this entry.</param>
    /// <returns>The experiment recorded.</returns>
    public async Task<Experiment> RunIsolatedAsync(
        IsolatedRun run,
        CancellationToken cancellationToken,
        CancellationToken stopping
    )
    {
        var result = await ExecuteAsync(
                new RunSpec(
                    run.Workspace,
                    run.RunId,
                    "queue",
                    run.CommandLine,
                    run.LogPath,
                    run.PidFile,
                    run.Plan,
                    run.Pipeline with
                    {
                        CurrentDirectory = run.Workspace.Root,
                    },
                    run.Message,
                    false,
                    true,
                    run.AlsoUpdate
                ),
                cancellationToken,
                stopping
            )
            .ConfigureAwait(false);
        return result.Recorded!;
    }

    private async Task<ExperimentRunResult> ExecuteAsync(
        RunSpec spec,
        CancellationToken cancellationToken,
        CancellationToken stopping
    )
    {
        var workspace = spec.Workspace;
        var plan = spec.Plan;
        var chain = plan.Chain;
        var dry = spec.Pipeline.Dry;
        if (!dry)
        {
            RefuseStaleRefLocks(chain, [chain.Ref, .. spec.AlsoUpdate.Select(u => u.Ref)]);
        }

        if (plan.ResumeFrom is { } resumeFrom && !dry)
        {
            await RestoreCheckpointAsync(workspace, chain.Baseline, resumeFrom, plan.RestoreAll, cancellationToken)
                .ConfigureAwait(false);
            ParamEdits.WriteToWorkspace(workspace, plan.ParamTexts);
            events.ResumingFromCheckpoint(chain.Name, resumeFrom, chain.Step);
        }

        var environment = new Dictionary<string, string?>(spec.Pipeline.Environment)
        {
            ["EXP_NAME"] = chain.Name,
            ["EXP_BASELINE"] = chain.Baseline,
        };
        var forceStages = spec.Pipeline.ForceStages;
        if (plan.Resumes)
        {
            environment["EXP_RESUME"] = "1";
            environment["EXP_CHECKPOINT_STEP"] = chain.Step.ToString(CultureInfo.InvariantCulture);
        }

        if (plan.Resumes || plan.Restart)
        {
            // A resumed run continues training even though its inputs match the checkpoint's lock; a restarted one
            // must not take the lock its interrupted predecessor wrote at an unrecorded checkpoint as finished.
            var index = await PipelineIndex.LoadAsync(workspace, [], cancellationToken).ConfigureAwait(false);
            forceStages = index
                .Graph.Stages.Where(s => s.Outs.Any(o => o.Checkpoint))
                .Select(s => s.Address)
                .ToHashSet(StringComparer.Ordinal);
        }

        var recorder = new ExperimentRecorder(workspace);
        var checkpoints = new List<(string Commit, int Step)>();
        var pipeline = spec.Pipeline with
        {
            Environment = environment,
            PidFile = spec.PidFile,
            ForceStages = forceStages,
            // Each run has its own chain and ref, so parallel checkpointing runs never meet.
            Checkpoint = async (stage, step, token) =>
            {
                var number = step ?? chain.Step + 1;
                var commit = await recorder.CommitCheckpointAsync(chain, number, token).ConfigureAwait(false);
                checkpoints.Add((commit, number));
                events.CheckpointRecorded(chain.Name, number, commit);
            },
        };
        if (dry)
        {
            var wouldRun = await new PipelineRunner(workspace, events)
                .RunAsync(spec.RunId, pipeline, cancellationToken)
                .ConfigureAwait(false);
            return new ExperimentRunResult(wouldRun, null, "dry run");
        }

        using var warnings = new WarningWriter(events);
        var tracker = new RunTracker(project, warnings);
        var run = await tracker
            .StartAsync(
                workspace,
                spec.RunId,
                chain.Name,
                chain.Baseline,
                spec.Kind,
                spec.CommandLine,
                RunStatus.Running,
                spec.LogPath,
                cancellationToken
            )
            .ConfigureAwait(false);
        IReadOnlyList<StageOutcome> outcomes;
        Experiment? experiment;
        string? reason;
        try
        {
            outcomes = await new PipelineRunner(workspace, new TrackedEvents(events, tracker))
                .RunAsync(spec.RunId, pipeline, cancellationToken)
                .ConfigureAwait(false);
            var onChain = chain.RefValue is not null || chain.Parent != chain.Baseline;
            (experiment, reason) = await recorder
                .RecordAsync(
                    chain.Baseline,
                    chain.Name,
                    spec.Message,
                    spec.Overwrite,
                    spec.NameGiven || onChain,
                    cancellationToken,
                    spec.AlsoUpdate,
                    onChain ? chain : null,
                    chain.Step > 0
                        ? $"{CheckpointPlanner.LastStepTrailer}: {chain.Step.ToString(CultureInfo.InvariantCulture)}"
                        : null
                )
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is StageFailedException or ExpException or OperationCanceledException or GitCommandException)
        {
            var (status, code) = e switch
            {
                StageFailedException failed => (RunStatus.Failed, failed.ExitCode),
                ExpException user => (RunStatus.Failed, (int)user.Code),
                // A cancellation the worker did not ask for is a kill of this run ('queue kill'): it failed.
                OperationCanceledException => (
                    stopping.IsCancellationRequested ? RunStatus.Interrupted : RunStatus.Failed,
                    (int)ExitCode.Interrupted
                ),
                _ => (RunStatus.Failed, 1),
            };
            // The tracker reads the run's values and outs from its workspace: before an isolated one goes.
            await tracker
                .FinishAsync(workspace, run, null, status, code, checkpoints, CancellationToken.None)
                .ConfigureAwait(false);
            throw;
        }

        await tracker
            .FinishAsync(workspace, run, experiment, RunStatus.Succeeded, 0, checkpoints, CancellationToken.None)
            .ConfigureAwait(false);
        if (experiment is not null)
        {
            events.ExperimentRecorded(experiment);
        }

        return new ExperimentRunResult(outcomes, experiment, reason);
    }

    /// <summary>
    /// A ref transaction killed half-way leaves Git's <c>&lt;ref&gt;.lock</c>, and every later update of that ref
    /// fails; found before anything runs, it is named with what to do, instead of failing after the whole pipeline.
    /// </summary>
    private void RefuseStaleRefLocks(ExperimentChain chain, IEnumerable<string> refs)
    {
        foreach (var name in refs)
        {
            var lockPath = Path.Combine(project.Git.GitDir, name + ".lock");
            if (File.Exists(lockPath))
            {
                throw new ExpException(
                    ExitCode.Conflict,
                    $"experiment '{chain.Name}': Git's lock file {Path.GetRelativePath(project.Root, lockPath)} is left from a command that was killed and blocks {name}; if no git or 'dotnet exp' command is running, delete that file and run again"
                );
            }
        }
    }

    /// <summary>
    /// Puts the checkpoint's files (all of them, for an interrupted run) and its cached outs in the workspace.
    /// Files the workspace has that neither the checkpoint nor the baseline has (a user's notes, the file the
    /// shell redirects this run's output to) are no one's to delete: they are left where they are.
    /// </summary>
    private static async Task RestoreCheckpointAsync(
        ExpProject workspace,
        string baseline,
        string commit,
        bool restoreAll,
        CancellationToken cancellationToken
    )
    {
        if (restoreAll)
        {
            var git = workspace.Git;
            var outs = await new ExperimentRecorder(workspace).CachedOutsAsync(cancellationToken).ConfigureAwait(false);
            var workspaceTree = await git.WriteWorkspaceTreeAsync(outs, cancellationToken).ConfigureAwait(false);
            var target = await git.TreeOfAsync(commit, cancellationToken).ConfigureAwait(false);
            if (workspaceTree != target)
            {
                var baselineTree = await git.TreeOfAsync(baseline, cancellationToken).ConfigureAwait(false);
                // Left out of the tree the switch starts from, a file is not Git's to remove (as exp apply -f does).
                var keep = await ExperimentApply
                    .UntrackedFilesNotInAsync(git, baselineTree, workspaceTree, target, cancellationToken)
                    .ConfigureAwait(false);
                var from = await git.RemovePathsAsync(workspaceTree, keep, cancellationToken).ConfigureAwait(false);
                if (from != target)
                {
                    await git.CheckoutTreeAsync(from, target, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await ExperimentApply.CheckoutCachedOutsAsync(workspace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What differs between a workspace run and an isolated one; everything else is the same path.</summary>
    private sealed record RunSpec(
        ExpProject Workspace,
        string RunId,
        string Kind,
        string CommandLine,
        string LogPath,
        string PidFile,
        CheckpointPlan Plan,
        PipelineRunOptions Pipeline,
        string? Message,
        bool Overwrite,
        bool NameGiven,
        IReadOnlyList<RefUpdate> AlsoUpdate
    );

    /// <summary>Passes every event on, and tells run tracking when stages start and finish.</summary>
    private sealed class TrackedEvents(IExperimentEvents inner, RunTracker tracker) : IExperimentEvents
    {
        public void StageSkipped(Stage stage, StageAction action) => inner.StageSkipped(stage, action);

        public void StageRestoredFromRunCache(Stage stage) => inner.StageRestoredFromRunCache(stage);

        public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands) =>
            inner.StageWouldRun(stage, reasons, commands);

        public void StageStarted(Stage stage)
        {
            tracker.StageStarted(stage);
            inner.StageStarted(stage);
        }

        public void CommandStarted(Stage stage, string command) => inner.CommandStarted(stage, command);

        public void CommandOutput(ReadOnlySpan<char> text, CommandStream stream) => inner.CommandOutput(text, stream);

        public void StageFinished(StageExecution execution)
        {
            tracker.StageFinished(execution);
            inner.StageFinished(execution);
        }

        public void Warning(string message) => inner.Warning(message);

        public void Progress(Cache.FileProgressReport report) => inner.Progress(report);

        public void ResumingFromCheckpoint(string experimentName, string checkpoint, int step) =>
            inner.ResumingFromCheckpoint(experimentName, checkpoint, step);

        public void CheckpointRecorded(string experimentName, int step, string commit) =>
            inner.CheckpointRecorded(experimentName, step, commit);

        public void ExperimentRecorded(Experiment experiment) => inner.ExperimentRecorded(experiment);
    }

    /// <summary>Turns the lines run tracking writes ("warning: ...") into warning events.</summary>
    private sealed class WarningWriter(IRunEvents events) : TextWriter
    {
        private const string Prefix = "warning: ";
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }

            var text = _line.ToString().TrimEnd('\r');
            _line.Clear();
            events.Warning(text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : text);
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            Write('\n');
        }
    }
}
