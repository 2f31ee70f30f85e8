using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Schedules;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace GitExp.Core.Tests.Schedules;

/// <summary>
/// Schedules in a real repository: what <c>schedule add</c> accepts, and a fire queued as an entry of the branch's tip
/// at fire time (or of a fixed commit) with the schedule's params, recorded with its schedule and group, once.
/// </summary>
public sealed class ScheduledEntriesTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2027, 1, 4, 9, 0, 30, TimeSpan.Zero);

    private readonly TempGitRepo _repo = new();
    private readonly FakeTimeProvider _time = new(Now);

    public ScheduledEntriesTests()
    {
        _repo.Write("params.yaml", "lr: 0.1\nbatch: 16\n");
        _repo.Write("exp.yaml", "stages:\n  train:\n    cmd: echo train\n    params: [lr, batch]\n");
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "pipeline");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _repo.Dispose();
    }

    private async Task<(ExpProject Project, ScheduleBook Book)> OpenAsync()
    {
        var project = await ExpProject.OpenAsync(_repo.Path);
        project.EnsureInitialized();
        return (project, new ScheduleBook(project, _time));
    }

    [Fact]
    public async Task A_fire_queues_the_branch_tip_at_fire_time_with_the_schedules_params_and_records_its_schedule_once()
    {
        var (project, book) = await OpenAsync();
        var schedule = await book.AddAsync(
            new ScheduleRequest
            {
                Name = "nightly",
                Cron = "0 2 * * *",
                SetParams = ["lr=0.5"],
                Group = "speed",
            }
        );
        Assert.Equal("main", schedule.Branch);
        _repo.Write("params.yaml", "lr: 0.1\nbatch: 32\n");
        _repo.Git("commit", "-q", "-am", "batch 32");
        var tip = _repo.Git("rev-parse", "HEAD");
        var started = new List<string>();
        var entries = new ScheduledEntries(project, started.AddRange);
        var fireTime = new DateTimeOffset(2027, 1, 5, 2, 0, 0, TimeSpan.Zero);

        var id = await entries.QueueAsync(schedule, fireTime, CancellationToken.None);
        var again = await entries.QueueAsync(schedule, fireTime, CancellationToken.None);

        Assert.Equal(id, again);
        var entry = Assert.Single(await new ExperimentQueue(project).ListQueuedAsync());
        Assert.Equal(id, entry.Id);
        Assert.Equal("nightly-20270105-020000", entry.Name);
        Assert.Equal(tip, entry.Baseline);
        Assert.Equal("lr: 0.5\nbatch: 32\n", _repo.Git("show", entry.Commit + ":params.yaml") + "\n");
        using (var store = RunStore.Open(project))
        {
            var run = store.Get(id)!;
            Assert.Equal("nightly", run.Schedule);
            Assert.Equal("speed", run.Group);
            Assert.Equal(RunStatus.Queued, run.Status);
        }

        Assert.Equal(1, await entries.ActiveCountAsync(schedule, CancellationToken.None));
        Assert.Empty(started);
    }

    [Fact]
    public async Task A_schedule_of_a_fixed_commit_runs_that_commit_whatever_the_branch_does_later()
    {
        var (project, book) = await OpenAsync();
        var first = _repo.Git("rev-parse", "HEAD");
        var schedule = await book.AddAsync(
            new ScheduleRequest
            {
                Name = "pinned",
                Cron = "0 2 * * *",
                Rev = first[..10],
            }
        );
        _repo.Write("params.yaml", "lr: 0.9\nbatch: 16\n");
        _repo.Git("commit", "-q", "-am", "later");

        await new ScheduledEntries(project, _ => { }).QueueAsync(schedule, Now.AddDays(1), CancellationToken.None);

        Assert.Equal(first, schedule.Commit);
        Assert.Null(schedule.Branch);
        var entry = Assert.Single(await new ExperimentQueue(project).ListQueuedAsync());
        Assert.Equal(first, entry.Baseline);
        Assert.Equal("lr: 0.1\nbatch: 16", _repo.Git("show", entry.Commit + ":params.yaml"));
    }

    [Theory]
    [InlineData("--rev 'nope': no such branch or commit", ExitCode.NotFound, "nope", null, null, null, null)]
    [InlineData("--max-concurrent 0: expected at least 1", ExitCode.Usage, null, 0, null, null, null)]
    [InlineData(
        "--end '2026-12-31T00:00Z' is already past: the schedule would never fire",
        ExitCode.Usage,
        null,
        null,
        null,
        "2026-12-31T00:00Z",
        null
    )]
    [InlineData(
        "--end '2027-02-01' is not after --start '2027-03-01'",
        ExitCode.Usage,
        null,
        null,
        "2027-03-01",
        "2027-02-01",
        null
    )]
    [InlineData(
        "--start 'soon': expected a date and time such as 2026-12-08T09:00 (or with an offset, +01:00 or Z)",
        ExitCode.Usage,
        null,
        null,
        "soon",
        null,
        null
    )]
    [InlineData(
        "--tz 'Mars/Olympus': not a known time zone (expected an IANA id such as Europe/Berlin or UTC)",
        ExitCode.Usage,
        null,
        null,
        null,
        null,
        "tz:Mars/Olympus"
    )]
    [InlineData(
        "--cron '0 0 30 2 *': no fire time ahead: the schedule would never fire",
        ExitCode.Usage,
        null,
        null,
        null,
        null,
        "0 0 30 2 *"
    )]
    public async Task Add_refuses_what_cannot_work_with_one_line_naming_the_flag(
        string message,
        ExitCode code,
        string? rev,
        int? maxConcurrent,
        string? start,
        string? end,
        string? cron
    )
    {
        var (_, book) = await OpenAsync();

        var error = await Assert.ThrowsAsync<ExpException>(() =>
            book.AddAsync(
                new ScheduleRequest
                {
                    Name = "s",
                    // "tz:<id>" in the cron column tries a time zone instead.
                    Cron = cron is null || cron.StartsWith("tz:", StringComparison.Ordinal) ? "0 2 * * *" : cron,
                    TimeZone = cron is not null && cron.StartsWith("tz:", StringComparison.Ordinal) ? cron[3..] : "UTC",
                    Rev = rev,
                    MaxConcurrent = maxConcurrent,
                    Start = start,
                    End = end,
                }
            )
        );

        Assert.Equal(code, error.Code);
        Assert.Equal(message, error.Message);
        Assert.Empty(book.List());
    }

    [Fact]
    public async Task Add_refuses_a_sweep_and_a_name_that_cannot_name_an_experiment()
    {
        var (_, book) = await OpenAsync();

        var sweep = await Assert.ThrowsAsync<ExpException>(() =>
            book.AddAsync(
                new ScheduleRequest
                {
                    Name = "s",
                    Cron = "0 2 * * *",
                    SetParams = ["lr=0.1,0.2"],
                }
            )
        );
        var name = await Assert.ThrowsAsync<ExpException>(() =>
            book.AddAsync(new ScheduleRequest { Name = "a/b", Cron = "0 2 * * *" })
        );

        Assert.StartsWith("-S 'lr=0.1,0.2': a sweep", sweep.Message);
        Assert.Equal("schedule name 'a/b': an experiment name cannot hold '/'", name.Message);
    }
}
