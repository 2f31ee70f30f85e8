namespace GitExp.Core.Schedules;

/// <summary>Where the scheduler's fires go: the experiment queue (<see cref="ScheduledEntries"/>), or a test's fake.</summary>
public interface IScheduleQueue
{
    /// <summary>
    /// Queues the entry of one fire (named <see cref="Schedule.EntryName"/>) and returns its id; an entry of that
    /// name already queued (by a scheduler stopped before it recorded the id) is returned rather than queued again.
    /// </summary>
    Task<string> QueueAsync(Schedule schedule, DateTimeOffset fireTime, CancellationToken cancellationToken);

    /// <summary>How many of the schedule's entries are queued or running now.</summary>
    Task<int> ActiveCountAsync(Schedule schedule, CancellationToken cancellationToken);

    /// <summary>Starts running these entries, each in its isolated workspace, outliving the scheduler.</summary>
    void Start(IReadOnlyList<string> ids);

    /// <summary>Starts the schedules' queued entries that nothing runs (their scheduler was killed before it started them).</summary>
    Task StartStrandedAsync(CancellationToken cancellationToken);
}

/// <summary>What the scheduler does, for its log; the words are the front end's.</summary>
public interface ISchedulerEvents
{
    void Fired(Schedule schedule, DateTimeOffset fireTime, string entryId);

    void Skipped(Schedule schedule, DateTimeOffset fireTime, string reason);

    void Missed(Schedule schedule, int count, DateTimeOffset first, DateTimeOffset last);

    /// <summary>A look failed (git, the disk, the store); the scheduler goes on and tries again.</summary>
    void Failed(string message);
}

/// <summary>Hears nothing.</summary>
public sealed class SilentSchedulerEvents : ISchedulerEvents
{
    public static readonly SilentSchedulerEvents Instance = new();

    public void Fired(Schedule schedule, DateTimeOffset fireTime, string entryId) { }

    public void Skipped(Schedule schedule, DateTimeOffset fireTime, string reason) { }

    public void Missed(Schedule schedule, int count, DateTimeOffset first, DateTimeOffset last) { }

    public void Failed(string message) { }
}
