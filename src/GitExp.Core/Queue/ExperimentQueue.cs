using System.Text.Json;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Queue;

/// <summary>What to queue: the <c>-S</c> values (sweeps allowed), a name, and what else the run needs.</summary>
public sealed record QueueRequest
{
    public IReadOnlyList<ParamAssignment> SetParams { get; init; } = [];

    /// <summary>The name, or with a sweep the prefix of <c>name-1</c>, <c>name-2</c>, ...</summary>
    public string? Name { get; init; }

    /// <summary>Ignored files or folders of the workspace to copy into the isolated workspace.</summary>
    public IReadOnlyList<string> CopyPaths { get; init; } = [];

    public IReadOnlyList<string> Targets { get; init; } = [];

    public int SweepLimit { get; init; } = ParamEdits.DefaultSweepLimit;

    /// <summary>Continue from this checkpoint (<c>--rev</c>); without it a queued run starts over.</summary>
    public string? Rev { get; init; }

    /// <summary>The command line that queued the entries, kept with their runs.</summary>
    public string CommandLine { get; init; } = "dotnet exp run --queue";

    /// <summary>The commit message of each experiment (<c>-m</c>); null: <c>exp: &lt;name&gt;</c>.</summary>
    public string? Message { get; init; }

    /// <summary>
    /// Run this commit's files (a pipeline version, a retried run's commit, a schedule's fire: a branch's tip or a fixed
    /// commit) rather than the workspace's; it is also the experiment's baseline. Null: the workspace as it is now, on HEAD.
    /// </summary>
    public string? Commit { get; init; }
}

/// <summary>A queue entry and where it stands now.</summary>
public sealed record QueueItem(QueueEntry Entry, QueueStatus Status, QueueResult? Result)
{
    /// <summary>The entry's Slurm job and its state, when the entry was handed to Slurm.</summary>
    public SlurmStatus? Slurm { get; init; }
}

