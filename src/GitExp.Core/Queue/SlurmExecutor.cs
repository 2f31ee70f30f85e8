using System.Globalization;
using System.Text;
using GitExp.Core.Git;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Queue;

/// <summary>
/// Hands queue entries to a Slurm cluster: one job array per submission, each task running one entry through the
/// local worker's own path (<c>queue worker --only &lt;id&gt;</c> on the compute node), so the experiment ref, the
/// failed ref, the log and the result are exactly what a local worker leaves. Nothing runs on the submitting machine
/// after <c>sbatch</c> returns: where an entry stands is read back from Slurm (<c>squeue</c>, <c>scontrol</c>) and
/// from the files its job writes in the shared job folder, whenever a queue command looks (<see cref="SettleAsync"/>).
/// </summary>
public sealed class SlurmExecutor(ExpProject project)
{
    /// <summary>The shared job folder: job scripts, the entries of each array, Slurm's output files.</summary>
    public string JobsDirectory => Path.Combine(project.QueueDirectory, "slurm");

    public string RecordPath(string id) => Path.Combine(project.QueueDirectory, id + ".slurm");

    /// <summary>Written by the job on the compute node when it starts: its job id, node and start time.</summary>
    public string StartedPath(string id) => Path.Combine(JobsDirectory, id + ".started");

    /// <summary>Written by the job when the tool exits: its exit code (absent when Slurm killed the job first).</summary>
    public string ExitPath(string id) => Path.Combine(JobsDirectory, id + ".exit");

    public SlurmJob? Read(string id) => SlurmJob.Read(RecordPath(id));

    private IEnumerable<SlurmJob> Records() =>
        Directory.Exists(project.QueueDirectory)
            ? Directory.GetFiles(project.QueueDirectory, "*.slurm").Select(SlurmJob.Read).OfType<SlurmJob>()
            : [];

    /// <summary>
    /// Submits the entries that are neither running nor waiting in Slurm already as one job array, at most
    /// <see cref="SlurmOptions.Jobs"/> running at once; returns the entries submitted (none: nothing to do).
    /// </summary>
    /// <param name="tool">The command running the tool on the compute nodes, as shell words.</param>
    public async Task<(string? ArrayJobId, IReadOnlyList<QueueEntry> Entries)> SubmitAsync(
        IReadOnlyList<QueueEntry> entries,
        SlurmOptions options,
        string tool,
        CancellationToken cancellationToken = default
    )
    {
        var queue = new ExperimentQueue(project);
        var pending = new List<QueueEntry>();
        var live = entries.Any(e => Read(e.Id) is { FinalState: null })
            ? await LiveJobsAsync(failWhenUnreachable: true, cancellationToken).ConfigureAwait(false)
            : new Dictionary<string, SlurmStatus>();
        foreach (var entry in entries)
        {
            if (FileLock.IsHeld(queue.LockPath(entry.Id)))
            {
                continue;
            }

            if (Read(entry.Id) is { FinalState: null } record && live!.ContainsKey(record.JobId))
            {
                continue;
            }

            pending.Add(entry);
        }

        if (pending.Count == 0)
        {
            return (null, []);
        }

        var attempts = pending.ToDictionary(e => e.Id, e => 1, StringComparer.Ordinal);
        var arrayId = await SubmitArrayAsync(
                pending,
                options.SbatchOptions(),
                tool,
                options.Requeue,
                options.Jobs,
                attempts,
                cancellationToken
            )
            .ConfigureAwait(false);
        return (arrayId, pending);
    }

