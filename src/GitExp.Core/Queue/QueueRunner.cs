using System.Globalization;
using System.Text;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;
using GitExp.Core.Tracking;

namespace GitExp.Core.Queue;

/// <summary>Runs queue entries, each in its own isolated workspace under <c>.exptmp/&lt;id&gt;</c>.</summary>
/// <remarks>
/// An entry is leased by holding the lock file <c>.exp/tmp/queue/&lt;id&gt;.lock</c>; the OS releases it
/// when the holder dies, so an entry whose worker was killed is simply queued again for the next
/// worker. Success records the experiment and drops the queue ref in one ref transaction; failure
/// moves the entry to <c>refs/exps/failed/&lt;id&gt;</c> the same way. Nothing can run twice or vanish.
/// </remarks>
public sealed class QueueRunner(ExpProject project, TextWriter output)
{
    private readonly ExperimentQueue _queue = new(project);
    private readonly object _outputGate = new();

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
        Say($"[{entry.Id}] {entry.Name}: started (log: {Path.GetRelativePath(project.Root, _queue.LogPath(entry.Id))})");
        await using var log = new StreamWriter(_queue.LogPath(entry.Id), append: true, new UTF8Encoding(false))
        {
            AutoFlush = true,
        };
        await log.WriteLineAsync(
                $"# {entry.Name} ({entry.Id}) started {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}"
            )
            .ConfigureAwait(false);
        using var killed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watcher = WatchForKill(entry.Id, killed);
        ExpProject? isolated = null;
        RunRecord? run = null;
        var checkpoints = new List<(string Commit, int Step)>();
        var tracker = new RunTracker(project, log);
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

            isolated = await ExpProject.OpenAsync(workspace, cancellationToken, project.CacheDirectory).ConfigureAwait(false);
            var (chain, resumeFrom) = await ChainForAsync(entry, cancellationToken).ConfigureAwait(false);
            var environment = new Dictionary<string, string?>
            {
                ["EXP_NAME"] = entry.Name,
                ["EXP_BASELINE"] = entry.Baseline,
                ["EXP_QUEUE_ID"] = entry.Id,
            };
            var forceStages = new HashSet<string>(StringComparer.Ordinal);
            if (resumeFrom is not null)
            {
                // A --rev entry's snapshot is already the checkpoint's files with its -S values applied; only
                // the entry's own checkpoints (a dead worker's) are ahead of it. Cached outs come from the shared cache.
                if (chain.RefValue is not null)
                {
                    var snapshotTree = await git.TreeOfAsync(entry.Commit, cancellationToken).ConfigureAwait(false);
                    var checkpointTree = await git.TreeOfAsync(resumeFrom, cancellationToken).ConfigureAwait(false);
                    if (snapshotTree != checkpointTree)
                    {
                        await isolated
                            .Git.CheckoutTreeAsync(snapshotTree, checkpointTree, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }

                await ExperimentApply.CheckoutCachedOutsAsync(isolated, cancellationToken).ConfigureAwait(false);
                await log.WriteLineAsync(
                        $"Resuming from checkpoint {resumeFrom[..7]} (step {chain.Step}) as experiment '{chain.Name}'."
                    )
                    .ConfigureAwait(false);
                environment["EXP_RESUME"] = "1";
                environment["EXP_CHECKPOINT_STEP"] = chain.Step.ToString(CultureInfo.InvariantCulture);
                var index = await PipelineIndex.LoadAsync(isolated, [], cancellationToken).ConfigureAwait(false);
                forceStages.UnionWith(index.Graph.Stages.Where(s => s.Outs.Any(o => o.Checkpoint)).Select(s => s.Address));
            }

            var recorder = new ExperimentRecorder(isolated);
            run = await tracker
                .StartAsync(
                    isolated,
                    entry.Id,
                    entry.Name,
                    entry.Baseline,
                    "queue",
                    entry.CommandLine,
                    RunStatus.Running,
                    _queue.LogPath(entry.Id),
                    cancellationToken
                )
                .ConfigureAwait(false);
            var pipeline = new PipelineRunOptions
            {
                Targets = entry.Targets,
                CurrentDirectory = workspace,
                CommandStarted = pid => File.WriteAllText(_queue.PidPath(entry.Id), pid.ToString(CultureInfo.InvariantCulture)),
                Environment = environment,
                ForceStages = forceStages,
                StageStarted = tracker.StageStarted,
                StageFinished = tracker.StageFinished,
                // Each entry has its own chain and ref, so parallel checkpointing runs never meet.
                Checkpoint = async (stage, step, token) =>
                {
                    var number = step ?? chain.Step + 1;
                    var commit = await recorder.CommitCheckpointAsync(chain, number, token).ConfigureAwait(false);
                    checkpoints.Add((commit, number));
                    await log.WriteLineAsync($"Checkpoint {number} of '{chain.Name}' recorded ({commit[..7]}).")
                        .ConfigureAwait(false);
                },
            };
            await new PipelineRunner(isolated, log).RunAsync(entry.Id, pipeline, killed.Token).ConfigureAwait(false);
            var onChain = chain.RefValue is not null || chain.Parent != entry.Baseline;
            var (experiment, _) = await recorder
                .RecordAsync(
                    entry.Baseline,
                    entry.Name,
                    message: null,
                    overwrite: false,
                    nameGiven: true,
                    killed.Token,
                    [new RefUpdate(entry.QueueRef, null, entry.Commit)],
                    onChain ? chain : null,
                    chain.Step > 0
                        ? $"{CheckpointPlanner.LastStepTrailer}: {chain.Step.ToString(CultureInfo.InvariantCulture)}"
                        : null
                )
                .ConfigureAwait(false);
            // The tracker reads the run's values and outs from the isolated workspace: before it goes.
            await tracker
                .FinishAsync(isolated, run, experiment, RunStatus.Succeeded, 0, checkpoints, CancellationToken.None)
                .ConfigureAwait(false);
            await git.RemoveWorktreeAsync(workspace, CancellationToken.None).ConfigureAwait(false);

            var success = new QueueResult(
                entry.Id,
                entry.Name,
                QueueStatus.Success,
                0,
                experiment!.Ref,
                null,
                DateTimeOffset.UtcNow
            );
            _queue.WriteResult(success);
            Say($"[{entry.Id}] {entry.Name}: succeeded ({experiment.Commit[..7]})");
            return success;
        }
        catch (Exception e)
            when (e is StageFailedException or ExpException or OperationCanceledException or GitCommandException
                || DiskFull.AsUserError(e) is not null
            )
        {
            var wasKilled = e is OperationCanceledException && !cancellationToken.IsCancellationRequested;
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
            await log.WriteLineAsync("error: " + message).ConfigureAwait(false);
            await RecordFailureAsync(entry, isolated, code, message).ConfigureAwait(false);
            if (isolated is not null && run is not null)
            {
                var status = e is OperationCanceledException && !wasKilled ? RunStatus.Interrupted : RunStatus.Failed;
                await tracker
                    .FinishAsync(isolated, run, null, status, code, checkpoints, CancellationToken.None)
                    .ConfigureAwait(false);
            }

            Say($"[{entry.Id}] {entry.Name}: failed ({message})");
            if (e is OperationCanceledException && !wasKilled)
            {
                throw;
            }

            return _queue.ReadResult(entry.Id)!;
        }
    }

