using System.Globalization;
using System.Text.Json;
using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>How a run continues an experiment's checkpoints, if it does.</summary>
/// <param name="Chain">Where the run's commits go.</param>
/// <param name="ResumeFrom">The checkpoint the run continues from (its files are put in the workspace first); null for a fresh start.</param>
/// <param name="RestoreAll">Restore every file of <paramref name="ResumeFrom"/> (an interrupted run), or only its checkpoint outs (params changed since).</param>
public sealed record CheckpointPlan(ExperimentChain Chain, string? ResumeFrom, bool RestoreAll)
{
    public bool Resumes => ResumeFrom is not null;

    /// <summary>
    /// Params files to write once <see cref="ResumeFrom"/> is restored: its own, with the run's <c>-S</c>
    /// values set. Only a <c>--rev</c> run has them; any other run sets its values in the workspace first.
    /// </summary>
    public IReadOnlyDictionary<string, string> ParamTexts { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The last checkpointing run in this workspace was interrupted (or failed) before it recorded a checkpoint:
    /// its checkpoint outs and lock entries hold a step no commit has, so the checkpoint stages start over
    /// (their checkpoint outs are removed, as with <c>--reset</c>) instead of being taken as finished.
    /// </summary>
    public bool Restart { get; init; }
}

/// <summary>
/// Decides where a run's commits go: a fresh experiment, the continuation of an interrupted one, a new
/// experiment that starts from the last checkpoint after a param change, or one that starts from any
/// checkpoint named with <c>--rev</c>.
/// </summary>
public sealed class CheckpointPlanner(ExpProject project)
{
    private string MarkerPath => Path.Combine(project.TempDirectory, "checkpoint-run.json");

    /// <summary>The trailer of a final commit that follows checkpoints: the step the chain ended at.</summary>
    public const string LastStepTrailer = "Exp-Last-Step";

    public async Task<CheckpointPlan> PlanAsync(
        string baseline,
        string? requestedName,
        string? rev,
        IReadOnlyList<ParamAssignment> setParams,
        bool reset,
        bool overwrite,
        bool hasCheckpointStages,
        CancellationToken cancellationToken
    )
    {
        var store = new ExperimentStore(project.Git);
        if (rev is not null)
        {
            return await FromRevAsync(baseline, requestedName, rev, setParams, store, cancellationToken).ConfigureAwait(false);
        }

        if (reset)
        {
            File.Delete(MarkerPath);
        }
        else if (hasCheckpointStages && ReadMarker() is { } marker)
        {
            var (experiment, message, interrupted) = await LastRunAsync(marker, baseline, store, cancellationToken)
                .ConfigureAwait(false);
            if (experiment is not null && requestedName is null)
            {
                var step = ExperimentChain.StepOf(message!) ?? LastStepOf(message!) ?? 0;
                var paramsChanged = await ParamsDifferAsync(experiment.Commit, cancellationToken).ConfigureAwait(false);
                if (IsInterrupted(message!) && !paramsChanged)
                {
                    // The same experiment goes on from its last checkpoint.
                    return new CheckpointPlan(
                        new ExperimentChain(baseline, experiment.Name, experiment.Commit, experiment.Commit, step),
                        experiment.Commit,
                        RestoreAll: true
                    );
                }

                if (paramsChanged && step > 0)
                {
                    var name = ExperimentNames.Generate(
                        await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false)
                    );
                    return new CheckpointPlan(
                        new ExperimentChain(baseline, name, experiment.Commit, null, step),
                        experiment.Commit,
                        RestoreAll: false
                    );
                }
            }

            if (interrupted)
            {
                // The last run was interrupted and this one does not continue its checkpoints: whatever its stage wrote
                // after them is no checkpoint. Its stages start over, under its name when that is still free.
                var name =
                    requestedName
                    ?? (experiment is null && marker.Baseline == baseline ? marker.Name : null)
                    ?? ExperimentNames.Generate(
                        await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false)
                    );
                return await FreshAsync(baseline, name, overwrite, store, cancellationToken).ConfigureAwait(false) with
                {
                    Restart = true,
                };
            }
        }