    private async Task<string> SubmitArrayAsync(
        IReadOnlyList<QueueEntry> entries,
        IReadOnlyList<string> sbatch,
        string tool,
        bool requeue,
        int cap,
        IReadOnlyDictionary<string, int> attempts,
        CancellationToken cancellationToken
    )
    {
        var sbatchPath =
            FindOnPath("sbatch")
            ?? throw new ExpException(
                ExitCode.Usage,
                "--executor slurm: 'sbatch' is not on PATH (install Slurm's client commands; see docs/slurm.md)"
            );
        Directory.CreateDirectory(JobsDirectory);
        var name =
            DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var idsPath = Path.Combine(JobsDirectory, name + ".ids");
        var scriptPath = Path.Combine(JobsDirectory, name + ".sh");
        await File.WriteAllTextAsync(idsPath, string.Concat(entries.Select(e => e.Id + "\n")), cancellationToken)
            .ConfigureAwait(false);
        await File.WriteAllTextAsync(scriptPath, JobScript(idsPath, tool), cancellationToken).ConfigureAwait(false);
        string[] arguments =
        [
            "--parsable",
            "--job-name=exp:" + Path.GetFileName(project.Root),
            "--array=0-"
                + (entries.Count - 1).ToString(CultureInfo.InvariantCulture)
                + "%"
                + cap.ToString(CultureInfo.InvariantCulture),
            "--output=" + Path.Combine(JobsDirectory, "%A_%a.out"),
            "--chdir=" + project.Root,
            // Slurm's own requeue (node failure, preemption) reruns the task, and the entry is still queued for it.
            requeue ? "--requeue" : "--no-requeue",
            .. sbatch,
            scriptPath,
        ];
        var result = await ProcessRunner
            .RunAsync(sbatchPath, arguments, project.Root, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var arrayId = result.StandardOutput.Trim().Split(';')[0];
        if (result.ExitCode != 0 || arrayId.Length == 0 || !arrayId.All(char.IsAsciiDigit))
        {
            throw new ExpException(
                Unreachable(result.StandardError) ? ExitCode.Remote : ExitCode.Usage,
                $"--executor slurm: sbatch refused the job: {FirstLine(result.StandardError + result.StandardOutput)}"
            );
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var task = arrayId + "_" + i.ToString(CultureInfo.InvariantCulture);
            File.Delete(StartedPath(entry.Id));
            File.Delete(ExitPath(entry.Id));
            new SlurmJob(
                entry.Id,
                task,
                entry.Commit,
                Path.Combine(JobsDirectory, task + ".out"),
                sbatch,
                tool,
                requeue,
                attempts[entry.Id]
            ).Write(RecordPath(entry.Id));
        }

        return arrayId;
    }

    /// <summary>
    /// The job each array task runs: its entry from the array's id list, marks in the job folder, then the tool's own
    /// worker for that one entry, in the shared repository.
    /// </summary>
    private string JobScript(string idsPath, string tool) =>
        $"""
            #!/bin/sh
            # Written by 'dotnet exp queue start --executor slurm': each array task runs one queue entry.
            id=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {Quote(idsPath)})
            jobs={Quote(JobsDirectory)}
            printf '%s_%s %s %s\n' "$SLURM_ARRAY_JOB_ID" "$SLURM_ARRAY_TASK_ID" "$(hostname)" "$(date +%s)" > "$jobs/$id.started"
            cd {Quote(project.Root)} || exit 1
            {tool} queue worker --only "$id" --slurm-job
            code=$?
            printf '%s\n' "$code" > "$jobs/$id.exit.tmp" && mv "$jobs/$id.exit.tmp" "$jobs/$id.exit"
            exit $code

            """;

    /// <summary>
    /// Settles what Slurm ended: an entry whose job is gone without a result fails with Slurm's reason (or is
    /// submitted again with <c>--requeue</c>), and a failure the worker recorded while Slurm killed it gets that
    /// reason. Returns where each entry handed to Slurm stands, for <c>queue status</c>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SlurmStatus>> SettleAsync(CancellationToken cancellationToken = default)
    {
        var records = Records().ToList();
        var statuses = new Dictionary<string, SlurmStatus>(StringComparer.Ordinal);
        var unsettled = records.Where(r => r.FinalState is null).ToList();
        var live =
            unsettled.Count > 0 ? await LiveJobsAsync(failWhenUnreachable: false, cancellationToken).ConfigureAwait(false) : null;
        var queue = new ExperimentQueue(project);
        var queued =
            unsettled.Count > 0
                ? (await queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(
                    e => e.Id,
                    StringComparer.Ordinal
                )
                : [];
        var failed =
            unsettled.Count > 0
                ? (
                    await project.Git.ListRefsAsync(QueueEntry.FailedPrefix, cancellationToken).ConfigureAwait(false)
                ).ToDictionary(r => r.Name[QueueEntry.FailedPrefix.Length..], r => r.Commit, StringComparer.Ordinal)
                : [];
        var resubmit = new List<(QueueEntry Entry, SlurmJob Record)>();
        foreach (var record in records)
        {
            if (record.FinalState is { } final)
            {
                statuses[record.Id] = new SlurmStatus(record.JobId, final, NodeOf(record.Id));
                continue;
            }

            if (live is null)
            {
                // The controller does not answer (down, restarting): nothing can be said, and nothing is changed.
                statuses[record.Id] = new SlurmStatus(record.JobId, "UNKNOWN", NodeOf(record.Id));
                continue;
            }

            if (live.TryGetValue(record.JobId, out var running) || FileLock.IsHeld(queue.LockPath(record.Id)))
            {
                statuses[record.Id] = running ?? new SlurmStatus(record.JobId, "RUNNING", NodeOf(record.Id));
                continue;
            }

            var (state, reason) = await FinalStateAsync(record, cancellationToken).ConfigureAwait(false);
            statuses[record.Id] = new SlurmStatus(record.JobId, state, NodeOf(record.Id));
            var killedBySlurm = state is "TIMEOUT" or "PREEMPTED" or "NODE_FAIL" or "BOOT_FAIL" or "DEADLINE" or "OUT_OF_MEMORY";
            var mayRequeue = record.Requeue && !record.KilledByUser && record.Attempt < SlurmOptions.MaxAttempts;
            if (queued.TryGetValue(record.Id, out var entry))
            {
                if (state == "COMPLETED")
                {
                    // The worker left it queued on purpose ('queue stop'): queued again, for the next 'queue start'.
                    File.Delete(RecordPath(record.Id));
                    statuses.Remove(record.Id);
                    continue;
                }

                if (mayRequeue && state != "CANCELLED")
                {
                    resubmit.Add((entry, record));
                    continue;
                }

                await FailLostAsync(queue, entry, record, state, reason, cancellationToken).ConfigureAwait(false);
            }
            else if (failed.TryGetValue(record.Id, out var failedCommit))
            {
                if (killedBySlurm && mayRequeue && queue.ReadResult(record.Id) is not null)
                {
                    // Back to the snapshot it was queued as: the failed commit holds the partial results, not the entry.
                    await project
                        .Git.UpdateRefsAsync(
                            [
                                new RefUpdate(QueueEntry.QueuePrefix + record.Id, record.Snapshot, GitRepository.ZeroId),
                                new RefUpdate(QueueEntry.FailedPrefix + record.Id, null, failedCommit),
                            ],
                            "exp: queue requeue",
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                    File.Delete(queue.ResultPath(record.Id));
                    var requeued = (await queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false)).First(e =>
                        e.Id == record.Id
                    );
                    resubmit.Add((requeued, record));
                    continue;
                }

                if (state is not ("COMPLETED" or "FAILED" or "UNKNOWN") && queue.ReadResult(record.Id) is { } result)
                {
                    // The worker saw only a signal; Slurm knows why it came.
                    queue.WriteResult(
                        result with
                        {
                            Message = $"{reason} (Slurm job {record.JobId}; the run: {result.Message})",
                        }
                    );
                    AppendToLog(queue, record, reason);
                }
            }

            (record with { FinalState = state }).Write(RecordPath(record.Id));
        }

        foreach (
            var group in resubmit.GroupBy(r => (r.Record.Tool, r.Record.Requeue, Sbatch: string.Join('\u0001', r.Record.Sbatch)))
        )
        {
            var items = group.ToList();
            var arrayId = await SubmitArrayAsync(
                    items.Select(i => i.Entry).ToList(),
                    items[0].Record.Sbatch,
                    items[0].Record.Tool,
                    items[0].Record.Requeue,
                    items.Count,
                    items.ToDictionary(i => i.Entry.Id, i => i.Record.Attempt + 1, StringComparer.Ordinal),
                    cancellationToken
                )
                .ConfigureAwait(false);
            for (var i = 0; i < items.Count; i++)
            {
                statuses[items[i].Entry.Id] = new SlurmStatus(
                    arrayId + "_" + i.ToString(CultureInfo.InvariantCulture),
                    "PENDING",
                    null
                );
            }
        }

        return statuses;
    }

    /// <summary>Cancels the entry's job (<c>scancel</c>), waiting or running; false when it has no live job.</summary>
    public async Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        if (Read(id) is not { FinalState: null } record)
        {
            return false;
        }

        var scancel =
            FindOnPath("scancel")
            ?? throw new ExpException(ExitCode.Usage, "queue kill: 'scancel' is not on PATH (install Slurm's client commands)");
        (record with { KilledByUser = true }).Write(RecordPath(id));
        var result = await ProcessRunner
            .RunAsync(scancel, [record.JobId], project.Root, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ExpException(
                ExitCode.Remote,
                $"queue kill {id}: scancel {record.JobId} failed: {FirstLine(result.StandardError)}"
            );
        }

        return true;
    }

    // The job never recorded a result (killed before, or the node died): the entry fails with Slurm's reason and log.
    private async Task FailLostAsync(
        ExperimentQueue queue,
        QueueEntry entry,
        SlurmJob record,
        string state,
        string reason,
        CancellationToken cancellationToken
    )
    {
        using var lease = FileLock.TryAcquire(queue.LockPath(entry.Id));
        if (
            lease is null
            || await project.Git.ResolveCommitAsync(entry.QueueRef, cancellationToken).ConfigureAwait(false) != entry.Commit
        )
        {
            return;
        }

        AppendToLog(queue, record, reason);
        var code = state == "FAILED" ? (int)ExitCode.StageFailed : (int)ExitCode.Interrupted;
        // The failed ref keeps what the run produced before Slurm stopped it, as a local worker's failure does.
        var workspace = queue.WorkspacePath(entry.Id);
        var isolated = File.Exists(Path.Combine(workspace, ".git"))
            ? await ExpProject
                .OpenAsync(workspace, cancellationToken, project.CacheDirectory, project.DvcCacheDirectory, project.OriginRoot)
                .ConfigureAwait(false)
            : null;
        await queue.RecordFailureAsync(entry, isolated, code, $"{reason} (Slurm job {record.JobId})").ConfigureAwait(false);
    }

    // The entry's log ends with what Slurm said about the job (slurmstepd's '*** JOB ... CANCELLED ...' line).
    private static void AppendToLog(ExperimentQueue queue, SlurmJob record, string reason)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"slurm: job {record.JobId}: {reason}\n");
        if (File.Exists(record.Output))
        {
            foreach (var line in File.ReadLines(record.Output).Where(l => l.StartsWith("slurmstepd", StringComparison.Ordinal)))
            {
                text.Append("slurm: ").Append(line).Append('\n');
            }
        }

