using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Queue;

/// <summary>
/// <c>exp clean</c>: removes what queued and temp runs left behind when their worker died (DVC's <c>exp clean</c>
/// cleans its task queue's leftovers the same way), never anything an entry that runs now uses.
/// </summary>
/// <remarks>
/// An entry runs while its worker holds its lease (decision 0009): each workspace is removed only while this holds
/// that lease, so no worker can start the entry meanwhile. A failed entry's workspace is kept: it is there to be
/// looked at, and <c>queue remove --failed</c> removes it.
/// </remarks>
public sealed class TempCleaner(ExpProject project)
{
    /// <summary>Removes the leftovers; returns what was removed, one line each, in the user's words.</summary>
    public async Task<IReadOnlyList<string>> CleanAsync(CancellationToken cancellationToken = default)
    {
        var queue = new ExperimentQueue(project);
        var items = (await queue.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(
            i => i.Entry.Id,
            StringComparer.Ordinal
        );
        var removed = new List<string>();
        if (Directory.Exists(project.WorkspacesDirectory))
        {
            foreach (var workspace in Directory.GetDirectories(project.WorkspacesDirectory).Order(StringComparer.Ordinal))
            {
                var id = Path.GetFileName(workspace);
                if (items.TryGetValue(id, out var item) && item.Status == QueueStatus.Failed)
                {
                    continue;
                }

                using var lease = FileLock.TryAcquire(queue.LockPath(id));
                if (lease is null)
                {
                    continue; // it runs
                }

                // A dead worker's stage may still run there: stopped first, as the next worker would stop it.
                OrphanProcess.Kill(queue.PidPath(id), workspace);
                await project.Git.RemoveWorktreeAsync(workspace, cancellationToken).ConfigureAwait(false);
                removed.Add($"workspace .exptmp/{id} ({Describe(item)})");
            }
        }

        foreach (var line in await project.Git.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false))
        {
            removed.Add($"git's record of a worktree whose folder is gone ({line})");
        }

        removed.AddRange(RemoveQueueFiles(queue, items));
        return removed;
    }

    /// <summary>
    /// Kill requests and process-id files of entries that do not run, and lease files of entries that can never run
    /// again (finished, failed or removed), each deleted while holding the lease, as decision 0009 requires.
    /// </summary>
    private IEnumerable<string> RemoveQueueFiles(ExperimentQueue queue, Dictionary<string, QueueItem> items)
    {
        if (!Directory.Exists(project.QueueDirectory))
        {
            yield break;
        }

        var ids = Directory
            .GetFiles(project.QueueDirectory)
            .Select(Path.GetFileName)
            .Where(name =>
                name!.EndsWith(".kill", StringComparison.Ordinal)
                || name.EndsWith(".pid", StringComparison.Ordinal)
                || name.EndsWith(".lock", StringComparison.Ordinal)
            )
            .Select(name => Path.GetFileNameWithoutExtension(name!))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var id in ids)
        {
            var item = items.GetValueOrDefault(id);
            using var lease = FileLock.TryAcquire(queue.LockPath(id));
            if (lease is null)
            {
                continue; // it runs
            }

            if (File.Exists(queue.PidPath(id)))
            {
                // Deletes the file too, once what it names is stopped (or is no longer that process).
                OrphanProcess.Kill(queue.PidPath(id), queue.WorkspacePath(id));
                yield return $"{id}.pid of queue entry {id} ({Describe(item)})";
            }

            if (File.Exists(queue.KillPath(id)))
            {
                File.Delete(queue.KillPath(id));
                yield return $"{id}.kill of queue entry {id} ({Describe(item)})";
            }

            if (item is null || item.Status is QueueStatus.Failed or QueueStatus.Success)
            {
                File.Delete(queue.LockPath(id));
            }
        }
    }

    private static string Describe(QueueItem? item) =>
        item is null ? "no such entry any more" : $"{item.Entry.Name}, {item.Status.ToString().ToLowerInvariant()}";
}
