using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Tracking;

namespace GitExp.Core.Schedules;

/// <summary>
/// The scheduler's fires as queue entries: each fire queues one entry through <see cref="RunClone.QueueAsync"/> (the
/// path of <c>exp run --queue</c> and the UI's new runs), snapshotting the schedule's commit or its branch's tip now,
/// recorded in the run store with the schedule's name and group; <paramref name="startWorkers"/> starts detached
/// workers for entries (the front end's way of launching itself).
/// </summary>
public sealed class ScheduledEntries(ExpProject project, Action<IReadOnlyList<string>> startWorkers) : IScheduleQueue
{
    private readonly ExperimentQueue _queue = new(project);

    public async Task<string> QueueAsync(Schedule schedule, DateTimeOffset fireTime, CancellationToken cancellationToken)
    {
        var name = schedule.EntryName(fireTime);
        var queued = await _queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false);
        if (queued.FirstOrDefault(e => e.Name == name) is { } earlier)
        {
            // Queued by a scheduler that stopped before it recorded so: that entry is this fire's.
            using var store = RunStore.Open(project);
            if (store.Get(earlier.Id) is null)
            {
                store.Save(
                    new RunRecord
                    {
                        Id = earlier.Id,
                        ExperimentName = earlier.Name,
                        Baseline = earlier.Baseline,
                        Command = earlier.CommandLine,
                        Kind = "queue",
                        Status = RunStatus.Queued,
                        Created = earlier.Created,
                        Group = schedule.Group,
                        Schedule = schedule.Name,
                    }
                );
            }

            return earlier.Id;
        }

        var commit =
            schedule.Commit
            ?? await project.Git.ResolveCommitAsync("refs/heads/" + schedule.Branch, cancellationToken).ConfigureAwait(false)
            ?? throw new ExpException(
                ExitCode.NotFound,
                $"schedule '{schedule.Name}': branch '{schedule.Branch}' does not exist any more"
            );
        var request = new QueueRequest
        {
            SetParams = schedule.SetParams.SelectMany(ParamAssignment.ParseArgument).ToList(),
            Name = name,
            Targets = schedule.Targets,
            Commit = commit,
            CommandLine = schedule.CommandLine,
        };
        var entry = await RunClone
            .QueueAsync(project, request, null, schedule.Group, cancellationToken, schedule.Name)
            .ConfigureAwait(false);
        return entry.Id;
    }

    public async Task<int> ActiveCountAsync(Schedule schedule, CancellationToken cancellationToken)
    {
        var ids = (await _queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false)).Select(e => e.Id).ToList();
        using var store = RunStore.Open(project);
        return store.SchedulesOfRuns(ids).Values.Count(s => s == schedule.Name);
    }

    public void Start(IReadOnlyList<string> ids) => startWorkers(ids);

    public async Task StartStrandedAsync(CancellationToken cancellationToken)
    {
        var ids = (await _queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false)).Select(e => e.Id).ToList();
        using var store = RunStore.Open(project);
        // A worker holding an entry's lease runs it; two workers started for one entry are harmless (one leases it).
        var stranded = store.SchedulesOfRuns(ids).Keys.Where(id => !FileLock.IsHeld(_queue.LockPath(id))).ToList();
        if (stranded.Count > 0)
        {
            startWorkers(stranded);
        }
    }
}