        var chosen =
            requestedName
            ?? ExperimentNames.Generate(await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false));
        return await FreshAsync(baseline, chosen, overwrite, store, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the last checkpointing run in this workspace was interrupted (or failed, or is still going): its
    /// checkpoint stages' outs and lock entries may hold a step no commit has, so they are not up to date. The
    /// one check both <see cref="PlanAsync"/> and <c>status</c> use (decision 15).
    /// </summary>
    public async Task<bool> LastRunInterruptedAsync(string baseline, CancellationToken cancellationToken)
    {
        if (ReadMarker() is not { Running: true } marker)
        {
            return false;
        }

        var store = new ExperimentStore(project.Git);
        return (await LastRunAsync(marker, baseline, store, cancellationToken).ConfigureAwait(false)).Interrupted;
    }

    /// <summary>
    /// The experiment the marker names (when it is on <paramref name="baseline"/>), its tip's message, and whether
    /// that run was interrupted: still marked running, and its ref did not move to a final commit since it started.
    /// </summary>
    private async Task<(Experiment? Experiment, string? Message, bool Interrupted)> LastRunAsync(
        Marker marker,
        string baseline,
        ExperimentStore store,
        CancellationToken cancellationToken
    )
    {
        var experiment =
            marker.Baseline == baseline
                ? (await store.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(e =>
                    e.Baseline == baseline && e.Name == marker.Name
                )
                : null;
        var message = experiment is null
            ? null
            : await project.Git.CommitMessageAsync(experiment.Commit, cancellationToken).ConfigureAwait(false);
        // A ref that moved to a final commit since the run started: it finished, only the flag's reset was lost.
        var finishedSince = experiment is not null && experiment.Commit != marker.StartRef && !IsInterrupted(message!);
        return (experiment, message, marker.Running && !finishedSince);
    }

    private static async Task<CheckpointPlan> FreshAsync(
        string baseline,
        string name,
        bool overwrite,
        ExperimentStore store,
        CancellationToken cancellationToken
    )
    {
        var existing = overwrite
            ? (await store.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(e =>
                e.Baseline == baseline && e.Name == name
            )
            : null;
        return new CheckpointPlan(new ExperimentChain(baseline, name, baseline, existing?.Commit, 0), null, RestoreAll: false);
    }

    /// <summary>
    /// Where a queued run's commits go, and the checkpoint it continues from: none for a fresh entry, the one
    /// named with --rev (the entry's snapshot already holds its files), or, when a worker died after the entry
    /// took checkpoints, the last of those (the entry's experiment ref already exists then; its files are
    /// restored), so no checkpoint is lost or redone.
    /// </summary>
    public async Task<CheckpointPlan> PlanQueuedAsync(
        string baseline,
        string name,
        string? revCheckpoint,
        CancellationToken cancellationToken
    )
    {
        var earlier = await project
            .Git.ResolveCommitAsync(Experiment.RefFor(baseline, name), cancellationToken)
            .ConfigureAwait(false);
        if (
            earlier is not null
            && ExperimentChain.StepOf(await project.Git.CommitMessageAsync(earlier, cancellationToken).ConfigureAwait(false))
                is null
        )
        {
            earlier = null; // a finished experiment of that name is not ours to continue: recording will refuse the name
        }

        var resumeFrom = earlier ?? revCheckpoint;
        var step = 0;
        if (resumeFrom is not null)
        {
            var message = await project.Git.CommitMessageAsync(resumeFrom, cancellationToken).ConfigureAwait(false);
            step = ExperimentChain.StepOf(message) ?? LastStepOf(message) ?? 0;
        }

        return new CheckpointPlan(
            new ExperimentChain(baseline, name, resumeFrom ?? baseline, earlier, step),
            resumeFrom,
            RestoreAll: earlier is not null
        );
    }

    /// <summary>
    /// Before a checkpointing run in the workspace: remembers which experiment it belongs to, so the next run can
    /// resume it, and that it is running, with the value its ref has now. Until <see cref="Finished"/> says
    /// otherwise, the next run knows this one was interrupted even if it died before its first checkpoint's ref.
    /// </summary>
    public void Remember(ExperimentChain chain) => Write(new Marker(chain.Baseline, chain.Name, true, chain.RefValue));

    /// <summary>After the run's experiment is recorded (or it ended with nothing to record): it is no longer running.</summary>
    public void Finished(ExperimentChain chain) => Write(new Marker(chain.Baseline, chain.Name, false, null));

    private void Write(Marker marker)
    {
        Directory.CreateDirectory(project.TempDirectory);
        // Replaced whole, never half-written: a run killed while writing it must not lose the previous one.
        var temp = MarkerPath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(marker));
        File.Move(temp, MarkerPath, overwrite: true);
    }

    /// <summary>
    /// Resolves a checkpoint: <c>name~N</c> (N commits back from the experiment's tip), an experiment
    /// name (its tip), or a commit id of an experiment's chain.
    /// </summary>
    public async Task<(Experiment Experiment, string Commit)> ResolveCheckpointAsync(
        string rev,
        string head,
        CancellationToken cancellationToken,
        string label = "--rev"
    )
    {
        var store = new ExperimentStore(project.Git);
        var tilde = rev.IndexOf('~', StringComparison.Ordinal);
        var namePart = tilde > 0 ? rev[..tilde] : rev;
        if (await store.TryResolveAsync(namePart, head, cancellationToken).ConfigureAwait(false) is { } experiment)
        {
            var commit =
                tilde > 0
                    ? await project
                        .Git.ResolveCommitAsync(experiment.Commit + rev[tilde..], cancellationToken)
                        .ConfigureAwait(false)
                    : experiment.Commit;
            if (commit is null || !await IsOnChainAsync(experiment, commit, cancellationToken).ConfigureAwait(false))
            {
                throw new ExpException(
                    ExitCode.NotFound,
                    $"{label} '{rev}': experiment '{experiment.Name}' has no such checkpoint"
                );
            }

            return (experiment, commit);
        }

        var sha =
            await project.Git.ResolveCommitAsync(rev, cancellationToken).ConfigureAwait(false)
            ?? throw new ExpException(ExitCode.NotFound, $"{label} '{rev}': no such experiment, checkpoint or commit");
        foreach (var candidate in await store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await IsOnChainAsync(candidate, sha, cancellationToken).ConfigureAwait(false))
            {
                return (candidate, sha);
            }
        }

        throw new ExpException(ExitCode.NotFound, $"{label} '{rev}': commit {sha[..7]} is not a checkpoint of any experiment");
    }

    /// <summary>
    /// Resolves a checkpoint to continue from on <paramref name="baseline"/> (HEAD): one of another
    /// baseline's experiments is refused, since the run's code would not be the chain's.
    /// </summary>
    public async Task<(Experiment Experiment, string Commit)> ResolveForBaselineAsync(
        string rev,
        string baseline,
        CancellationToken cancellationToken
    )
    {
        var (experiment, commit) = await ResolveCheckpointAsync(rev, baseline, cancellationToken).ConfigureAwait(false);
        if (experiment.Baseline != baseline)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"--rev '{rev}': experiment '{experiment.Name}' belongs to commit {experiment.Baseline[..7]}, not HEAD; check that commit out first"
            );
        }

        return (experiment, commit);
    }

    private async Task<CheckpointPlan> FromRevAsync(
        string baseline,
        string? requestedName,
        string rev,
        IReadOnlyList<ParamAssignment> setParams,
        ExperimentStore store,
        CancellationToken cancellationToken
    )
    {
        var (experiment, commit) = await ResolveForBaselineAsync(rev, baseline, cancellationToken).ConfigureAwait(false);
        var message = await project.Git.CommitMessageAsync(commit, cancellationToken).ConfigureAwait(false);
        var step = ExperimentChain.StepOf(message) ?? LastStepOf(message) ?? 0;
        // The checkpoint's files replace the workspace's, so -S edits its params files, not the workspace's.
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var paramsChanged = false;
        if (setParams.Count > 0)
        {
            using var reader = project.Git.OpenObjectReader();
            foreach (
                var (file, text) in ParamEdits.NewTexts(setParams, path => ParamEdits.ReadCheckpointFile(reader, commit, path))
            )
            {
                texts[file] = text;
                paramsChanged |= text != ParamEdits.ReadCheckpointFile(reader, commit, file);
            }
        }

        // From the tip the experiment goes on, unless a param changed: then, as after any param change, a new
        // experiment continues from there (naming the experiment itself still continues it).
        if (commit == experiment.Commit && (requestedName == experiment.Name || (requestedName is null && !paramsChanged)))
        {
            return new CheckpointPlan(
                new ExperimentChain(baseline, experiment.Name, commit, commit, step),
                commit,
                RestoreAll: true
            )
            {
                ParamTexts = texts,
            };
        }

        // An earlier checkpoint (or changed params): a new experiment whose chain begins there; the original stays as it is.
        var name =
            requestedName
            ?? ExperimentNames.Generate(await store.NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false));
        return new CheckpointPlan(new ExperimentChain(baseline, name, commit, null, step), commit, RestoreAll: true)
        {
            ParamTexts = texts,
        };
    }

    private async Task<bool> IsOnChainAsync(Experiment experiment, string commit, CancellationToken cancellationToken)
    {
        if (commit == experiment.Commit)
        {
            return true;
        }

        // On the chain: an ancestor of the tip that is not an ancestor of (or equal to) the baseline.
        var ancestor = await project
            .Git.TryRunAsync(["merge-base", "--is-ancestor", commit, experiment.Commit], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var beforeBaseline = await project
            .Git.TryRunAsync(["merge-base", "--is-ancestor", commit, experiment.Baseline], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return ancestor.ExitCode == 0 && beforeBaseline.ExitCode != 0;
    }

    private async Task<bool> ParamsDifferAsync(string commit, CancellationToken cancellationToken)
    {
        var sources = await ValueSources.FromWorkspaceAsync(project, cancellationToken).ConfigureAwait(false);
        if (sources.ParamsFiles.Count == 0)
        {
            return false;
        }

        var result = await project
            .Git.TryRunAsync(["diff", "--quiet", commit, "--", .. sources.ParamsFiles], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return result.ExitCode != 0;
    }

    /// <summary>A checkpoint that no final commit followed: its run was interrupted.</summary>
    public static bool IsInterrupted(string message) =>
        ExperimentChain.StepOf(message) is not null && LastStepOf(message) is null;

    public static int? LastStepOf(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            if (
                line.StartsWith(LastStepTrailer + ": ", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(LastStepTrailer.Length + 2), CultureInfo.InvariantCulture, out var step)
            )
            {
                return step;
            }
        }

        return null;
    }

    private Marker? ReadMarker()
    {
        try
        {
            return File.Exists(MarkerPath) ? JsonSerializer.Deserialize<Marker>(File.ReadAllText(MarkerPath)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <param name="Running">A run of it started and has not finished (false in files older than this field).</param>
    /// <param name="StartRef">The experiment's ref when that run started (null: it did not exist).</param>
    private sealed record Marker(string Baseline, string Name, bool Running = false, string? StartRef = null);
}
