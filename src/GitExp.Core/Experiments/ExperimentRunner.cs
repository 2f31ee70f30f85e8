using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

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
        var taken = await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false);
        string name;
        if (options.Name is not null)
        {
            await ExperimentNames.ValidateAsync(git, options.Name, "--name", cancellationToken).ConfigureAwait(false);
            if (taken.Contains(options.Name) && !options.Overwrite)
            {
                throw new ExpException(
                    ExitCode.Conflict,
                    $"--name '{options.Name}': an experiment of that name already exists for this commit; use -f to overwrite it or choose another name"
                );
            }

            name = options.Name;
        }
        else
        {
            name = ExperimentNames.Generate(taken);
        }

        using var workspaceLock = WorkspaceLock.Acquire(project);
        ParamEdits.ApplyToWorkspace(project, options.SetParams);
        var runId = Guid.NewGuid().ToString("N")[..12];
        var environment = new Dictionary<string, string?>(options.Pipeline.Environment)
        {
            ["EXP_NAME"] = name,
            ["EXP_BASELINE"] = baseline,
        };
        var runner = new PipelineRunner(project, output);
        var outcomes = await runner
            .RunAsync(runId, options.Pipeline with { Environment = environment }, cancellationToken)
            .ConfigureAwait(false);
        if (options.Pipeline.Dry)
        {
            return new ExperimentRunResult(outcomes, null, "dry run");
        }

        var recorder = new ExperimentRecorder(project);
        var (experiment, reason) = await recorder
            .RecordAsync(baseline, name, options.Message, options.Overwrite, options.Name is not null, cancellationToken)
            .ConfigureAwait(false);
        return new ExperimentRunResult(outcomes, experiment, reason);
    }
}