        File.AppendAllText(queue.LogPath(record.Id), text.ToString());
    }

    /// <summary>How the job ended: <c>scontrol show job</c> while Slurm remembers it, else the job's own files.</summary>
    private async Task<(string State, string Reason)> FinalStateAsync(SlurmJob record, CancellationToken cancellationToken)
    {
        string? state = null;
        if (FindOnPath("scontrol") is { } scontrol)
        {
            var result = await ProcessRunner
                .RunAsync(scontrol, ["-o", "show", "job", record.JobId], project.Root, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (result.ExitCode == 0)
            {
                state = Field(result.StandardOutput, "JobState");
            }
        }

        // Slurm forgets an ended job after MinJobAge (5 minutes by default); accounting, where a cluster keeps it, remembers.
        if (state is null && FindOnPath("sacct") is { } sacct)
        {
            var result = await ProcessRunner
                .RunAsync(
                    sacct,
                    ["-n", "-P", "-X", "-o", "State", "-j", record.JobId],
                    project.Root,
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false);
            var first = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (result.ExitCode == 0 && first.Length > 0)
            {
                // "CANCELLED by 0": the state is the first word.
                state = first[0].Split(' ')[0];
            }
        }

        var output = File.Exists(record.Output)
            ? await File.ReadAllTextAsync(record.Output, cancellationToken).ConfigureAwait(false)
            : "";
        var exit = File.Exists(ExitPath(record.Id))
            ? await File.ReadAllTextAsync(ExitPath(record.Id), cancellationToken).ConfigureAwait(false)
            : null;
        return Describe(state, output, exit, record.KilledByUser);
    }

    /// <summary>
    /// How a job ended and the words for it: Slurm's state when <c>scontrol</c> still knew the job, else what
    /// slurmstepd wrote in the job's output (<c>*** JOB 12 ON node CANCELLED AT ... DUE TO TIME LIMIT ***</c>), else
    /// the exit code the job script wrote (absent when the job was killed).
    /// </summary>
    public static (string State, string Reason) Describe(
        string? scontrolState,
        string output,
        string? exitFile,
        bool killedByUser
    )
    {
        var state = scontrolState;
        if (state is null or "COMPLETING")
        {
            state =
                output.Contains("DUE TO TIME LIMIT", StringComparison.Ordinal) ? "TIMEOUT"
                : output.Contains("DUE TO PREEMPTION", StringComparison.Ordinal) ? "PREEMPTED"
                : output.Contains("DUE TO NODE FAILURE", StringComparison.Ordinal) ? "NODE_FAIL"
                : output.Contains("CANCELLED AT", StringComparison.Ordinal) ? "CANCELLED"
                : exitFile is not null ? (exitFile.Trim() == "0" ? "COMPLETED" : "FAILED")
                // A task cancelled before it ever started may leave no record of its own in Slurm, and no output.
                : killedByUser ? "CANCELLED"
                : "UNKNOWN";
        }

        var reason = state switch
        {
            "TIMEOUT" => "killed by Slurm: the job reached its time limit",
            "CANCELLED" when killedByUser => "killed by 'dotnet exp queue kill' (scancel)",
            "CANCELLED" => "cancelled in Slurm (scancel)",
            "PREEMPTED" => "killed by Slurm: preempted",
            "NODE_FAIL" => "killed by Slurm: its node failed",
            "OUT_OF_MEMORY" => "killed by Slurm: out of memory",
            "BOOT_FAIL" or "DEADLINE" => $"killed by Slurm ({state})",
            "FAILED" =>
                "the Slurm job failed before recording a result (is the tool on the compute nodes' PATH? see the job's output)",
            _ => $"the Slurm job ended ({state}) without a result",
        };
        return (state, reason);
    }

    private string? NodeOf(string id)
    {
        try
        {
            var parts = File.Exists(StartedPath(id)) ? File.ReadAllText(StartedPath(id)).Split(' ') : [];
            return parts.Length >= 2 ? parts[1] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The jobs Slurm still holds (pending, running, completing) among the arrays of this queue's records; null when
    /// the controller cannot be reached (and <paramref name="failWhenUnreachable"/> is false).
    /// </summary>
    private async Task<Dictionary<string, SlurmStatus>?> LiveJobsAsync(
        bool failWhenUnreachable,
        CancellationToken cancellationToken
    )
    {
        var arrays = Records().Where(r => r.FinalState is null).Select(r => r.ArrayJobId).Distinct().ToList();
        var jobs = new Dictionary<string, SlurmStatus>(StringComparer.Ordinal);
        if (arrays.Count == 0)
        {
            return jobs;
        }

        var squeue = FindOnPath("squeue");
        ProcessResult? result = null;
        if (squeue is not null)
        {
            result = await ProcessRunner
                .RunAsync(
                    squeue,
                    ["-h", "-r", "-o", "%i|%T|%N", "-j", string.Join(',', arrays)],
                    project.Root,
                    cancellationToken: cancellationToken
                )
                .ConfigureAwait(false);
        }

        if (
            result is null
            || (result.ExitCode != 0 && !result.StandardError.Contains("Invalid job id", StringComparison.Ordinal))
        )
        {
            if (failWhenUnreachable)
            {
                throw new ExpException(
                    ExitCode.Remote,
                    $"--executor slurm: squeue cannot tell which entries Slurm still holds: {(result is null ? "'squeue' is not on PATH" : FirstLine(result.StandardError))}"
                );
            }

            return null;
        }

        foreach (
            var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        )
        {
            var parts = line.Split('|');
            if (parts.Length >= 3)
            {
                jobs[parts[0]] = new SlurmStatus(parts[0], parts[1], parts[2].Length > 0 ? parts[2] : null);
            }
        }

        return jobs;
    }

    /// <summary>Reads <c>Key=value</c> from <c>scontrol -o</c>'s one-line output.</summary>
    internal static string? Field(string text, string key)
    {
        foreach (var word in text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return word[(key.Length + 1)..];
            }
        }

        return null;
    }

    private static bool Unreachable(string error) =>
        error.Contains("Unable to contact slurm controller", StringComparison.OrdinalIgnoreCase)
        || error.Contains("Socket timed out", StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
