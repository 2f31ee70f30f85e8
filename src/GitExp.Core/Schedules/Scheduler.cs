using GitExp.Core.Tracking;

namespace GitExp.Core.Schedules;

/// <summary>
/// Fires schedules: at each due fire time, records the fire in the run store and then queues its entry (a fire
/// recorded once is never queued twice, whatever stopped the scheduler in between), within each schedule's
/// concurrency cap, catching up missed fires as the schedule asks. Time is read through <see cref="TimeProvider"/>.
/// </summary>
public sealed class Scheduler(RunStore store, IScheduleQueue queue, TimeProvider time, ISchedulerEvents? events = null)
{
    /// <summary>A fire seen later than this after its time was missed (no scheduler ran then): <c>--catch-up</c> decides.</summary>
    public static readonly TimeSpan MissedAfter = TimeSpan.FromMinutes(1);

    /// <summary>How often schedules are read again for changes (added, disabled, removed) and a stop request.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The most missed fires one look catches up with <see cref="CatchUp.All"/>; the next look goes on.</summary>
    public const int MaxCatchUpPerLook = 1000;

    private readonly ISchedulerEvents _events = events ?? SilentSchedulerEvents.Instance;

    /// <summary>Parsed expressions, kept across looks: the schedules are reread every second, and rarely change.</summary>
    private readonly Dictionary<(string, string, DateTimeOffset?, DateTimeOffset?), CronTimes> _times = [];

    /// <summary>Fires schedules until <paramref name="stopRequested"/> says so or the token is cancelled.</summary>
    public async Task RunAsync(Func<bool> stopRequested, CancellationToken cancellationToken)
    {
        var recover = true;
        while (!cancellationToken.IsCancellationRequested && !stopRequested())
        {
            DateTimeOffset? next = null;
            try
            {
                if (recover)
                {
                    await RecoverAsync(cancellationToken).ConfigureAwait(false);
                    recover = false;
                }

                next = await TickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A fire that failed this way (git, the disk, the store busy for too long) stays pending: the next
                // look recovers it, so one failure neither stops the scheduler nor loses the fire.
                _events.Failed(e.Message);
                recover = true;
            }

            var wait = PollInterval;
            if (next is { } at && at - time.GetUtcNow() < wait)
            {
                wait = at - time.GetUtcNow();
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Finishes what a scheduler stopped in the middle of (killed, the machine down): fires recorded but not queued
    /// are queued, and the schedules' queued entries that nothing runs are started.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var fire in store.FiresWithStatus(FireStatus.Pending))
        {
            if (store.FindSchedule(fire.Schedule) is { } schedule)
            {
                await QueueFireAsync(schedule, fire.FireTime, cancellationToken).ConfigureAwait(false);
            }
        }

        await queue.StartStrandedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handles every enabled schedule's due fires; returns the next fire time of any of them (null: none).</summary>
    public async Task<DateTimeOffset?> TickAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? next = null;
        foreach (var schedule in store.Schedules())
        {
            if (!schedule.Enabled)
            {
                continue;
            }

            var key = (schedule.Cron, schedule.TimeZone, schedule.Start, schedule.End);
            if (!_times.TryGetValue(key, out var times))
            {
                times = CronTimes.Of(schedule);
                _times[key] = times;
            }

            var checkedUntil = await HandleDueAsync(schedule, times, cancellationToken).ConfigureAwait(false);
            if (times.Next(checkedUntil) is { } upcoming && (next is null || upcoming < next))
            {
                next = upcoming;
            }
        }

        return next;
    }

    /// <summary>Fires, skips or records as missed the schedule's fires due by now; returns the time handled up to.</summary>
    private async Task<DateTimeOffset> HandleDueAsync(Schedule schedule, CronTimes times, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var onTime = new List<DateTimeOffset>();
        var caughtUp = new List<DateTimeOffset>();
        var missed = 0;
        DateTimeOffset? firstMissed = null;
        DateTimeOffset? lastMissed = null;
        DateTimeOffset? beforeLastMissed = null;
        DateTimeOffset? handled = null;
        foreach (var fireTime in times.Between(schedule.CheckedUntil, now))
        {
            if (now - fireTime <= MissedAfter)
            {
                onTime.Add(fireTime);
            }
            else if (schedule.CatchUp == CatchUp.All)
            {
                caughtUp.Add(fireTime);
                if (caughtUp.Count == MaxCatchUpPerLook)
                {
                    handled = fireTime;
                    break;
                }
            }
            else
            {
                missed++;
                firstMissed ??= fireTime;
                beforeLastMissed = lastMissed;
                lastMissed = fireTime;
            }

            handled = fireTime;
        }

        if (handled is null)
        {
            return schedule.CheckedUntil;
        }

        if (schedule.CatchUp == CatchUp.One && lastMissed is { } latest && onTime.Count == 0)
        {
            // One run for what was missed: the latest missed fire, unless a fire due now runs anyway.
            caughtUp.Add(latest);
            missed--;
            lastMissed = beforeLastMissed;
        }

        if (missed > 0)
        {
            var reason =
                $"{missed} fire(s) from {firstMissed:O} to {lastMissed:O} missed while no scheduler ran (--catch-up {schedule.CatchUp.ToString().ToLowerInvariant()})";
            if (
                store
                    .RecordFire(new ScheduleFire(schedule.Name, firstMissed!.Value, FireStatus.Missed, null, reason, now))
                    .Recorded
            )
            {
                _events.Missed(schedule, missed, firstMissed.Value, lastMissed!.Value);
            }
        }

        foreach (var fireTime in caughtUp.Concat(onTime))
        {
            await FireAsync(schedule, fireTime, cancellationToken).ConfigureAwait(false);
        }

        store.SetCheckedUntil(schedule.Name, handled.Value);
        return handled.Value;
    }

    /// <summary>One fire: recorded first (a fire recorded before is left alone), then skipped at the cap, or queued.</summary>
    private async Task FireAsync(Schedule schedule, DateTimeOffset fireTime, CancellationToken cancellationToken)
    {
        var (fire, recorded) = store.RecordFire(
            new ScheduleFire(schedule.Name, fireTime, FireStatus.Pending, null, null, time.GetUtcNow())
        );
        if (!recorded && fire.Status != FireStatus.Pending)
        {
            return;
        }

        if (schedule.MaxConcurrent is { } max)
        {
            var active = await queue.ActiveCountAsync(schedule, cancellationToken).ConfigureAwait(false);
            if (active >= max)
            {
                var reason = $"--max-concurrent {max}: {active} of its entries queued or running";
                store.UpdateFire(schedule.Name, fireTime, FireStatus.Skipped, null, reason);
                _events.Skipped(schedule, fireTime, reason);
                return;
            }
        }

        await QueueFireAsync(schedule, fireTime, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues a recorded fire's entry and starts it; a user error (a branch gone, a bad -S) skips the fire, saying why.</summary>
    private async Task QueueFireAsync(Schedule schedule, DateTimeOffset fireTime, CancellationToken cancellationToken)
    {
        string id;
        try
        {
            id = await queue.QueueAsync(schedule, fireTime, cancellationToken).ConfigureAwait(false);
        }
        catch (ExpException e)
        {
            store.UpdateFire(schedule.Name, fireTime, FireStatus.Skipped, null, e.Message);
            _events.Skipped(schedule, fireTime, e.Message);
            return;
        }

        store.UpdateFire(schedule.Name, fireTime, FireStatus.Queued, id, null);
        queue.Start([id]);
        _events.Fired(schedule, fireTime, id);
    }
}
