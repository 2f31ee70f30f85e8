using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// Recurring runs end to end with the real clock: the scheduler started from the CLI fires schedules into isolated
/// queue entries, keeps a concurrency cap, stops firing a disabled schedule, and after a SIGKILL loses no schedule and
/// fires nothing twice. One class, so these background-process tests run one at a time.
/// </summary>
public sealed class ScheduleTests
{
    /// <summary>The training project with a scheduler that the disposal stops (then its workers, as QueueProject does).</summary>
    private sealed class ScheduledProject(QueueProject project) : IAsyncDisposable
    {
        public QueueProject Project { get; } = project;

        public static async Task<ScheduledProject> CreateAsync() => new(await QueueProject.CreateTrainingAsync());

        /// <summary>
        /// A stage that runs every time (never restored from the run-cache) for 2 s, writing "start NAME" and
        /// "done NAME" to <c>{side}/runs.log</c>.
        /// </summary>
        public static async Task<ScheduledProject> CreateSlowAsync() =>
            new(
                await QueueProject.CreateAsync(
                    new Dictionary<string, string>
                    {
                        ["stage.sh"] = $"""
                        printf 'start %s\n' "$EXP_NAME" >> '{QueueProject.SidePlaceholder}/runs.log'
                        sleep 2
                        printf 'done %s\n' "$EXP_NAME" >> '{QueueProject.SidePlaceholder}/runs.log'

                        """,
                        ["exp.yaml"] = "stages:\n  slow:\n    cmd: sh stage.sh\n    deps: [stage.sh]\n    always_changed: true\n",
                    }
                )
            );

        public async Task<JsonObject> SchedulerStatusAsync() =>
            JsonNode.Parse((await Project.ExpOkAsync("scheduler", "status", "--json")).StdOut)!.AsObject();

        public async Task<JsonObject> ShowAsync(string name) =>
            JsonNode.Parse((await Project.ExpOkAsync("schedule", "show", name, "--json")).StdOut)!.AsObject();

        /// <summary>The schedule's fires, oldest first.</summary>
        public async Task<IReadOnlyList<JsonObject>> FiresAsync(string name) =>
            (await ShowAsync(name))["fires"]!.AsArray().Select(f => f!.AsObject()).Reverse().ToList();

        public async Task<IReadOnlyList<JsonObject>> FiresAsync(string name, string status) =>
            (await FiresAsync(name)).Where(f => (string)f["status"]! == status).ToList();

        public async ValueTask DisposeAsync()
        {
            try
            {
                var status = await SchedulerStatusAsync();
                if ((bool)status["running"]!)
                {
                    var pid = (int)status["pid"]!;
                    if ((await Project.ExpAsync("scheduler", "stop")).ExitCode != 0)
                    {
                        QueueProject.Kill(pid);
                    }
                }
            }
            finally
            {
                await Project.DisposeAsync();
            }
        }
    }

    private static DateTimeOffset Time(JsonObject fire) => DateTimeOffset.Parse((string)fire["fire_time"]!);