/// <summary>The experiment queue of a repository: snapshots under <c>refs/exps/queue</c>, failures under <c>refs/exps/failed</c>.</summary>
public sealed class ExperimentQueue(ExpProject project)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public string LockPath(string id) => Path.Combine(project.QueueDirectory, id + ".lock");

    public string LogPath(string id) => Path.Combine(project.QueueDirectory, id + ".log");

    /// <summary>What the entry's commands wrote to stderr alone (<see cref="LogPath"/> holds it too, among the rest).</summary>
    public string StderrLogPath(string id) => Path.Combine(project.QueueDirectory, id + ".stderr.log");

    public string KillPath(string id) => Path.Combine(project.QueueDirectory, id + ".kill");

    public string PidPath(string id) => Path.Combine(project.QueueDirectory, id + ".pid");

    public string ResultPath(string id) => Path.Combine(project.QueueDirectory, id + ".done");

    public string WorkspacePath(string id) => Path.Combine(project.WorkspacesDirectory, id);

    public string StopPath => Path.Combine(project.QueueDirectory, "stop");

    /// <summary>
    /// Held around every <c>git worktree</c> change: the prune after one worker's remove deletes the
    /// administrative folder of a worktree another worker's <c>git worktree add</c> is creating.
    /// </summary>
    public string WorkersDirectory => Path.Combine(project.QueueDirectory, "workers");

    /// <summary>
    /// Snapshots the workspace as it is now, with each set of <c>-S</c> values applied to the snapshot
    /// only, into one commit per entry. All entries appear at once or none do.
    /// </summary>
    public async Task<IReadOnlyList<QueueEntry>> EnqueueAsync(QueueRequest request, CancellationToken cancellationToken = default)
    {
        var git = project.Git;
        if (request.Commit is not null && request.Rev is not null)
        {
            throw new ExpException(ExitCode.Usage, "--rev: a run of a given commit starts over; it cannot continue a checkpoint");
        }

        var head = request.Commit is null
            ? await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false)
            : await git.ResolveCommitAsync(request.Commit + "^{commit}", cancellationToken).ConfigureAwait(false)
                ?? throw new ExpException(ExitCode.NotFound, $"commit '{request.Commit}' is not in this repository");
        // Stored repo-relative: the worker copies them from the root, whatever folder this ran in.
        var copyPaths = new List<string>();
        foreach (var path in request.CopyPaths)
        {
            var repoPath = project.ToRepoPath(path);
            var full = project.FullPath(repoPath);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                throw new ExpException(ExitCode.NotFound, $"--copy-paths '{path}': no such file or folder in the workspace");
            }

            copyPaths.Add(repoPath);
        }

        if (request.Commit is null)
        {
            // A commit's pipelines may differ from the workspace's: its targets are resolved when it runs.
            var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
            index.Resolve(project, request.Targets, Environment.CurrentDirectory);
        }

        var sets = ParamEdits.ExpandSweep(request.SetParams, request.SweepLimit);
        string? resumeFrom = null;
        if (request.Rev is not null)
        {
            // The entry's files are the checkpoint's, so the isolated run starts exactly where it left off.
            (_, resumeFrom) = await new CheckpointPlanner(project)
                .ResolveForBaselineAsync(request.Rev, head, cancellationToken)
                .ConfigureAwait(false);
        }

        var texts =
            request.Commit is not null ? CommitTexts(head, sets)
            : resumeFrom is null
                ? sets.Select(set => ParamEdits.NewTexts(set, path => ParamEdits.ReadWorkspaceFile(project, path))).ToList()
            : CheckpointTexts(resumeFrom, sets);
        var names = await NamesAsync(request.Name, sets.Count, head, cancellationToken).ConfigureAwait(false);

        project.EnsureInitialized();
        var cachedOuts = await new ExperimentRecorder(project).CachedOutsAsync(cancellationToken).ConfigureAwait(false);
        var baseTree =
            request.Commit is not null ? await git.TreeOfAsync(head, cancellationToken).ConfigureAwait(false)
            : resumeFrom is null ? await git.WriteWorkspaceTreeAsync(cachedOuts, cancellationToken).ConfigureAwait(false)
            : await git.TreeOfAsync(resumeFrom, cancellationToken).ConfigureAwait(false);
        var entries = new List<QueueEntry>();
        var updates = new List<RefUpdate>();
        var existingIds = (await ListAllIdsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < sets.Count; i++)
        {
            var tree = baseTree;
            if (texts[i].Count > 0)
            {
                var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (file, text) in texts[i])
                {
                    blobs[file] = await git.WriteBlobAsync(text, cancellationToken).ConfigureAwait(false);
                }

                tree = await git.ReplaceBlobsAsync(baseTree, blobs, cancellationToken).ConfigureAwait(false);
            }

            string id;
            do
            {
                id = Guid.NewGuid().ToString("N")[..10];
            } while (!existingIds.Add(id));

            var setParams = sets[i].Select(a => a.ToString()).ToList();
            // Milliseconds apart keep the queue's order: entries run in the order they were queued.
            var entry = new QueueEntry(id, names[i], head, "", now.AddMilliseconds(i), setParams, copyPaths, request.Targets)
            {
                CommandLine = request.CommandLine,
                Message = request.Message,
                // Without it the worker cannot tell a continuation from a fresh start: the snapshot alone holds
                // the checkpoint's files but not its cached outs, its step or its place on the chain.
                ResumeFrom = resumeFrom,
            };
            var commit = await git.CommitTreeAsync(tree, [head], entry.ToCommitMessage(), cancellationToken)
                .ConfigureAwait(false);
            entry = entry with { Commit = commit };
            entries.Add(entry);
            updates.Add(new RefUpdate(entry.QueueRef, commit, GitRepository.ZeroId));
        }

        await git.UpdateRefsAsync(updates, "exp: queue", cancellationToken).ConfigureAwait(false);
        return entries;
    }

    private List<IReadOnlyDictionary<string, string>> CheckpointTexts(
        string checkpoint,
        IReadOnlyList<IReadOnlyList<ParamAssignment>> sets
    )
    {
        using var reader = project.Git.OpenObjectReader();
        return sets.Select(set => ParamEdits.NewTexts(set, path => ParamEdits.ReadCheckpointFile(reader, checkpoint, path)))
            .ToList();
    }

    private List<IReadOnlyDictionary<string, string>> CommitTexts(
        string commit,
        IReadOnlyList<IReadOnlyList<ParamAssignment>> sets
    )
    {
        using var reader = project.Git.OpenObjectReader();
        return sets.Select(set =>
                ParamEdits.NewTexts(
                    set,
                    path =>
                        (reader.Read(commit + ":" + path) is { } bytes ? ParamsFile.DecodeForEdit(bytes, path) : null)
                        ?? throw new ExpException(ExitCode.NotFound, $"-S: params file '{path}' is not in commit {commit[..7]}")
                )
            )
            .ToList();
    }

    /// <summary>Every entry: queued and running (oldest first), then failed and succeeded ones.</summary>
    public async Task<IReadOnlyList<QueueItem>> ListAsync(CancellationToken cancellationToken = default)
    {
        // Entries handed to Slurm are settled first: a job Slurm ended without a result makes its entry fail (or requeue).
        var jobs = await new SlurmExecutor(project).SettleAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<QueueItem>();
        foreach (var entry in await ListQueuedAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new QueueItem(entry, FileLock.IsHeld(LockPath(entry.Id)) ? QueueStatus.Running : QueueStatus.Queued, null));
        }

        foreach (
            var (_, commit, message) in await project
                .Git.ListRefMessagesAsync(QueueEntry.FailedPrefix, cancellationToken)
                .ConfigureAwait(false)
        )
        {
            if (QueueEntry.FromCommitMessage(commit, message) is { } entry)
            {
                items.Add(new QueueItem(entry, QueueStatus.Failed, ReadResult(entry.Id)));
            }
        }

        foreach (var result in ReadResults().Where(r => r.Status == QueueStatus.Success))
        {
            var entry = new QueueEntry(result.Id, result.Name, "", "", result.Finished, [], [], []);
            items.Add(new QueueItem(entry, QueueStatus.Success, result));
        }

        // The queue refs are read before the failed refs and the results: an entry that finished in between
        // shows in both, and the later reading is the true one.
        var finished = items
            .Where(i => i.Status is QueueStatus.Failed or QueueStatus.Success)
            .Select(i => i.Entry.Id)
            .ToHashSet(StringComparer.Ordinal);
        return items
            .Where(i => i.Status is QueueStatus.Failed or QueueStatus.Success || !finished.Contains(i.Entry.Id))
            .DistinctBy(i => i.Entry.Id)
            .Select(i => i with { Slurm = jobs.GetValueOrDefault(i.Entry.Id) })
            .ToList();
    }

    /// <summary>Entries waiting or running, oldest first.</summary>
    public async Task<IReadOnlyList<QueueEntry>> ListQueuedAsync(CancellationToken cancellationToken = default)
    {
        var refs = await project.Git.ListRefMessagesAsync(QueueEntry.QueuePrefix, cancellationToken).ConfigureAwait(false);
        return refs.Select(r => QueueEntry.FromCommitMessage(r.Commit, r.Message))
            .OfType<QueueEntry>()
            .OrderBy(e => e.Created)
            .ThenBy(e => e.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Finds entries by id (or a unique id prefix); an unknown id is an error naming it.</summary>
    public async Task<IReadOnlyList<QueueItem>> FindAsync(
        IReadOnlyList<string> ids,
        CancellationToken cancellationToken = default
    )
    {
        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        var found = new List<QueueItem>();
        foreach (var id in ids)
        {
            var matches = Match(all, id);
            if (matches.Count == 0)
            {
                throw new ExpException(ExitCode.NotFound, $"no queue entry '{id}' (see 'dotnet exp queue status')");
            }

            found.AddRange(matches);
        }

        return found;
    }

    /// <summary>
    /// The entry <paramref name="text"/> names: its id or name, else a unique prefix of an id or of an entry's
    /// snapshot commit (at least 4 characters). Empty when none; more than one is an error listing their ids.
    /// </summary>
    public static IReadOnlyList<QueueItem> Match(IReadOnlyList<QueueItem> items, string text)
    {
        var matches = items.Where(i => i.Entry.Id == text || i.Entry.Name == text).ToList();
        if (matches.Count == 0)
        {
            matches = items
                .Where(i =>
                    i.Entry.Id.StartsWith(text, StringComparison.Ordinal)
                    || (text.Length >= 4 && i.Entry.Commit.StartsWith(text, StringComparison.OrdinalIgnoreCase))
                )
                .ToList();
        }

        return matches.Count <= 1
            ? matches
            : throw new ExpException(
                ExitCode.Usage,
                $"queue entry '{text}' is ambiguous: {string.Join(", ", matches.Select(m => m.Entry.Id))}"
            );
    }

    /// <summary>Removes entries: queued ones from the queue, failed ones with their workspace and log, finished ones' records.</summary>
    /// <returns>The entries removed.</returns>
    public async Task<IReadOnlyList<QueueItem>> RemoveAsync(
        IReadOnlyList<QueueItem> items,
        CancellationToken cancellationToken = default
    )
    {
        foreach (var running in items.Where(i => i.Status == QueueStatus.Running))
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"queue entry '{running.Entry.Id}' ({running.Entry.Name}) is running: stop it with 'dotnet exp queue kill {running.Entry.Id}' first"
            );
        }

        var removed = new List<QueueItem>();
        foreach (var item in items)
        {
            var id = item.Entry.Id;
            switch (item.Status)
            {
                case QueueStatus.Queued:
                    // Holding the lease means no worker can start the entry while its ref goes away.
                    using (var lease = FileLock.TryAcquire(LockPath(id)))
                    {
                        if (lease is null)
                        {
                            throw new ExpException(
                                ExitCode.Conflict,
                                $"queue entry '{id}' started running meanwhile; kill it first"
                            );
                        }

                        await project
                            .Git.UpdateRefsAsync(
                                [new RefUpdate(item.Entry.QueueRef, null, item.Entry.Commit)],
                                "exp: queue remove",
                                cancellationToken
                            )
                            .ConfigureAwait(false);
                        File.Delete(LockPath(id));
                    }

                    break;
                case QueueStatus.Failed:
                    await project
                        .Git.UpdateRefsAsync(
                            [new RefUpdate(item.Entry.FailedRef, null, item.Entry.Commit)],
                            "exp: queue remove",
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                    await project.Git.RemoveWorktreeAsync(WorkspacePath(id), cancellationToken).ConfigureAwait(false);

                    break;
            }

            File.Delete(ResultPath(id));
            File.Delete(LogPath(id));
            File.Delete(StderrLogPath(id));
            File.Delete(KillPath(id));
            File.Delete(PidPath(id));
            File.Delete(Path.Combine(project.QueueDirectory, id + ".slurm"));
            removed.Add(item);
        }

        ForgetQueuedRuns(removed.Where(i => i.Status == QueueStatus.Queued).Select(i => i.Entry.Id).ToList());
        return removed;
    }

    /// <summary>
    /// A run recorded as queued (a clone or a new run from the UI) will never run once its entry is gone: it
    /// leaves the run store's lists, soft-deleted like <c>runs delete</c>, so <c>runs restore</c> can still show it.
    /// </summary>
    private void ForgetQueuedRuns(IReadOnlyList<string> ids)
    {
        var path = Path.Combine(project.ExpDirectory, "runs.db");
        if (ids.Count == 0 || !File.Exists(path))
        {
            return;
        }

        using var store = Tracking.RunStore.Open(project);
        foreach (var id in ids)
        {
            if (store.Get(id) is { Status: Tracking.RunStatus.Queued, Deleted: false } run && run.Id == id)
            {
                store.Replace(run with { Deleted = true });
            }
        }
    }

    /// <summary>
    /// Asks the worker running an entry to stop it; the entry then ends as failed. Without <paramref name="force"/> the
    /// stage gets SIGINT, as from Ctrl-C, and <see cref="StageStop.DefaultGrace"/> to end before it is killed (DVC's
    /// <c>queue kill</c>); with it, SIGKILL at once (<c>-f</c>). A forced request may follow a plain one.
    /// </summary>
    public void RequestKill(QueueItem item, bool force = false)
    {
        if (item.Status != QueueStatus.Running)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"queue entry '{item.Entry.Id}' is {item.Status.ToString().ToLowerInvariant()}, not running"
            );
        }

        Directory.CreateDirectory(project.QueueDirectory);
        var path = KillPath(item.Entry.Id);
        File.WriteAllText(path + ".tmp", force ? ForceKill : "interrupt");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Whether a kill was asked for the entry (null: none), and whether it was forced.</summary>
    public bool? ReadKillRequest(string id)
    {
        try
        {
            var path = KillPath(id);
            return File.Exists(path) ? File.ReadAllText(path).StartsWith(ForceKill, StringComparison.Ordinal) : null;
        }
        catch (IOException)
        {
            // Being replaced: the next look reads it.
            return null;
        }
    }

    private const string ForceKill = "force";

    /// <summary>
    /// Asks the workers to stop the running entries and waits, bounded by the grace time and a margin, until they
    /// have ended; returns the entries as they are then (one still running means its worker did not act in time).
    /// </summary>
    public async Task<IReadOnlyList<QueueItem>> KillAsync(
        IReadOnlyList<QueueItem> items,
        bool force,
        CancellationToken cancellationToken = default
    )
    {
        var slurm = new SlurmExecutor(project);
        foreach (var item in items)
        {
            // An entry handed to Slurm is cancelled there, waiting or running: Slurm signals its job wherever it runs.
            if (item.Slurm is { State: not "UNKNOWN" } && item.Status is QueueStatus.Queued or QueueStatus.Running)
            {
                if (await slurm.CancelAsync(item.Entry.Id, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
            }

            RequestKill(item, force);
        }

        var ids = items.Select(i => i.Entry.Id).ToList();
        var deadline = DateTime.UtcNow + StageStop.DefaultGrace + TimeSpan.FromSeconds(20);
        while (true)
        {
            var now = await FindAsync(ids, cancellationToken).ConfigureAwait(false);
            if (now.All(i => i.Status != QueueStatus.Running) || DateTime.UtcNow >= deadline)
            {
                return now;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    // The failed ref points at the workspace as the run left it, so what it produced can be inspected.
    internal async Task RecordFailureAsync(QueueEntry entry, ExpProject? isolated, int code, string message)
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
        WriteResult(new QueueResult(entry.Id, entry.Name, QueueStatus.Failed, code, null, message, DateTimeOffset.UtcNow));
    }

    public void WriteResult(QueueResult result)
    {
        Directory.CreateDirectory(project.QueueDirectory);
        var path = ResultPath(result.Id);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(result, JsonOptions));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public QueueResult? ReadResult(string id)
    {
        var path = ResultPath(id);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<QueueResult>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Worker processes alive now (each holds a lock file named by its process id).</summary>
    public IReadOnlyList<int> ActiveWorkers()
    {
        if (!Directory.Exists(WorkersDirectory))
        {
            return [];
        }

        var alive = new List<int>();
        foreach (var file in Directory.GetFiles(WorkersDirectory, "*.lock"))
        {
            if (FileLock.IsHeld(file) && int.TryParse(Path.GetFileNameWithoutExtension(file), out var pid))
            {
                alive.Add(pid);
            }
            else
            {
                File.Delete(file); // a dead worker's file: nobody waits on it, so deleting is safe
            }
        }

        return alive;
    }

    private IEnumerable<QueueResult> ReadResults() =>
        Directory.Exists(project.QueueDirectory)
            ? Directory
                .GetFiles(project.QueueDirectory, "*.done")
                .Select(f => ReadResult(Path.GetFileNameWithoutExtension(f)))
                .OfType<QueueResult>()
                .OrderBy(r => r.Finished)
            : [];

    private async Task<IEnumerable<string>> ListAllIdsAsync(CancellationToken cancellationToken)
    {
        var queued = await project.Git.ListRefsAsync(QueueEntry.QueuePrefix, cancellationToken).ConfigureAwait(false);
        var failed = await project.Git.ListRefsAsync(QueueEntry.FailedPrefix, cancellationToken).ConfigureAwait(false);
        return queued.Concat(failed).Select(r => r.Name[(r.Name.LastIndexOf('/') + 1)..]);
    }

    private async Task<IReadOnlyList<string>> NamesAsync(
        string? name,
        int count,
        string baseline,
        CancellationToken cancellationToken
    )
    {
        var taken = new HashSet<string>(
            await new ExperimentStore(project.Git).NamesForBaselineAsync(baseline, cancellationToken).ConfigureAwait(false),
            StringComparer.Ordinal
        );
        foreach (var entry in await ListQueuedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (entry.Baseline == baseline)
            {
                taken.Add(entry.Name);
            }
        }

        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (name is null)
            {
                var generated = ExperimentNames.Generate(taken);
                taken.Add(generated);
                names.Add(generated);
                continue;
            }

            var candidate = count == 1 ? name : $"{name}-{i + 1}";
            await ExperimentNames.ValidateAsync(project.Git, candidate, "--name", cancellationToken).ConfigureAwait(false);
            if (!taken.Add(candidate))
            {
                throw new ExpException(
                    ExitCode.Conflict,
                    $"--name '{candidate}': an experiment or queued entry of that name already exists for this commit"
                );
            }

            names.Add(candidate);
        }

        return names;
    }
}
