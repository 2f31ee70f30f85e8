using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>Brings an experiment's files and cached outs into the workspace without moving HEAD.</summary>
public static class ExperimentApply
{
    /// <returns>The cached outs the experiment recorded that are not in the local cache (pulled from a remote, or
    /// removed from the cache): left out of the workspace; everything else is applied.</returns>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
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
        await git.RefuseToolPathsAsync(experiment.Commit, $"experiment '{experiment.Name}'", cancellationToken)
            .ConfigureAwait(false);
        var fromTree = workspaceTree;
        if (workspaceTree != headTree && workspaceTree != targetTree)
        {
            var recorded = await RecordedTreesAsync(project, head, cancellationToken).ConfigureAwait(false);
            if (!recorded.Any(r => r.Tree == workspaceTree))
            {
                var fromHead = await ChangedFilesAsync(git, headTree, workspaceTree, cancellationToken).ConfigureAwait(false);
                // Only the tool's own .exp/.gitignore differs (what any command writes in a fresh clone, for example
                // one that pulled experiments): nothing a user would lose.
                if (!force && !fromHead.All(path => path == ".exp/.gitignore"))
                {
                    throw new ExpException(
                        ExitCode.Conflict,
                        await UnsavedChangesMessageAsync(git, workspaceTree, fromHead, recorded, cancellationToken)
                            .ConfigureAwait(false)
                    );
                }

                // --force overwrites what the experiment has; an untracked file it has not (no saved state holds
                // it) is left out of the switch, so Git leaves it where it is (decision 5).
                fromTree = await git.RemovePathsAsync(
                        workspaceTree,
                        await UntrackedFilesNotInAsync(git, headTree, workspaceTree, targetTree, cancellationToken)
                            .ConfigureAwait(false),
                        cancellationToken
                    )
                    .ConfigureAwait(false);
            }
        }

        if (fromTree != targetTree)
        {
            try
            {
                await git.CheckoutTreeAsync(fromTree, targetTree, cancellationToken).ConfigureAwait(false);
            }
            catch (Git.GitCommandException e) when (fromTree != workspaceTree)
            {
                // A kept untracked file in the way of the experiment's (a file where it has a folder): Git checks
                // before it writes, so nothing changed.
                var reason = e
                    .StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .FirstOrDefault()
                    ?.Trim()
                    .Replace("error: ", "", StringComparison.Ordinal);
                throw new ExpException(
                    ExitCode.Conflict,
                    $"cannot apply '{experiment.Name}': {reason}; move that untracked file away and try again (nothing was changed)"
                );
            }
        }

        var missing = new List<string>();
        await CheckoutCachedOutsAsync(project, cancellationToken, missing).ConfigureAwait(false);
        return missing;
    }

    /// <summary>Restores every cached out named in the workspace's lock files whose content differs.</summary>
    /// <param name="missing">
    /// Null: an out whose content is not in the cache throws. Otherwise such outs are collected here and skipped; a
    /// stale file at that path is removed when its own content is safe in the cache, so the workspace never pairs
    /// the experiment's files with another run's out.
    /// </param>
    public static async Task CheckoutCachedOutsAsync(
        ExpProject project,
        CancellationToken cancellationToken,
        List<string>? missing = null
    )
    {
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        var caches = project.OpenCaches();
        foreach (var pipeline in index.Pipelines)
        {
            var cache = caches.For(pipeline.File);
            // Outs a stage keeps writing (persistent, checkpoint) are restored as private copies, never links.
            var copies = caches.CopiesFor(pipeline.File);
            var locks = LockFile.Load(project.Root, pipeline.File, pipeline.Stages);
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
                    var wanted = StageStatusChecker.ToContentHash(recorded);
                    if (missing is not null && !cache.Contains(wanted))
                    {
                        if (exists && cache.Hash(full) is var current && current.Sha256 != recorded.Sha256)
                        {
                            if (cache.Contains(current))
                            {
                                ContentCache.RemoveOutput(full);
                            }

                            missing.Add(output.Path);
                        }
                        else if (!exists)
                        {
                            missing.Add(output.Path);
                        }

                        continue;
                    }

                    if (!exists || cache.Hash(full).Sha256 != recorded.Sha256)
                    {
                        (output.Persist || output.Checkpoint ? copies : cache).Checkout(wanted, full);
                    }
                }
            }
        }

        caches.Save();
    }

    private static async Task<string[]> ChangedFilesAsync(
        Git.GitRepository git,
        string fromTree,
        string toTree,
        CancellationToken cancellationToken
    ) =>
        (
            await git.RunAsync(["diff", "--name-only", fromTree, toTree], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Files of the workspace tree that neither HEAD nor the target tree has.</summary>
    internal static async Task<List<string>> UntrackedFilesNotInAsync(
        Git.GitRepository git,
        string headTree,
        string workspaceTree,
        string targetTree,
        CancellationToken cancellationToken
    )
    {
        var untracked = await git.AddedPathsAsync(headTree, workspaceTree, cancellationToken).ConfigureAwait(false);
        if (untracked.Count == 0)
        {
            return [];
        }

        var notInTarget = (
            await git.AddedPathsAsync(targetTree, workspaceTree, cancellationToken).ConfigureAwait(false)
        ).ToHashSet(StringComparer.Ordinal);
        return untracked.Where(notInTarget.Contains).ToList();
    }

    /// <summary>The trees of every commit an experiment ref reaches (tips, checkpoints, queued snapshots), newest first.</summary>
    private static async Task<List<(string Tree, string Ref)>> RecordedTreesAsync(
        ExpProject project,
        string head,
        CancellationToken cancellationToken
    )
    {
        var lines = await project
            .Git.RunAsync(
                ["log", "--source", "--format=%T%x09%S", "--glob=refs/exps/*", "^" + head],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        return lines
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[0], parts[1]))
            .ToList();
    }

    /// <summary>
    /// Names the files that would be lost: the workspace's differences from the nearest saved state (HEAD or one of
    /// the newest recorded experiments), which after the usual run-then-edit is the user's own edits, not the run's
    /// results.
    /// </summary>
    private static async Task<string> UnsavedChangesMessageAsync(
        Git.GitRepository git,
        string workspaceTree,
        string[] fromHead,
        List<(string Tree, string Ref)> recorded,
        CancellationToken cancellationToken
    )
    {
        var (nearest, label) = (fromHead, "HEAD");
        foreach (var (tree, reference) in recorded.DistinctBy(r => r.Tree).Take(NearestCandidates))
        {
            var changed = await ChangedFilesAsync(git, tree, workspaceTree, cancellationToken).ConfigureAwait(false);
            if (changed.Length < nearest.Length)
            {
                var name = Experiment.ParseRef(reference)?.Name;
                (nearest, label) = (changed, name is null ? reference : $"experiment '{name}'");
            }
        }

        var shown = string.Join(", ", nearest.Take(5)) + (nearest.Length > 5 ? $", ... ({nearest.Length} files)" : "");
        return $"local changes would be overwritten: {shown} (compared with {label}, the nearest saved state); commit or stash them, or use --force";
    }

    // Only on the error path; each candidate costs one git diff.
    private const int NearestCandidates = 20;
}
