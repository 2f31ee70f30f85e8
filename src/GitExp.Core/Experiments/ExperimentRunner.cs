using System.Globalization;
using GitExp.Core.Cache;
using GitExp.Core.Execution;
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
public sealed record ExperimentRunResult(IReadOnlyList<StageOutcome> Stages, Experiment? Recorded, string? NotRecordedReason);

/// <summary>Runs a pipeline in the workspace and records the result as an experiment commit.</summary>
public sealed class ExperimentRunner(ExpProject project, TextWriter output)
{
    public async Task<ExperimentRunResult> RunAsync(ExperimentRunOptions options, CancellationToken cancellationToken = default)
    {
        var git = project.Git;
        var baseline = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var store = new ExperimentStore(git);
        if (options.Name is not null)
        {
            await ExperimentNames.ValidateAsync(git, options.Name, "--name", cancellationToken).ConfigureAwait(false);
            var taken = await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false);
            if (taken.Contains(options.Name) && !options.Overwrite && options.Rev is null)
            {
                var existing = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).First(e =>
                    e.Baseline == baseline && e.Name == options.Name
                );
                throw new ExpException(
                    ExitCode.Conflict,
                    existing.Interrupted
                        ? $"--name '{options.Name}': that experiment was interrupted; continue it with 'dotnet exp run --rev {options.Name}' (or plain 'dotnet exp run'), or use -f to start it over"
                        : $"--name '{options.Name}': an experiment of that name already exists for this commit; use -f to overwrite it or choose another name"
                );
            }
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
        var chain = plan.Chain;
        if (options.Reset)
        {
            foreach (var output1 in checkpointOuts)
            {
                ContentCache.RemoveOutput(project.FullPath(output1.Path));
            }
        }

        if (plan.ResumeFrom is { } resumeFrom && !options.Pipeline.Dry)
        {
            await RestoreCheckpointAsync(resumeFrom, plan.RestoreAll, cancellationToken).ConfigureAwait(false);
            ParamEdits.WriteToWorkspace(project, plan.ParamTexts);
            output.WriteLine($"Resuming from checkpoint {resumeFrom[..7]} (step {chain.Step}) as experiment '{chain.Name}'.");
        }

        if (checkpointOuts.Count > 0 && !options.Pipeline.Dry)
        {
            planner.Remember(chain);
        }

        var runId = Guid.NewGuid().ToString("N")[..12];
        var environment = new Dictionary<string, string?>(options.Pipeline.Environment)
        {
            ["EXP_NAME"] = chain.Name,
            ["EXP_BASELINE"] = baseline,
        };
        if (plan.Resumes)
        {
            environment["EXP_RESUME"] = "1";
            environment["EXP_CHECKPOINT_STEP"] = chain.Step.ToString(CultureInfo.InvariantCulture);
        }

        var recorder = new ExperimentRecorder(project);
        var checkpoints = new List<(string Commit, int Step)>();
        var pipeline = options.Pipeline with
        {
            Environment = environment,
            CommandStarted = pid => File.WriteAllText(pidFile, pid.ToString(CultureInfo.InvariantCulture)),
            // A resumed run continues training even though its inputs match the checkpoint's lock.
            ForceStages = plan.Resumes
                ? index
                    .Graph.Stages.Where(s => s.Outs.Any(o => o.Checkpoint))
                    .Select(s => s.Address)
                    .ToHashSet(StringComparer.Ordinal)
                : options.Pipeline.ForceStages,
            Checkpoint = async (stage, step, token) =>
            {
                var number = step ?? chain.Step + 1;
                var commit = await recorder.CommitCheckpointAsync(chain, number, token).ConfigureAwait(false);
                checkpoints.Add((commit, number));
                output.WriteLine($"Checkpoint {number} of '{chain.Name}' recorded ({commit[..7]}).");
            },
        };
        if (options.Pipeline.Dry)
        {
            return new ExperimentRunResult(
                await new PipelineRunner(project, output).RunAsync(runId, pipeline, cancellationToken).ConfigureAwait(false),
                null,
                "dry run"
            );
        }

        var tracker = new RunTracker(project, output);
        var run = await tracker
            .StartAsync(
                project,
                runId,
                chain.Name,
                baseline,
                "workspace",
                options.CommandLine,
                RunStatus.Running,
                Path.Combine(project.LogDirectory, runId + ".log"),
                cancellationToken
            )
            .ConfigureAwait(false);
        var started = pipeline.StageStarted;
        var reported = pipeline.StageFinished;
        pipeline = pipeline with
        {
            StageStarted = stage =>
            {
                started?.Invoke(stage);
                tracker.StageStarted(stage);
            },
            StageFinished = execution =>
            {
                reported?.Invoke(execution);
                tracker.StageFinished(execution);
            },
        };
        IReadOnlyList<StageOutcome> outcomes;
        try
        {
            outcomes = await new PipelineRunner(project, output)
                .RunAsync(runId, pipeline, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is StageFailedException or ExpException or OperationCanceledException)
        {
            var (status, code) = e switch
            {
                StageFailedException failed => (RunStatus.Failed, failed.ExitCode),
                ExpException user => (RunStatus.Failed, (int)user.Code),
                _ => (RunStatus.Interrupted, (int)ExitCode.Interrupted),
            };
            await tracker
                .FinishAsync(project, run, null, status, code, checkpoints, CancellationToken.None)
                .ConfigureAwait(false);
            throw;
        }

        var onChain = chain.RefValue is not null || chain.Parent != baseline;
        var (experiment, reason) = await recorder
            .RecordAsync(
                baseline,
                chain.Name,
                options.Message,
                options.Overwrite,
                options.Name is not null || onChain,
                cancellationToken,
                chain: onChain ? chain : null,
                trailers: chain.Step > 0
                    ? $"{CheckpointPlanner.LastStepTrailer}: {chain.Step.ToString(CultureInfo.InvariantCulture)}"
                    : null
            )
            .ConfigureAwait(false);
        await tracker
            .FinishAsync(project, run, experiment, RunStatus.Succeeded, 0, checkpoints, cancellationToken)
            .ConfigureAwait(false);
        if (experiment is null && checkpointOuts.Count > 0 && outcomes.All(o => o.Action != StageAction.Ran))
        {
            reason +=
                $"; to train further from the last checkpoint run 'dotnet exp run --rev <experiment>', to start over 'dotnet exp run --reset'";
        }

        return new ExperimentRunResult(outcomes, experiment, reason);
    }

    private async Task RestoreCheckpointAsync(string commit, bool restoreAll, CancellationToken cancellationToken)
    {
        if (restoreAll)
        {
            var outs = await new ExperimentRecorder(project).CachedOutsAsync(cancellationToken).ConfigureAwait(false);
            var workspaceTree = await project.Git.WriteWorkspaceTreeAsync(outs, cancellationToken).ConfigureAwait(false);
            var target = await project.Git.TreeOfAsync(commit, cancellationToken).ConfigureAwait(false);
            if (workspaceTree != target)
            {
                await project.Git.CheckoutTreeAsync(workspaceTree, target, cancellationToken).ConfigureAwait(false);
            }
        }

        await ExperimentApply.CheckoutCachedOutsAsync(project, cancellationToken).ConfigureAwait(false);
    }
}
