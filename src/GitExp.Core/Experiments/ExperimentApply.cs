using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>Brings an experiment's files and cached outs into the workspace without moving HEAD.</summary>
public static class ExperimentApply
{
    public static async Task ApplyAsync(
        ExpProject project,
        Experiment experiment,
        bool force,
        CancellationToken cancellationToken = default
    )
    {
        var git = project.Git;
        using var workspaceLock = WorkspaceLock.Acquire(project);
        var recorder = new ExperimentRecorder(project);
        var cachedOuts = await recorder.CachedOutsAsync(cancellationToken).ConfigureAwait(false);
        var workspaceTree = await git.WriteWorkspaceTreeAsync(cachedOuts, cancellationToken).ConfigureAwait(false);
        var head = await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var headTree = await git.TreeOfAsync(head, cancellationToken).ConfigureAwait(false);
        var targetTree = await git.TreeOfAsync(experiment.Commit, cancellationToken).ConfigureAwait(false);
        if (
            !force
            && workspaceTree != headTree
            && workspaceTree != targetTree
            && !await IsRecordedAsync(project, workspaceTree, cancellationToken).ConfigureAwait(false)
        )
        {
            var changed = await git.RunAsync(
                    ["diff", "--name-only", headTree, workspaceTree],
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false);
            var files = changed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            throw new ExpException(
                ExitCode.Conflict,
                $"local changes would be overwritten ({string.Join(", ", files.Take(5))}{(files.Length > 5 ? ", ..." : "")}): commit or stash them, or use --force"
            );
        }

        if (workspaceTree != targetTree)
        {
            await git.CheckoutTreeAsync(workspaceTree, targetTree, cancellationToken).ConfigureAwait(false);
        }

        await CheckoutCachedOutsAsync(project, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores every cached out named in the workspace's lock files whose content differs.</summary>
    public static async Task CheckoutCachedOutsAsync(ExpProject project, CancellationToken cancellationToken)
    {
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        var state = project.OpenStateTable();
        var cache = project.OpenCache(state);
        // Outs a stage keeps writing (persistent, checkpoint) are restored as private copies, never links.
        var copies = new ContentCache(project.CacheDirectory, [LinkType.Copy], state);
        foreach (var pipeline in index.Pipelines)
        {
            var locks = LockFile.Load(project.Root, pipeline.File);
            foreach (var stage in pipeline.Stages)
            {
                if (!locks.Stages.TryGetValue(stage.Name, out var locked))
                {
                    continue;
                }

                foreach (var output in stage.Outs.Where(o => o.Cache))
                {
                    var recorded = locked.Outs.FirstOrDefault(o => o.Path == output.Path);
                    var full = project.FullPath(output.Path);
                    if (recorded is null)
                    {
                        continue;
                    }

                    var exists = File.Exists(full) || Directory.Exists(full);
                    if (!exists || cache.Hash(full).Sha256 != recorded.Sha256)
                    {
                        (output.Persist || output.Checkpoint ? copies : cache).Checkout(
                            StageStatusChecker.ToContentHash(recorded),
                            full
                        );
                    }
                }
            }
        }

        state.Save();
    }

    private static async Task<bool> IsRecordedAsync(ExpProject project, string tree, CancellationToken cancellationToken)
    {
        // Any commit an experiment ref reaches counts: tips, checkpoints, queued snapshots.
        var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
        var trees = await project
            .Git.RunAsync(["log", "--format=%T", "--glob=refs/exps/*", "^" + head], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return trees.Split('\n', StringSplitOptions.RemoveEmptyEntries).Contains(tree, StringComparer.Ordinal);
    }
}