    // The failed ref points at the workspace as the run left it, so what it produced can be inspected.
    private async Task RecordFailureAsync(QueueEntry entry, ExpProject? isolated, int code, string message)
    {
        var commit = entry.Commit;
        if (isolated is not null)
        {
            try
            {
                var outs = await new ExperimentRecorder(isolated).CachedOutsAsync(CancellationToken.None).ConfigureAwait(false);
                var tree = await isolated.Git.WriteWorkspaceTreeAsync(outs, CancellationToken.None).ConfigureAwait(false);
                var text = entry.ToCommitMessage() + $"Exp-Exit-Code: {code}\n";
                commit = await project
                    .Git.CommitTreeAsync(tree, [entry.Baseline], text, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is ExpException or GitCommandException)
            {
                // The snapshot itself still identifies the entry; losing the partial results is the lesser harm.
            }
        }

        await project
            .Git.UpdateRefsAsync(
                [new RefUpdate(entry.FailedRef, commit, GitRepository.ZeroId), new RefUpdate(entry.QueueRef, null, entry.Commit)],
                "exp: queue failed " + entry.Name,
                CancellationToken.None
            )
            .ConfigureAwait(false);
        _queue.WriteResult(new QueueResult(entry.Id, entry.Name, QueueStatus.Failed, code, null, message, DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// Where an entry's commits go, and the checkpoint it continues from: none for a fresh entry, the
    /// one named with --rev, or, when a worker died after the entry took checkpoints, the last of those
    /// (the entry's experiment ref already exists then), so no checkpoint is lost or redone.
    /// </summary>
    private async Task<(ExperimentChain Chain, string? ResumeFrom)> ChainForAsync(
        QueueEntry entry,
        CancellationToken cancellationToken
    )
    {
        var earlier = await project
            .Git.ResolveCommitAsync(Experiment.RefFor(entry.Baseline, entry.Name), cancellationToken)
            .ConfigureAwait(false);
        if (
            earlier is not null
            && ExperimentChain.StepOf(await project.Git.CommitMessageAsync(earlier, cancellationToken).ConfigureAwait(false))
                is null
        )
        {
            earlier = null; // a finished experiment of that name is not ours to continue: recording will refuse the name
        }

        var resumeFrom = earlier ?? entry.ResumeFrom;
        var step = 0;
        if (resumeFrom is not null)
        {
            var message = await project.Git.CommitMessageAsync(resumeFrom, cancellationToken).ConfigureAwait(false);
            step = ExperimentChain.StepOf(message) ?? CheckpointPlanner.LastStepOf(message) ?? 0;
        }

        return (new ExperimentChain(entry.Baseline, entry.Name, resumeFrom ?? entry.Baseline, earlier, step), resumeFrom);
    }

    private Timer WatchForKill(string id, CancellationTokenSource killed) =>
        new(
            _ =>
            {
                if (File.Exists(_queue.KillPath(id)))
                {
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

    private void Say(string line)
    {
        lock (_outputGate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
