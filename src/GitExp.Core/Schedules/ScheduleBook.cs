using System.Globalization;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Tracking;

namespace GitExp.Core.Schedules;

/// <summary>What <c>schedule add</c> (or the UI) asks for; times as typed, checked by <see cref="ScheduleBook.AddAsync"/>.</summary>
public sealed record ScheduleRequest
{
    public required string Name { get; init; }

    public required string Cron { get; init; }

    /// <summary>An IANA time zone id; null: the machine's.</summary>
    public string? TimeZone { get; init; }

    public string? Start { get; init; }

    public string? End { get; init; }

    public int? MaxConcurrent { get; init; }

    public CatchUp CatchUp { get; init; } = CatchUp.One;

    /// <summary>A branch (its tip at each fire) or a commit; null: the current branch, or HEAD's commit when detached.</summary>
    public string? Rev { get; init; }

    public IReadOnlyList<string> SetParams { get; init; } = [];

    public IReadOnlyList<string> Targets { get; init; } = [];

    public string? Group { get; init; }

    public string CommandLine { get; init; } = "";
}

/// <summary>A schedule with what a listing shows: its next fire, its latest fire and how that run stands.</summary>
public sealed record ScheduleSummary(
    Schedule Schedule,
    DateTimeOffset? NextFire,
    ScheduleFire? LastFire,
    RunStatus? LastRunStatus
)
{
    /// <summary><c>disabled</c>, <c>ended</c> (no fire left), <c>waiting</c> (its start is ahead) or <c>active</c>.</summary>
    public string State(DateTimeOffset now) =>
        !Schedule.Enabled ? "disabled"
        : NextFire is null ? "ended"
        : Schedule.Start > now ? "waiting"
        : "active";
}

/// <summary>A fire of a schedule and, when it queued an entry, that run as the store holds it.</summary>
public sealed record FireWithRun(ScheduleFire Fire, RunRecord? Run);

