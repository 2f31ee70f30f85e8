using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Remotes;

/// <summary>A cached out as a lock file records it: its repo-relative path and content hash.</summary>
public sealed record CachedOut(string Path, ContentHash Hash);

/// <summary>Finds the cached outs a transfer moves: the workspace's (its lock files) or a commit's.</summary>
public static class CachedOuts
{
    /// <summary>
    /// The cached outs the workspace's lock files record, of every stage or of the <paramref name="targets"/> (stage
    /// names or addresses, or out paths and folders that hold outs).
    /// </summary>
    public static async Task<IReadOnlyList<CachedOut>> OfWorkspaceAsync(
        ExpProject project,
        IReadOnlyList<string> targets,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(targets);
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        var outs = new List<(Stage Stage, CachedOut Out)>();
        foreach (var pipeline in index.Pipelines)
        {
            var locks = LockFile.Load(project.Root, pipeline.File, pipeline.Stages);
            foreach (var stage in pipeline.Stages)
            {
                if (!locks.Stages.TryGetValue(stage.Name, out var locked))
                {
                    continue;
                }

                foreach (var output in stage.Outs.Where(o => o.Cache))
                {
                    if (locked.Outs.FirstOrDefault(o => o.Path == output.Path) is { Sha256.Length: > 0 } recorded)
                    {
                        outs.Add((stage, new CachedOut(output.Path, StageStatusChecker.ToContentHash(recorded))));
                    }
                }
            }
        }

        if (targets.Count == 0)
        {
            return outs.Select(o => o.Out).ToList();
        }

        var chosen = new List<CachedOut>();
        foreach (var target in targets)
        {
            var path = project.ToRepoPath(target).TrimEnd('/');
            var matched = outs.Where(o =>
                    o.Stage.Name == target
                    || o.Stage.Address == target
                    || o.Out.Path == path
                    || o.Out.Path.StartsWith(path + "/", StringComparison.Ordinal)
                    || path == "."
                )
                .ToList();
            if (matched.Count == 0)
            {
                throw new ExpException(
                    ExitCode.NotFound,
                    $"target '{target}': no stage of that name and no cached out recorded at that path (see exp.lock)"
                );
            }

            chosen.AddRange(matched.Select(m => m.Out));
        }

        return chosen.Distinct().ToList();
    }

    /// <summary>
    /// The cached outs the lock files of <paramref name="commit"/> record (an experiment's). An out that the commit
    /// itself holds in Git (a metric or plot with <c>cache: false</c>) is not a cache object and is left out.
    /// </summary>
    public static async Task<IReadOnlyList<CachedOut>> OfCommitAsync(
        GitRepository git,
        string commit,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(git);
        var files = (
            await git.RunAsync(["ls-tree", "-r", "--name-only", "-z", commit], cancellationToken: cancellationToken)
                .ConfigureAwait(false)
        ).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var tracked = files.ToHashSet(StringComparer.Ordinal);
        var folders = files
            .SelectMany(f => Enumerable.Range(0, f.Length).Where(i => f[i] == '/').Select(i => f[..i]))
            .ToHashSet(StringComparer.Ordinal);
        var outs = new List<CachedOut>();
        foreach (var lockPath in files.Where(f => Path.GetFileName(f) is "exp.lock" or "dvc.lock"))
        {
            var dir = Path.GetDirectoryName(lockPath)!.Replace('\\', '/');
            var pipelineFile =
                (dir.Length == 0 ? "" : dir + "/")
                + (lockPath.EndsWith("dvc.lock", StringComparison.Ordinal) ? "dvc.yaml" : "exp.yaml");
            var text = await git.RunAsync(["show", $"{commit}:{lockPath}"], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            LockFile locks;
            try
            {
                locks = LockFile.Parse(text, pipelineFile);
            }
            catch (ExpException)
            {
                continue; // a lock this version cannot read records nothing it could transfer
            }

            foreach (var stage in locks.Stages.Values)
            {
                foreach (var recorded in stage.Outs)
                {
                    if (
                        recorded.Sha256.Length > 0
                        && HashKinds.OfObjectName(recorded.Sha256) is not null
                        && !tracked.Contains(recorded.Path)
                        && !folders.Contains(recorded.Path)
                    )
                    {
                        outs.Add(new CachedOut(recorded.Path, StageStatusChecker.ToContentHash(recorded)));
                    }
                }
            }
        }

        return outs.Distinct().ToList();
    }

    /// <summary>
    /// Links into the workspace the outs that are absent there and whole in the cache (after a pull); an out the
    /// workspace has, changed or not, is left as it is. Returns how many were restored.
    /// </summary>
    public static int RestoreAbsent(ExpProject project, IReadOnlyList<CachedOut> outs)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(outs);
        var caches = project.OpenCaches();
        var restored = 0;
        foreach (var o in outs.DistinctBy(o => o.Path))
        {
            var full = project.FullPath(o.Path);
            if (File.Exists(full) || Directory.Exists(full) || HashKinds.OfObjectName(o.Hash.Sha256) is not { } kind)
            {
                continue;
            }

            var cache = caches.Of(kind);
            if (cache.Contains(o.Hash))
            {
                cache.Checkout(o.Hash, full);
                restored++;
            }
        }

        caches.Save();
        return restored;
    }
}