    [Fact]
    public async Task A_schedule_every_2_seconds_runs_experiments_on_the_branch_tip_with_its_params_group_and_name()
    {
        await using var scheduled = await ScheduledProject.CreateAsync();
        var project = scheduled.Project;
        var added = await project.ExpOkAsync(
            "schedule",
            "add",
            "every2",
            "--cron",
            "*/2 * * * * *",
            "-S",
            "lr=0.5",
            "--group",
            "nightly",
            "--tz",
            "UTC"
        );
        Assert.Contains("Added schedule 'every2'", added.StdOut);
        Assert.Contains("The scheduler is not running", added.StdOut);
        // Committed after the schedule was added: a branch schedule runs the tip at fire time.
        project.Repo.WriteFile("params.yaml", "lr: 0.1\nbatch: 10\nfail: 0\nsleep: 0\n");
        await project.Repo.CommitAllAsync("batch 10");

        var started = await project.ExpOkAsync("scheduler", "start");
        Assert.Contains("Started the scheduler", started.StdOut);
        var second = await project.ExpAsync("scheduler", "start");
        Assert.Equal(6, second.ExitCode);
        Assert.Equal(
            [
                "error: the scheduler is already running (pid "
                    + (int)(await scheduled.SchedulerStatusAsync())["pid"]!
                    + "); stop it first with 'dotnet exp scheduler stop'",
            ],
            second.ErrorLines
        );

        await QueueProject.WaitUntilAsync(
            async () => (await scheduled.FiresAsync("every2")).Count(f => (string?)f["run_status"] == "succeeded") >= 3,
            "three fires of the schedule succeeded",
            60
        );
        await project.ExpOkAsync("scheduler", "stop");

        var fires = await scheduled.FiresAsync("every2", "queued");
        var times = fires.Select(Time).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(2), pair.Second - pair.First));
        Assert.All(times, t => Assert.Equal(0, t.Second % 2));
        var first = fires.First(f => (string?)f["run_status"] == "succeeded");
        var run = JsonNode.Parse((await project.ExpOkAsync("runs", "show", (string)first["run_id"]!, "--json")).StdOut)!;
        Assert.Equal("every2", (string)run["schedule"]!);
        Assert.Equal("nightly", (string)run["group"]!);
        Assert.Equal("every2-" + Time(first).ToString("yyyyMMdd-HHmmss"), (string)run["name"]!);
        Assert.Equal(await project.Repo.HeadAsync(), (string)run["baseline"]!);
        var row = Assert.Single(await project.ShowAsync(), r => r.Name == (string)run["name"]!);
        Assert.Equal("0.5", row.Param("lr"));
        Assert.Equal("10", row.Param("batch"));
        var listed = JsonNode.Parse((await project.ExpOkAsync("schedule", "list", "--json")).StdOut)!.AsArray().Single()!;
        Assert.Equal("every2", (string)listed["name"]!);
        Assert.True((bool)listed["enabled"]!);
        Assert.NotNull((string?)listed["next_fire"]);
        Assert.False((bool)(await scheduled.SchedulerStatusAsync())["running"]!);
    }

    [Fact]
    public async Task Max_concurrent_1_with_a_stage_slower_than_the_period_never_overlaps_and_records_the_skips()
    {
        await using var scheduled = await ScheduledProject.CreateSlowAsync();
        var project = scheduled.Project;
        await project.ExpOkAsync("schedule", "add", "capped", "--cron", "* * * * * *", "--max-concurrent", "1");
        await project.ExpOkAsync("scheduler", "start");

        await QueueProject.WaitUntilAsync(
            () => project.SideLines("runs.log").Count(l => l.StartsWith("done ", StringComparison.Ordinal)) >= 2,
            "two runs finished",
            60
        );
        await project.ExpOkAsync("schedule", "disable", "capped");
        await project.ExpOkAsync("scheduler", "stop");
        await project.StopWorkersAsync();

        // Each run starts after the one before it is done: "start a, done a, start b, done b, ...".
        var log = project.SideLines("runs.log");
        for (var i = 0; i < log.Count; i++)
        {
            Assert.StartsWith(i % 2 == 0 ? "start " : "done ", log[i]);
            if (i % 2 == 1)
            {
                Assert.Equal(log[i - 1][6..], log[i][5..]);
            }
        }

        var skipped = await scheduled.FiresAsync("capped", "skipped");
        Assert.NotEmpty(skipped);
        Assert.All(skipped, f => Assert.Equal("--max-concurrent 1: 1 of its entries queued or running", (string)f["reason"]!));
    }

    [Fact]
    public async Task A_disabled_schedule_stops_firing_and_a_scheduler_killed_with_sigkill_restarts_without_losing_or_repeating_a_fire()
    {
        await using var scheduled = await ScheduledProject.CreateSlowAsync();
        var project = scheduled.Project;
        await project.ExpOkAsync("schedule", "add", "steady", "--cron", "*/2 * * * * *", "--max-concurrent", "1");
        await project.ExpOkAsync("schedule", "add", "paused", "--cron", "*/2 * * * * *", "--max-concurrent", "1");
        await project.ExpOkAsync("scheduler", "start");
        await QueueProject.WaitUntilAsync(async () => (await scheduled.FiresAsync("paused")).Count >= 1, "'paused' fired", 30);

        await project.ExpOkAsync("schedule", "disable", "paused");
        var pausedFires = (await scheduled.FiresAsync("paused")).Count;
        var pid = (int)(await scheduled.SchedulerStatusAsync())["pid"]!;
        QueueProject.Kill(pid);
        await QueueProject.WaitUntilAsync(() => !QueueProject.IsAlive(pid), "the scheduler is gone", 10);
        Assert.False((bool)(await scheduled.SchedulerStatusAsync())["running"]!);
        var beforeKill = (await scheduled.FiresAsync("steady")).Count;

        await project.ExpOkAsync("scheduler", "start");
        await QueueProject.WaitUntilAsync(
            async () => (await scheduled.FiresAsync("steady")).Count >= beforeKill + 2,
            "'steady' fired twice more after the restart",
            30
        );
        await project.ExpOkAsync("scheduler", "stop");
        await project.StopWorkersAsync();

        Assert.Equal(pausedFires, (await scheduled.FiresAsync("paused")).Count);
        var listed = JsonNode.Parse((await project.ExpOkAsync("schedule", "list", "--json")).StdOut)!.AsArray();
        Assert.Equal(["paused", "steady"], listed.Select(s => (string)s!["name"]!));
        Assert.Equal([false, true], listed.Select(s => (bool)s!["enabled"]!));
        var fires = await scheduled.FiresAsync("steady");
        // Every 2-second slot from the first fire to the last is recorded once, the ones while it was down included.
        var times = fires.Select(Time).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(2), pair.Second - pair.First));
        var runs = fires.Where(f => (string)f["status"]! == "queued").Select(f => (string)f["run_id"]!).ToList();
        Assert.Equal(runs.Count, runs.Distinct().Count());
        // No entry ran twice: every stage start is of a different experiment.
        var starts = project.SideLines("runs.log").Where(l => l.StartsWith("start ", StringComparison.Ordinal)).ToList();
        Assert.Equal(starts.Count, starts.Distinct().Count());
    }

    [Fact]
    public async Task Schedule_mistakes_are_one_line_errors_naming_the_flag_or_the_name()
    {
        await using var scheduled = await ScheduledProject.CreateAsync();
        var project = scheduled.Project;

        async Task Refused(int code, string expected, params string[] args)
        {
            var result = await project.ExpAsync(args);
            Assert.Equal(code, result.ExitCode);
            Assert.Equal(["error: " + expected], result.ErrorLines);
        }

        await Refused(
            2,
            "--cron '* * *': expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 3",
            "schedule",
            "add",
            "s",
            "--cron",
            "* * *"
        );
        var badField = await project.ExpAsync("schedule", "add", "s", "--cron", "61 * * * *");
        Assert.Equal(2, badField.ExitCode);
        Assert.StartsWith("error: --cron '61 * * * *': ", Assert.Single(badField.ErrorLines));
        await Refused(
            2,
            "--end '2030-01-01T00:00' is not after --start '2030-02-01T00:00'",
            "schedule",
            "add",
            "s",
            "--cron",
            "* * * * *",
            "--start",
            "2030-02-01T00:00",
            "--end",
            "2030-01-01T00:00"
        );
        // The add options' other refusals are the engine's (ScheduledEntriesTests); here, that they reach the user as one line.
        foreach (var verb in new[] { "show", "disable" })
        {
            await Refused(5, "no schedule 'ghost' (see 'dotnet exp schedule list')", "schedule", verb, "ghost");
        }

        await project.ExpOkAsync("schedule", "add", "s", "--cron", "0 9 * * 1", "--tz", "Europe/Berlin", "--rev", "HEAD");
        await Refused(
            6,
            "schedule 's' already exists (see 'dotnet exp schedule list'; remove it first to replace it)",
            "schedule",
            "add",
            "s",
            "--cron",
            "* * * * *"
        );
        var next = await project.ExpOkAsync("schedule", "next", "s", "-n", "2");
        Assert.All(next.StdOut.Trim().Split('\n'), line => Assert.Matches(@"^\d{4}-\d\d-\d\d 09:00:00 \+0[12]:00$", line));
        await project.ExpOkAsync("schedule", "remove", "s");
        Assert.Equal("[]", (await project.ExpOkAsync("schedule", "list", "--json")).StdOut.Trim());
    }
}
