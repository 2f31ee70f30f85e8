using GitExp.Core.Schedules;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace GitExp.Core.Tests.Schedules;

/// <summary>
/// The scheduler's rules on a fake clock and a real run store: fire times (5 and 6 fields, time zones, daylight
/// saving changes), start and end, catch-up of missed fires, the concurrency cap, and no fire twice after a crash.
/// </summary>
public sealed class SchedulerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2027, 1, 4, 9, 0, 30, TimeSpan.Zero);

    private readonly TempFolder _tmp = new();
    private readonly CountingTimeProvider _time = new(T0);
    private readonly RunStore _store;
    private readonly FakeQueue _queue = new();

    public SchedulerTests() => _store = RunStore.Open(_tmp.Combine(".exp", "runs.db"));

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        _tmp.Dispose();
    }

    private Scheduler NewScheduler() => new(_store, _queue, _time);

    private Schedule Add(string name, string cron, Func<Schedule, Schedule>? change = null)
    {
        var schedule = new Schedule
        {
            Name = name,
            Cron = cron,
            TimeZone = "UTC",
            Branch = "main",
            Created = _time.GetUtcNow(),
            CheckedUntil = _time.GetUtcNow(),
        };
        schedule = change?.Invoke(schedule) ?? schedule;
        _store.AddSchedule(schedule);
        return schedule;
    }

    private static DateTimeOffset Utc(int month, int day, int hour, int minute, int second = 0) =>
        new(2027, month, day, hour, minute, second, TimeSpan.Zero);

    /// <summary>Moves the clock on in steps of <paramref name="step"/>, a tick after each, as the running scheduler would.</summary>
    private async Task RunForAsync(Scheduler scheduler, TimeSpan span, TimeSpan step)
    {
        for (var passed = TimeSpan.Zero; passed < span; passed += step)
        {
            _time.Advance(step);
            await scheduler.TickAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_five_field_expression_fires_once_at_each_minute_and_names_the_entry_after_the_fire_time()
    {
        Add("nightly", "*/2 * * * *");
        var scheduler = NewScheduler();

        var next = await scheduler.TickAsync(CancellationToken.None);
        await RunForAsync(scheduler, TimeSpan.FromMinutes(6), TimeSpan.FromSeconds(15));
        await scheduler.TickAsync(CancellationToken.None);

        Assert.Equal(Utc(1, 4, 9, 2), next);
        Assert.Equal([Utc(1, 4, 9, 2), Utc(1, 4, 9, 4), Utc(1, 4, 9, 6)], _queue.Queued.Select(q => q.Time));
        Assert.Equal(_queue.Queued.Select(q => q.Id), _queue.Started);
        var fires = _store.Fires("nightly");
        Assert.All(fires, f => Assert.Equal(FireStatus.Queued, f.Status));
        Assert.Equal("nightly-20270104-090200", _store.FindSchedule("nightly")!.EntryName(Utc(1, 4, 9, 2)));
    }

    [Fact]
    public async Task A_six_field_expression_fires_on_seconds()
    {
        Add("fast", "*/2 * * * * *");
        var scheduler = NewScheduler();

        await RunForAsync(scheduler, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(1));

        Assert.Equal([Utc(1, 4, 9, 0, 32), Utc(1, 4, 9, 0, 34), Utc(1, 4, 9, 0, 36)], _queue.Queued.Select(q => q.Time));
    }

    [Fact]
    public async Task Start_and_end_bound_the_fires_and_a_fire_exactly_at_the_start_counts()
    {
        Add("window", "*/5 * * * *", s => s with { Start = Utc(1, 4, 9, 10), End = Utc(1, 4, 9, 20) });
        var scheduler = NewScheduler();

        await RunForAsync(scheduler, TimeSpan.FromMinutes(40), TimeSpan.FromSeconds(30));

        Assert.Equal([Utc(1, 4, 9, 10), Utc(1, 4, 9, 15), Utc(1, 4, 9, 20)], _queue.Queued.Select(q => q.Time));
        Assert.Null(await scheduler.TickAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(CatchUp.None, new int[0])]
    [InlineData(CatchUp.One, new[] { 19 })]
    [InlineData(CatchUp.All, new[] { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 })]
    public async Task Fires_missed_while_no_scheduler_ran_are_caught_up_as_asked(CatchUp catchUp, int[] hours)
    {
        // Added at 09:00:30, then no scheduler ran until 19:30:30: the fires of 10:00 to 19:00 were missed.
        Add("hourly", "0 * * * *", s => s with { CatchUp = catchUp });
        _time.Advance(TimeSpan.FromHours(10.5));

        await NewScheduler().TickAsync(CancellationToken.None);

        Assert.Equal(hours.Select(h => Utc(1, 4, h, 0)), _queue.Queued.Select(q => q.Time));
        var missed = _store.Fires("hourly").Where(f => f.Status == FireStatus.Missed).ToList();
        var expectedMissed = 10 - hours.Length;
        if (expectedMissed == 0)
        {
            Assert.Empty(missed);
        }
        else
        {
            var record = Assert.Single(missed);
            Assert.Equal(Utc(1, 4, 10, 0), record.FireTime);
            Assert.StartsWith($"{expectedMissed} fire(s) from", record.Reason);
        }
    }

    [Fact]
    public async Task Catch_up_one_adds_no_run_when_a_fire_is_due_now_anyway()
    {
        // Added at 09:00:30, no scheduler until 09:10:45: 09:01 to 09:09 missed, 09:10 due now (45 s late).
        Add("minutely", "* * * * *");
        _time.Advance(new TimeSpan(0, 10, 15));

        await NewScheduler().TickAsync(CancellationToken.None);

        Assert.Equal([Utc(1, 4, 9, 10)], _queue.Queued.Select(q => q.Time));
        Assert.StartsWith("9 fire(s) from", Assert.Single(_store.Fires("minutely"), f => f.Status == FireStatus.Missed).Reason);
    }

    [Fact]
    public async Task A_fire_late_by_less_than_a_minute_is_on_time_even_without_catch_up()
    {
        Add("minutely", "* * * * *", s => s with { CatchUp = CatchUp.None });
        _time.Advance(TimeSpan.FromSeconds(75)); // 09:01:45, the 09:01 fire 45 s late

        await NewScheduler().TickAsync(CancellationToken.None);

        Assert.Equal([Utc(1, 4, 9, 1)], _queue.Queued.Select(q => q.Time));
    }

    [Fact]
    public async Task Max_concurrent_skips_a_fire_while_the_cap_is_reached_and_records_why()
    {
        Add("capped", "* * * * *", s => s with { MaxConcurrent = 1 });
        var scheduler = NewScheduler();

        await RunForAsync(scheduler, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30)); // 09:01 queued, 09:02 skipped
        _queue.Active.Clear(); // the 09:01 run ended
        await RunForAsync(scheduler, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30)); // 09:03 queued

        Assert.Equal([Utc(1, 4, 9, 1), Utc(1, 4, 9, 3)], _queue.Queued.Select(q => q.Time));
        var skipped = Assert.Single(_store.Fires("capped"), f => f.Status == FireStatus.Skipped);
        Assert.Equal(Utc(1, 4, 9, 2), skipped.FireTime);
        Assert.Equal("--max-concurrent 1: 1 of its entries queued or running", skipped.Reason);
    }

    [Fact]
    public async Task A_time_zone_with_a_daylight_saving_change_fires_once_each_day_after_the_skipped_hour_and_once_in_the_repeated_one()
    {
        // Europe/Berlin: 2027-03-28 02:00 jumps to 03:00; 2027-10-31 03:00 goes back to 02:00.
        _time.SetUtcNow(Utc(3, 26, 12, 0));
        Add("dst", "30 2 * * *", s => s with { TimeZone = "Europe/Berlin" });
        var scheduler = NewScheduler();
        await RunForAsync(scheduler, TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));

        _time.SetUtcNow(Utc(10, 29, 12, 0));
        _store.SetScheduleEnabled("dst", false, _time.GetUtcNow());
        _store.SetScheduleEnabled("dst", true, _time.GetUtcNow());
        await RunForAsync(scheduler, TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));

        Assert.Equal(
            [
                Utc(3, 27, 1, 30), // 02:30 +01:00
                Utc(3, 28, 1, 0), // 02:30 does not exist: 03:00 +02:00, right after the jump
                Utc(3, 29, 0, 30), // 02:30 +02:00
                Utc(10, 30, 0, 30), // 02:30 +02:00
                Utc(10, 31, 0, 30), // 02:30 happens twice: the first one only
                Utc(11, 1, 1, 30), // 02:30 +01:00
            ],
            _queue.Queued.Select(q => q.Time)
        );
    }

    [Fact]
    public async Task A_disabled_schedule_does_not_fire_and_enabling_it_does_not_catch_up_what_fell_due_meanwhile()
    {
        Add("paused", "* * * * *");
        _store.SetScheduleEnabled("paused", false, _time.GetUtcNow());
        var scheduler = NewScheduler();
        await RunForAsync(scheduler, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));
        Assert.Empty(_queue.Queued);

        _store.SetScheduleEnabled("paused", true, _time.GetUtcNow());
        await RunForAsync(scheduler, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30));

        Assert.Equal([Utc(1, 4, 9, 6)], _queue.Queued.Select(q => q.Time));
    }

    [Fact]
    public async Task A_fire_recorded_before_a_crash_is_queued_once_by_the_next_scheduler_and_never_again()
    {
        Add("crashy", "* * * * *");
        _queue.CrashOnNextQueue = true;
        _time.Advance(TimeSpan.FromSeconds(40)); // 09:01:10
        await Assert.ThrowsAsync<InvalidOperationException>(() => NewScheduler().TickAsync(CancellationToken.None));
        Assert.Equal(FireStatus.Pending, Assert.Single(_store.Fires("crashy")).Status);

        var restarted = NewScheduler();
        await restarted.RecoverAsync(CancellationToken.None);
        await restarted.TickAsync(CancellationToken.None);
        await restarted.RecoverAsync(CancellationToken.None);
        await restarted.TickAsync(CancellationToken.None);

        Assert.Equal([Utc(1, 4, 9, 1)], _queue.Queued.Select(q => q.Time));
        var fire = Assert.Single(_store.Fires("crashy"));
        Assert.Equal(FireStatus.Queued, fire.Status);
        Assert.Equal(_queue.Queued[0].Id, fire.RunId);
    }

    [Fact]
    public async Task A_fire_whose_entry_cannot_be_queued_is_skipped_with_the_reason_and_the_schedule_goes_on()
    {
        Add("gone", "* * * * *");
        _queue.RefuseNextQueue = "schedule 'gone': branch 'main' does not exist any more";
        var scheduler = NewScheduler();

        await RunForAsync(scheduler, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30));

        var fires = _store.Fires("gone");
        Assert.Equal([FireStatus.Queued, FireStatus.Skipped], fires.Select(f => f.Status));
        Assert.Equal("schedule 'gone': branch 'main' does not exist any more", fires[1].Reason);
    }

    [Fact]
    public async Task The_run_loop_sleeps_until_the_next_fire_and_stops_when_asked()
    {
        Add("loop", "*/10 * * * * *");
        var stop = false;
        var loop = NewScheduler().RunAsync(() => stop, CancellationToken.None);
        var waits = 0;
        for (var i = 0; i < 25 && _queue.Queued.Count < 2; i++)
        {
            // Each step lets the loop reach its next wait (a timer of the fake clock) before the clock moves again.
            waits = await _time.WaitForTimerAsync(waits);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        stop = true;
        await _time.WaitForTimerAsync(waits);
        _time.Advance(Scheduler.PollInterval);
        await loop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([Utc(1, 4, 9, 0, 40), Utc(1, 4, 9, 0, 50)], _queue.Queued.Select(q => q.Time));
    }

    [Fact]
    public async Task A_look_that_fails_leaves_the_fire_pending_and_the_run_loop_queues_it_on_its_next_look()
    {
        Add("flaky", "*/10 * * * * *");
        _queue.CrashOnNextQueue = true;
        var events = new RecordingEvents();
        var stop = false;
        var loop = new Scheduler(_store, _queue, _time, events).RunAsync(() => stop, CancellationToken.None);
        var waits = 0;
        for (var i = 0; i < 25 && _queue.Queued.Count < 1; i++)
        {
            waits = await _time.WaitForTimerAsync(waits);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        stop = true;
        await _time.WaitForTimerAsync(waits);
        _time.Advance(Scheduler.PollInterval);
        await loop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["the scheduler died here"], events.Failures);
        Assert.Equal([Utc(1, 4, 9, 0, 40)], _queue.Queued.Select(q => q.Time));
        Assert.Equal(FireStatus.Queued, Assert.Single(_store.Fires("flaky")).Status);
    }

    private sealed class RecordingEvents : ISchedulerEvents
    {
        public List<string> Failures { get; } = [];

        public void Fired(Schedule schedule, DateTimeOffset fireTime, string entryId) { }

        public void Skipped(Schedule schedule, DateTimeOffset fireTime, string reason) { }

        public void Missed(Schedule schedule, int count, DateTimeOffset first, DateTimeOffset last) { }

        public void Failed(string message) => Failures.Add(message);
    }

    /// <summary>A fake clock that counts the timers made on it (each wait of the scheduler's loop makes one).</summary>
    private sealed class CountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private int _timers;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }

        /// <summary>Waits (bounded) until more than <paramref name="seen"/> timers were made; returns how many.</summary>
        public async Task<int> WaitForTimerAsync(int seen)
        {
            for (var i = 0; i < 3000 && Volatile.Read(ref _timers) <= seen; i++)
            {
                await Task.Delay(1);
            }

            return Volatile.Read(ref _timers);
        }
    }

    /// <summary>A queue that remembers what it was asked; entries stay active until the test clears them.</summary>
    private sealed class FakeQueue : IScheduleQueue
    {
        public List<(string Id, string Schedule, DateTimeOffset Time)> Queued { get; } = [];

        public HashSet<string> Active { get; } = new(StringComparer.Ordinal);

        public List<string> Started { get; } = [];

        public bool CrashOnNextQueue { get; set; }

        public string? RefuseNextQueue { get; set; }

        public Task<string> QueueAsync(Schedule schedule, DateTimeOffset fireTime, CancellationToken cancellationToken)
        {
            if (CrashOnNextQueue)
            {
                CrashOnNextQueue = false;
                throw new InvalidOperationException("the scheduler died here");
            }

            if (RefuseNextQueue is { } message)
            {
                RefuseNextQueue = null;
                throw new ExpException(ExitCode.NotFound, message);
            }

            var id = schedule.EntryName(fireTime);
            Queued.Add((id, schedule.Name, fireTime));
            Active.Add(id);
            return Task.FromResult(id);
        }

        public Task<int> ActiveCountAsync(Schedule schedule, CancellationToken cancellationToken) =>
            Task.FromResult(Active.Count(id => id.StartsWith(schedule.Name + "-", StringComparison.Ordinal)));

        public void Start(IReadOnlyList<string> ids) => Started.AddRange(ids);

        public Task StartStrandedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
