using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Queue;

/// <summary>Runs queue entries, each in its own isolated workspace under <c>.exptmp/&lt;id&gt;</c>.</summary>
/// <remarks>
/// An entry is leased by holding the lock file <c>.exp/tmp/queue/&lt;id&gt;.lock</c>; the OS releases it
/// when the holder dies, so an entry whose worker was killed is simply queued again for the next
/// worker. Success records the experiment and drops the queue ref in one ref transaction; failure
/// moves the entry to <c>refs/exps/failed/&lt;id&gt;</c> the same way. Nothing can run twice or vanish.
/// </remarks>
public sealed class QueueRunner(ExpProject project, IQueueEvents events)
{
    private readonly ExperimentQueue _queue = new(project);

    /// <summary>
    /// A run that fails while this process is being signalled (SIGTERM or SIGINT) leaves its entry queued instead of
    /// failing it: what a worker in a Slurm job does, since Slurm signals every process of a job it ends (time limit,
    /// scancel, node failure, preemption). The submitting side then settles it with Slurm's reason, or Slurm reruns it.
    /// </summary>
    public bool LeaveQueuedWhenSignalled { get; init; }

    /// <summary>Runs entries with <paramref name="jobs"/> parallel workers until none is left to lease.</summary>
    /// <param name="onlyIds">Run only these entries (a temp run); null runs the whole queue.</param>
    public async Task<IReadOnlyList<QueueResult>> RunAsync(
        int jobs,
        IReadOnlySet<string>? onlyIds,
        CancellationToken cancellationToken = default
    )
    {
        if (jobs < 1)
        {
            throw new ExpException(ExitCode.Usage, $"--jobs {jobs}: expected at least 1 parallel job");
        }

        project.EnsureInitialized();
        var results = new List<QueueResult>();
        var workers = Enumerable
            .Range(0, jobs)
            .Select(_ => Task.Run(() => WorkAsync(onlyIds, results, cancellationToken), cancellationToken));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return results;
    }

