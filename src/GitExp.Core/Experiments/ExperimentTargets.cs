using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Core.Experiments;

/// <summary>What commands that take one experiment (apply, branch) accept, resolved in one place.</summary>
public static class ExperimentTargets
{
    /// <summary>
    /// An experiment by name, ref or commit; with <paramref name="includeQueueEntries"/> a queue entry that has not
    /// become one (queued, running or failed: its snapshot, as <c>exp apply</c> of a failed entry lets one debug it),
    /// by name, id or snapshot commit; else one of an experiment's checkpoints as <c>name~N</c> or a checkpoint's commit id.
    /// </summary>
    public static async Task<Experiment> ResolveAsync(
        ExpProject project,
        string text,
        bool includeQueueEntries,
        CancellationToken cancellationToken = default
    )
    {
        var git = project.Git;
        var head = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        if (!text.Contains('~', StringComparison.Ordinal))
        {
            if (
                await new ExperimentStore(git).TryResolveAsync(text, head, cancellationToken).ConfigureAwait(false) is
                { } experiment
            )
            {
                return experiment;
            }

            if (includeQueueEntries)
            {
                var items = (await new ExperimentQueue(project).ListAsync(cancellationToken).ConfigureAwait(false))
                    .Where(i => i.Status != QueueStatus.Success)
                    .ToList();
                if (ExperimentQueue.Match(items, text) is [var item])
                {
                    var entry = item.Entry;
                    return new Experiment(
                        entry.Name,
                        item.Status == QueueStatus.Failed ? entry.FailedRef : entry.QueueRef,
                        entry.Commit,
                        await git.TreeOfAsync(entry.Commit, cancellationToken).ConfigureAwait(false),
                        entry.Baseline,
                        entry.Created,
                        $"{item.Status.ToString().ToLowerInvariant()} queue entry {entry.Id}"
                    );
                }
            }
        }

        var (owner, commit) = await new CheckpointPlanner(project)
            .ResolveCheckpointAsync(text, head, cancellationToken, "experiment")
            .ConfigureAwait(false);
        var tree = await git.TreeOfAsync(commit, cancellationToken).ConfigureAwait(false);
        return owner with { Name = text, Commit = commit, Tree = tree };
    }
}
