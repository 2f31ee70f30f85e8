using Cronos;

namespace GitExp.Core.Schedules;

/// <summary>
/// A schedule's fire times: its cron expression (Cronos: 5 fields, or 6 with seconds first) read in its time zone,
/// within its start and end. Daylight saving changes are Cronos's rules: a time the clocks skip fires right after the
/// jump, a time they repeat fires once.
/// </summary>
public sealed class CronTimes
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;
    private readonly DateTimeOffset? _start;
    private readonly DateTimeOffset? _end;

    private CronTimes(CronExpression expression, TimeZoneInfo zone, DateTimeOffset? start, DateTimeOffset? end)
    {
        _expression = expression;
        _zone = zone;
        _start = start;
        _end = end;
    }

    public static CronTimes Of(Schedule schedule) =>
        new(Parse(schedule.Cron), Zone(schedule.TimeZone), schedule.Start, schedule.End);

    /// <summary>The expression parsed, or one line naming <c>--cron</c> and what is expected.</summary>
    public static CronExpression Parse(string cron)
    {
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
        if (fields is not (5 or 6))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"--cron '{cron}': expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found {fields}"
            );
        }

        try
        {
            return CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new ExpException(ExitCode.Usage, $"--cron '{cron}': {e.Message.TrimEnd('.')}");
        }
    }

    /// <summary>A time zone by its IANA id (<c>Europe/Berlin</c>, <c>UTC</c>), or one line naming <c>--tz</c>.</summary>
    public static TimeZoneInfo Zone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"--tz '{id}': not a known time zone (expected an IANA id such as Europe/Berlin or UTC)"
            );
        }
    }

    /// <summary>The first fire time after <paramref name="after"/>, or null when the schedule has ended by then.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        // A start counts itself: a fire exactly at the start time is the first one.
        var next =
            _start is { } start && start > after
                ? _expression.GetNextOccurrence(start, _zone, inclusive: true)
                : _expression.GetNextOccurrence(after, _zone);
        return next is { } time && (_end is null || time <= _end) ? time : null;
    }

    /// <summary>The fire times in (<paramref name="after"/>, <paramref name="until"/>], oldest first, lazily.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset until)
    {
        var time = Next(after);
        while (time is { } t && t <= until)
        {
            yield return t;
            time = Next(t);
        }
    }
}