    private async Task WorkAsync(IReadOnlySet<string>? onlyIds, List<QueueResult> results, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && !File.Exists(_queue.StopPath))
        {
            var leased = await LeaseNextAsync(onlyIds, cancellationToken).ConfigureAwait(false);
            if (leased is null)
            {
                return;
            }

            using var lease = leased.Value.Lease;
            var result = await ExecuteAsync(leased.Value.Entry, cancellationToken).ConfigureAwait(false);
            File.Delete(_queue.PidPath(leased.Value.Entry.Id));
            lock (results)
            {
                results.Add(result);
            }
        }
    }

    private async Task<(QueueEntry Entry, FileLock Lease)?> LeaseNextAsync(
        IReadOnlySet<string>? onlyIds,
        CancellationToken cancellationToken
    )
    {
        foreach (var entry in await _queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (onlyIds is not null && !onlyIds.Contains(entry.Id))
            {
                continue;
            }

            var lease = FileLock.TryAcquire(_queue.LockPath(entry.Id));
            if (lease is null)
            {
                continue;
            }

            // Another worker may have finished the entry between the listing and the lease.
            if (await project.Git.ResolveCommitAsync(entry.QueueRef, cancellationToken).ConfigureAwait(false) == entry.Commit)
            {
                return (entry, lease);
            }

            lease.Dispose();
        }

        return null;
    }

    private async Task<QueueResult> ExecuteAsync(QueueEntry entry, CancellationToken cancellationToken)
    {
        var git = project.Git;
        var workspace = _queue.WorkspacePath(entry.Id);
        File.Delete(_queue.KillPath(entry.Id));
        using var killed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stop = new StageStop();
        using var watcher = WatchForKill(entry.Id, killed, stop);
        var runEvents = events.EntryStarted(entry, _queue.LogPath(entry.Id), _queue.StderrLogPath(entry.Id));
        ExpProject? isolated = null;
        try
        {
            // A workspace left by a worker that died is stale: stop what it left running, start afresh.
            OrphanProcess.Kill(_queue.PidPath(entry.Id), workspace);
            // GitRepository serializes worktree changes across processes (a prune must never meet an add).
            await git.RemoveWorktreeAsync(workspace, cancellationToken).ConfigureAwait(false);
            await git.AddWorktreeAsync(workspace, entry.Commit, cancellationToken).ConfigureAwait(false);

            foreach (var path in entry.CopyPaths)
            {
                // Copied when the entry runs, not when it was queued: the path may be gone by now.
                var source = project.FullPath(path);
                if (!File.Exists(source) && !Directory.Exists(source))
                {
                    throw new ExpException(
                        ExitCode.NotFound,
                        $"--copy-paths '{path}': no such file or folder in the workspace any more"
                    );
                }

                CopyPath(source, Path.Combine(workspace, path));
            }

            isolated = await ExpProject
                .OpenAsync(workspace, cancellationToken, project.CacheDirectory, project.DvcCacheDirectory, project.OriginRoot)
                .ConfigureAwait(false);
            var plan = await new CheckpointPlanner(project)
                .PlanQueuedAsync(entry.Baseline, entry.Name, entry.ResumeFrom, cancellationToken)
                .ConfigureAwait(false);
            var experiment = await new ExperimentExecution(project, runEvents)
                .RunIsolatedAsync(
                    new IsolatedRun(
                        isolated,
                        entry.Id,
                        entry.Name,
                        entry.Baseline,
                        entry.CommandLine,
                        _queue.LogPath(entry.Id),
                        _queue.PidPath(entry.Id),
                        plan,
                        new PipelineRunOptions
                        {
                            Targets = entry.Targets,
                            Environment = new Dictionary<string, string?> { ["EXP_QUEUE_ID"] = entry.Id },
                            Stop = stop,
                        },
                        [new RefUpdate(entry.QueueRef, null, entry.Commit)]
                    )
                    {
                        Message = entry.Message,
                    },
                    killed.Token,
                    cancellationToken
                )
                .ConfigureAwait(false);
            await git.RemoveWorktreeAsync(workspace, CancellationToken.None).ConfigureAwait(false);

            var success = new QueueResult(
                entry.Id,
                entry.Name,
                QueueStatus.Success,
                0,
                experiment.Ref,
                null,
                DateTimeOffset.UtcNow
            );
            _queue.WriteResult(success);
            events.EntryFinished(entry, success, experiment);
            return success;
        }
        catch (Exception e)
            when (e is StageFailedException or ExpException or OperationCanceledException or GitCommandException
                || DiskFull.AsUserError(e) is not null
            )
        {
            var wasKilled = e is OperationCanceledException && !cancellationToken.IsCancellationRequested;
            if (!wasKilled && LeaveQueuedWhenSignalled && await SignalledAsync(cancellationToken).ConfigureAwait(false))
            {
                events.EntryFinished(
                    entry,
                    new QueueResult(
                        entry.Id,
                        entry.Name,
                        QueueStatus.Queued,
                        null,
                        null,
                        "stopped by a signal",
                        DateTimeOffset.UtcNow
                    ),
                    null
                );
                throw new OperationCanceledException("stopped by a signal: the entry stays queued", e, cancellationToken);
            }

            var (code, message) = e switch
            {
                _ when e is not ExpException && DiskFull.AsUserError(e) is { } full => ((int)full.Code, full.Message),
                StageFailedException failed => (failed.ExitCode, failed.Message),
                ExpException user => ((int)user.Code, user.Message),
                OperationCanceledException => (
                    (int)ExitCode.Interrupted,
                    wasKilled ? "killed by 'dotnet exp queue kill'" : "interrupted"
                ),
                _ => (1, e.Message),
            };
            await _queue.RecordFailureAsync(entry, isolated, code, message).ConfigureAwait(false);
            var failure = _queue.ReadResult(entry.Id)!;
            events.EntryFinished(entry, failure, null);
            if (e is OperationCanceledException && !wasKilled)
            {
                throw;
            }

            return failure;
        }
    }

    /// <summary>
    /// Whether this process is being stopped by a signal: the stage, signalled at the same moment, may end (and fail)
    /// a little before the signal's cancellation reaches us, so a failure waits up to a second for it.
    /// </summary>
    private static async Task<bool> SignalledAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Notices a kill request (<see cref="ExperimentQueue.RequestKill"/>), and a forced one after a plain one.</summary>
    private Timer WatchForKill(string id, CancellationTokenSource killed, StageStop stop) =>
        new(
            _ =>
            {
                if (_queue.ReadKillRequest(id) is { } force)
                {
                    if (force)
                    {
                        stop.Force();
                    }

                    killed.Cancel();
                }
            },
            null,
            TimeSpan.FromMilliseconds(100),
            TimeSpan.FromMilliseconds(100)
        );

    private static void CopyPath(string source, string destination)
    {
        if (File.Exists(source))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            try
            {
                File.Copy(source, destination, overwrite: true);
            }
            catch (IOException e) when (DiskFull.AsUserError(e, destination) is { } full)
            {
                File.Delete(destination);
                throw full;
            }

            return;
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            CopyPath(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
        }
    }
}