/// <summary>
/// The schedules of a project (in its run store): add, list, show, enable, disable, remove, next fire times. The one
/// place these rules live, for <c>dotnet exp schedule</c> and the web UI alike.
/// </summary>
public sealed class ScheduleBook(ExpProject project, TimeProvider time)
{
    /// <summary>Checks a request (one line naming the flag on any mistake) and adds the schedule.</summary>
    public async Task<Schedule> AddAsync(ScheduleRequest request, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await ExperimentNames.ValidateAsync(project.Git, request.Name, "schedule name", cancellationToken).ConfigureAwait(false);
        // Its entries' names must be valid experiment names too.
        await ExperimentNames
            .ValidateAsync(
                project.Git,
                new Schedule
                {
                    Name = request.Name,
                    Cron = "",
                    TimeZone = "",
                }.EntryName(now),
                "schedule name",
                cancellationToken
            )
            .ConfigureAwait(false);
        CronTimes.Parse(request.Cron);
        var zone = request.TimeZone is null ? TimeZoneInfo.Local : CronTimes.Zone(request.TimeZone);
        var start = request.Start is null ? (DateTimeOffset?)null : ParseTime(request.Start, zone, "--start");
        var end = request.End is null ? (DateTimeOffset?)null : ParseTime(request.End, zone, "--end");
        if (start is { } s && end is { } e && e <= s)
        {
            throw new ExpException(ExitCode.Usage, $"--end '{request.End}' is not after --start '{request.Start}'");
        }

        if (end is { } past && past <= now)
        {
            throw new ExpException(ExitCode.Usage, $"--end '{request.End}' is already past: the schedule would never fire");
        }

        if (request.MaxConcurrent is < 1)
        {
            throw new ExpException(ExitCode.Usage, $"--max-concurrent {request.MaxConcurrent}: expected at least 1");
        }

        foreach (var text in request.SetParams)
        {
            ParamEdits.RefuseSweep(ParamAssignment.ParseArgument(text));
        }

        var (branch, commit) = await ResolveRevAsync(request.Rev, cancellationToken).ConfigureAwait(false);
        var schedule = new Schedule
        {
            Name = request.Name,
            Cron = request.Cron.Trim(),
            TimeZone = zone.Id,
            Start = start,
            End = end,
            MaxConcurrent = request.MaxConcurrent,
            CatchUp = request.CatchUp,
            Branch = branch,
            Commit = commit,
            SetParams = request.SetParams,
            Targets = request.Targets,
            Group = request.Group,
            Enabled = true,
            Created = now,
            // Fires before the schedule existed are not missed ones.
            CheckedUntil = now,
            CommandLine = request.CommandLine,
        };
        if (CronTimes.Of(schedule).Next(now) is null)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"--cron '{request.Cron}': no fire time {(end is null ? "ahead" : "before --end")}: the schedule would never fire"
            );
        }

        using var store = RunStore.Open(project);
        store.AddSchedule(schedule);
        return schedule;
    }

    /// <summary>Every schedule with its next fire and latest fire, by name.</summary>
    public IReadOnlyList<ScheduleSummary> List()
    {
        using var store = RunStore.Open(project);
        return store.Schedules().Select(s => Summarize(store, s)).ToList();
    }

    /// <summary>A schedule and its fires, newest first (at most <paramref name="limit"/>), with their runs.</summary>
    public (ScheduleSummary Summary, IReadOnlyList<FireWithRun> Fires) Show(string name, int limit = 100)
    {
        using var store = RunStore.Open(project);
        var schedule = Find(store, name);
        var fires = store.Fires(name, limit).Select(f => new FireWithRun(f, f.RunId is { } id ? store.Get(id) : null)).ToList();
        return (Summarize(store, schedule), fires);
    }

    public Schedule SetEnabled(string name, bool enabled)
    {
        using var store = RunStore.Open(project);
        store.SetScheduleEnabled(Find(store, name).Name, enabled, time.GetUtcNow());
        return store.FindSchedule(name)!;
    }

    /// <summary>Removes a schedule and its fire records; its runs stay (and still name it).</summary>
    public void Remove(string name)
    {
        using var store = RunStore.Open(project);
        store.RemoveSchedule(Find(store, name).Name);
    }

    /// <summary>The schedule's next <paramref name="count"/> fire times from now (fewer when it ends before).</summary>
    public IReadOnlyList<DateTimeOffset> Next(string name, int count)
    {
        if (count < 1)
        {
            throw new ExpException(ExitCode.Usage, $"-n {count}: expected at least 1 fire time");
        }

        using var store = RunStore.Open(project);
        return CronTimes.Of(Find(store, name)).Between(time.GetUtcNow(), DateTimeOffset.MaxValue).Take(count).ToList();
    }

    private ScheduleSummary Summarize(RunStore store, Schedule schedule)
    {
        var now = time.GetUtcNow();
        var next = schedule.Enabled
            ? CronTimes.Of(schedule).Next(schedule.CheckedUntil > now ? schedule.CheckedUntil : now)
            : null;
        var last = store.Fires(schedule.Name, 1).FirstOrDefault();
        var status = last?.RunId is { } id ? store.Get(id)?.Status : null;
        return new ScheduleSummary(schedule, next, last, status);
    }

    private static Schedule Find(RunStore store, string name) =>
        store.FindSchedule(name)
        ?? throw new ExpException(ExitCode.NotFound, $"no schedule '{name}' (see 'dotnet exp schedule list')");

    private async Task<(string? Branch, string? Commit)> ResolveRevAsync(string? rev, CancellationToken cancellationToken)
    {
        var git = project.Git;
        if (rev is null)
        {
            return await git.CurrentBranchAsync(cancellationToken).ConfigureAwait(false) is { } current
                ? (current, null)
                : (null, await git.HeadCommitAsync(cancellationToken).ConfigureAwait(false));
        }

        if (await git.ResolveCommitAsync("refs/heads/" + rev, cancellationToken).ConfigureAwait(false) is not null)
        {
            return (rev, null);
        }

        return (
            null,
            await git.ResolveCommitAsync(rev, cancellationToken).ConfigureAwait(false)
                ?? throw new ExpException(ExitCode.NotFound, $"--rev '{rev}': no such branch or commit")
        );
    }

    /// <summary>
    /// A time as typed (ISO 8601, such as <c>2026-12-08T09:00</c>): with an offset or <c>Z</c> as given, without one in
    /// the schedule's time zone.
    /// </summary>
    public static DateTimeOffset ParseTime(string text, TimeZoneInfo zone, string flag)
    {
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{flag} '{text}': expected a date and time such as 2026-12-08T09:00 (or with an offset, +01:00 or Z)"
            );
        }

        return parsed.Kind == DateTimeKind.Unspecified
            ? new DateTimeOffset(parsed, zone.GetUtcOffset(parsed))
            : new DateTimeOffset(parsed);
    }
}
