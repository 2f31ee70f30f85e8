using System.Text.Json.Nodes;
using GitExp.Core.Experiments;
using GitExp.Core.Processes;
using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Core.Tracking;

/// <summary>What <see cref="RunControl"/> tells its front end it did.</summary>
public interface IRunControlEvents
{
    /// <summary>A running run was asked to stop (SIGINT, as Ctrl+C; killed if it has not ended after the grace time).</summary>
    void StopRequested(RunRecord run);

    /// <summary>A queued run was taken out of the queue before any worker started it.</summary>
    void Dequeued(RunRecord run);

    /// <summary>An entry was queued to run <paramref name="commit"/>'s files; <paramref name="from"/> is the run it retries, if any.</summary>
    void Queued(QueueEntry entry, string commit, RunRecord? from);
}

/// <summary>
/// Acting on runs from a front end (the web UI): stopping a running or queued one, retrying a failed one, and
/// queuing a run of a given commit (a pipeline version). Stopping goes the way <c>dotnet exp queue kill</c> goes.
/// </summary>
public sealed class RunControl(ExpProject project, IRunControlEvents events)
{
    /// <summary>
    /// Stops the run: a queued one leaves the queue (its record soft-deleted, as <c>queue remove</c> does); a running
    /// queued or temp run is killed through its worker (<c>queue kill</c>); a workspace run started by
    /// <c>dotnet exp run</c> on this machine gets SIGINT, as Ctrl+C in its terminal would.
    /// </summary>
    public async Task TerminateAsync(string reference, CancellationToken cancellationToken = default)
    {
        RunRecord run;
        using (var store = RunStore.Open(project))
        {
            run = new RunEdits(store).Find(reference);
        }

        if (run.Status is not (RunStatus.Running or RunStatus.Queued))
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"run {run.Id} is {run.Status.ToString().ToLowerInvariant()}: only a running or queued run can be stopped"
            );
        }

        if (run.Kind is "queue" or "temp")
        {
            var queue = new ExperimentQueue(project);
            var item = (await queue.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(i => i.Entry.Id == run.Id);
            if (item is { Status: QueueStatus.Queued })
            {
                await queue.RemoveAsync([item], cancellationToken).ConfigureAwait(false);
                events.Dequeued(run);
                return;
            }

            if (item is { Status: QueueStatus.Running })
            {
                queue.RequestKill(item);
                events.StopRequested(run);
                return;
            }

            throw new ExpException(
                ExitCode.Conflict,
                $"run {run.Id} has no running queue entry (its worker may have just ended it); reload to see how it ended"
            );
        }

        if (
            run is { Status: RunStatus.Running, Process: { } process }
            && process.Host == Environment.MachineName
            && !process.IsGone()
        )
        {
            // Interrupt only: the run's own handler stops its stage (SIGINT, then SIGKILL after the grace time).
            ProcessTree.Signal([process], Interrupt);
            events.StopRequested(run);
            return;
        }

        throw new ExpException(
            ExitCode.Conflict,
            $"run {run.Id} runs on {run.Host} in a process this machine cannot signal; stop it there with Ctrl+C"
        );
    }

    private const int Interrupt = 2; // SIGINT

    /// <summary>
    /// Queues a new run of a failed or interrupted run: the same commit (its baseline) with the same params as
    /// <c>-S</c> values (those that differ from the commit's own), in the run's experiment (group), with its title.
    /// </summary>
    public async Task<QueueEntry> RetryAsync(string reference, CancellationToken cancellationToken = default)
    {
        RunRecord run;
        using (var store = RunStore.Open(project))
        {
            run = new RunEdits(store).Find(reference);
        }

        if (run.Status is not (RunStatus.Failed or RunStatus.Interrupted))
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"run {run.Id} is {run.Status.ToString().ToLowerInvariant()}: only a failed or interrupted run can be retried (clone it to run it again with other params)"
            );
        }

        var sources = await ValueSources.FromWorkspaceAsync(project, cancellationToken).ConfigureAwait(false);
        var atCommit = sources.ReadCommits(project.Git, [run.Baseline])[0].Params;
        var changed = run
            .Params.Where(p => !atCommit.TryGetValue(p.Key, out var value) || !JsonNode.DeepEquals(value, p.Value))
            .Select(p => RunClone.FromJson(p.Key, p.Value))
            .ToList();
        var entry = await QueueCommitAsync(
                run.Baseline,
                changed,
                name: null,
                run.Title,
                run.Group,
                $"dotnet exp runs retry {run.Id} (web UI)",
                cancellationToken
            )
            .ConfigureAwait(false);
        events.Queued(entry, run.Baseline, run);
        return entry;
    }

    /// <summary>Queues one run of <paramref name="commit"/>'s files, with these params changed (a pipeline version's "Create run").</summary>
    public async Task<QueueEntry> QueueCommitAsync(
        string commit,
        IReadOnlyList<Pipeline.ParamAssignment> setParams,
        string? name,
        string? title,
        string? group,
        CancellationToken cancellationToken = default
    )
    {
        var entry = await QueueCommitAsync(
                commit,
                setParams,
                name,
                title,
                group,
                $"dotnet exp run --queue of commit {commit[..Math.Min(7, commit.Length)]} (web UI)",
                cancellationToken
            )
            .ConfigureAwait(false);
        events.Queued(entry, entry.Baseline, null);
        return entry;
    }

    private Task<QueueEntry> QueueCommitAsync(
        string commit,
        IReadOnlyList<Pipeline.ParamAssignment> setParams,
        string? name,
        string? title,
        string? group,
        string commandLine,
        CancellationToken cancellationToken
    ) =>
        RunClone.QueueAsync(
            project,
            new QueueRequest
            {
                Commit = commit,
                SetParams = setParams,
                Name = name,
                CommandLine = commandLine,
            },
            title,
            group,
            cancellationToken
        );
}
