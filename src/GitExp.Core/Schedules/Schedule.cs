namespace GitExp.Core.Schedules;

/// <summary>What a schedule does with the fires it missed while no scheduler ran (<c>--catch-up</c>).</summary>
public enum CatchUp
{
    /// <summary>Skip them.</summary>
    None,

    /// <summary>Run the latest of them, once.</summary>
    One,

    /// <summary>Run each of them (the concurrency cap still applies).</summary>
    All,
}

/// <summary>
/// A recurring run: a cron expression in a time zone, between an optional start and end, that queues the pipeline of
/// a branch's tip at fire time (<see cref="Branch"/>) or of a fixed commit (<see cref="Commit"/>) with its params.
/// </summary>
public sealed record Schedule
{
    public required string Name { get; init; }

    /// <summary>The cron expression as given: 5 fields, or 6 with seconds first.</summary>
    public required string Cron { get; init; }

    /// <summary>The time zone's id (IANA), in which the expression's times are read.</summary>
    public required string TimeZone { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    /// <summary>At most this many of the schedule's entries queued or running at once; a fire beyond it is skipped.</summary>
    public int? MaxConcurrent { get; init; }

    public CatchUp CatchUp { get; init; } = CatchUp.One;

    /// <summary>The branch whose tip each fire runs (short name), or null for a fixed <see cref="Commit"/>.</summary>
    public string? Branch { get; init; }

    /// <summary>The commit each fire runs (a pipeline version), or null for a <see cref="Branch"/>.</summary>
    public string? Commit { get; init; }

    /// <summary>The <c>-S</c> values, as typed.</summary>
    public IReadOnlyList<string> SetParams { get; init; } = [];

    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>The group (experiment, in Kubeflow's words) its runs are put in.</summary>
    public string? Group { get; init; }

    public bool Enabled { get; init; } = true;

    public DateTimeOffset Created { get; init; }

    /// <summary>The fire times up to this one have been handled (fired, skipped or missed); later ones are due.</summary>
    public DateTimeOffset CheckedUntil { get; init; }

    /// <summary>The command line that added it.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>What a fire runs, as a user reads it: the branch name, or the commit's short id.</summary>
    public string Revision => Branch ?? Commit![..Math.Min(7, Commit!.Length)];

    /// <summary>The experiment name of the entry a fire queues: <c>&lt;schedule&gt;-&lt;UTC time&gt;</c>.</summary>
    public string EntryName(DateTimeOffset fireTime) =>
        Name + "-" + fireTime.ToUniversalTime().ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>How a fire was handled.</summary>
public enum FireStatus
{
    /// <summary>Recorded, its entry not yet queued (the scheduler stopped in between; the next one finishes it).</summary>
    Pending,

    /// <summary>Its entry was queued (<see cref="ScheduleFire.RunId"/>).</summary>
    Queued,

    /// <summary>Not run: the concurrency cap was reached, or queueing failed (<see cref="ScheduleFire.Reason"/>).</summary>
    Skipped,

    /// <summary>Fires missed while no scheduler ran, not caught up (one record for a stretch of them).</summary>
    Missed,
}

/// <summary>One fire of a schedule (or a stretch of missed ones) as the run store records it.</summary>
public sealed record ScheduleFire(
    string Schedule,
    DateTimeOffset FireTime,
    FireStatus Status,
    string? RunId,
    string? Reason,
    DateTimeOffset Recorded
);
