using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Project;
using GitExp.Core.Schedules;
using GitExp.Core.Tracking;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp schedule ...</c> (recurring runs) and <c>dotnet exp scheduler start|stop|status</c>.</summary>
internal static class ScheduleCommands
{
    public static Command CreateSchedule(TextWriter output)
    {
        var command = new Command(
            "schedule",
            "Recurring runs: cron schedules that queue the pipeline (fired by 'dotnet exp scheduler')."
        );
        command.Subcommands.Add(Add(output));
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(Enable(output, true));
        command.Subcommands.Add(Enable(output, false));
        command.Subcommands.Add(Remove(output));
        command.Subcommands.Add(Next(output));
        return command;
    }

    public static Command CreateScheduler(TextWriter output)
    {
        var command = new Command("scheduler", "The background process that fires schedules and runs their entries.");
        command.Subcommands.Add(Start(output));
        command.Subcommands.Add(Stop(output));
        command.Subcommands.Add(Status(output));
        command.Subcommands.Add(RunInForeground(output));
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "Name of the schedule." };

    private static Command Add(TextWriter output)
    {
        var name = new Argument<string>("name") { Description = "Name of the schedule; its runs are <name>-<UTC time>." };
        var targets = new Argument<string[]>("targets")
        {
            Description = "Stages to run (as for 'dotnet exp run'); default: the whole pipeline.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cron = new Option<string>("--cron")
        {
            Description = "When it fires: 5 cron fields (minute hour day-of-month month day-of-week), or 6 with seconds first.",
            Required = true,
        };
        var tz = new Option<string?>("--tz")
        {
            Description = "Time zone of the cron times and of --start/--end (IANA id; default: the machine's).",
        };
        var start = new Option<string?>("--start")
        {
            Description = "No fire before this time (ISO 8601, e.g. 2026-12-08T09:00).",
        };
        var end = new Option<string?>("--end") { Description = "No fire after this time (ISO 8601)." };
        var maxConcurrent = new Option<int?>("--max-concurrent")
        {
            Description = "At most N of its runs queued or running at once; a fire beyond it is skipped (and recorded).",
        };
        var catchUp = new Option<CatchUp>("--catch-up")
        {
            Description = "Fires missed while no scheduler ran: none skips them, one runs the latest once, all runs each.",
            DefaultValueFactory = _ => CatchUp.One,
        };
        var setParams = new Option<string[]>("--set-param", "-S")
        {
            Description = "A param each run sets, in Hydra's override grammar ([file:]key=value; repeatable; no sweeps).",
        };
        var rev = new Option<string?>("--rev")
        {
            Description = "What each fire runs: a branch (its tip at fire time) or a commit (default: the current branch).",
        };
        var group = new Option<string?>("--group")
        {
            Description = "Put its runs in this group (an experiment, in Kubeflow's words).",
        };
        var command = new Command("add", "Add a schedule that queues the pipeline at each cron time.")
        {
            name,
            targets,
            cron,
            tz,
            start,
            end,
            maxConcurrent,
            catchUp,
            setParams,
            rev,
            group,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                var schedule = await new ScheduleBook(project, TimeProvider.System)
                    .AddAsync(
                        new ScheduleRequest
                        {
                            Name = result.GetValue(name)!,
                            Cron = result.GetValue(cron)!,
                            TimeZone = result.GetValue(tz),
                            Start = result.GetValue(start),
                            End = result.GetValue(end),
                            MaxConcurrent = result.GetValue(maxConcurrent),
                            CatchUp = result.GetValue(catchUp),
                            Rev = result.GetValue(rev),
                            SetParams = result.GetValue(setParams) ?? [],
                            Targets = result.GetValue(targets) ?? [],
                            Group = result.GetValue(group),
                            CommandLine = CommonOptions.CommandLine(),
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                var next = CronTimes.Of(schedule).Next(schedule.CheckedUntil);
                output.WriteLine(
                    $"Added schedule '{schedule.Name}': '{schedule.Cron}' in {schedule.TimeZone}, running {(schedule.Branch is null ? "commit " : "the tip of ")}{schedule.Revision}; next fire {FormatTime(next, schedule)}."
                );
                if (!new SchedulerProcess(project).State().Running)
                {
                    output.WriteLine("The scheduler is not running: start it with 'dotnet exp scheduler start'.");
                }

                return 0;
            }
        );
        return command;
    }

    private static Command List(TextWriter output)
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List the schedules: next fire, latest run and its status, enabled.") { json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var summaries = new ScheduleBook(project, TimeProvider.System).List();
                var now = DateTimeOffset.UtcNow;
                if (result.GetValue(json))
                {
                    JsonOutput.Write(
                        output,
                        new JsonArray(summaries.Select(s => (JsonNode)ScheduleJson.Summary(s, now)).ToArray())
                    );
                    return 0;
                }

                if (summaries.Count == 0)
                {
                    output.WriteLine("No schedule yet: add one with 'dotnet exp schedule add <name> --cron \"<expression>\"'.");
                    return 0;
                }

                var rows = summaries
                    .Select(s =>
                        (IReadOnlyList<string>)
                            [
                                s.Schedule.Name,
                                s.Schedule.Cron,
                                s.Schedule.Revision,
                                FormatTime(s.NextFire, s.Schedule),
                                FormatTime(s.LastFire?.FireTime, s.Schedule),
                                ScheduleJson.LastStatus(s),
                                s.State(now),
                            ]
                    )
                    .ToList();
                var fit = new TableFit(TableWriter.Width(null, output), false, [0, 6, 3, 5, 1, 4, 2], 1, 0, "schedule", "--json");
                TableWriter.Console(
                    output,
                    ["Name", "Cron", "Runs", "Next fire", "Last fire", "Last status", "State"],
                    rows,
                    7,
                    fit
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var name = NameArgument();
        var json = CommonOptions.Json();
        var command = new Command("show", "Show a schedule and its fires with their runs, newest first.") { name, json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var (summary, fires) = new ScheduleBook(project, TimeProvider.System).Show(result.GetValue(name)!);
                var now = DateTimeOffset.UtcNow;
                var schedule = summary.Schedule;
                if (result.GetValue(json))
                {
                    var document = ScheduleJson.Summary(summary, now);
                    document["fires"] = new JsonArray(fires.Select(f => (JsonNode)ScheduleJson.Fire(f)).ToArray());
                    JsonOutput.Write(output, document);
                    return 0;
                }

                output.WriteLine($"Schedule {schedule.Name} ({summary.State(now)})");
                output.WriteLine($"  cron:            {schedule.Cron} in {schedule.TimeZone}");
                output.WriteLine(
                    $"  runs:            {(schedule.Branch is null ? "commit " + schedule.Commit : "the tip of branch " + schedule.Branch)}"
                );
                if (schedule.SetParams.Count > 0)
                {
                    output.WriteLine($"  params:          {string.Join(' ', schedule.SetParams.Select(p => "-S " + p))}");
                }

                if (schedule.Targets.Count > 0)
                {
                    output.WriteLine($"  targets:         {string.Join(' ', schedule.Targets)}");
                }

                output.WriteLine(
                    $"  start, end:      {FormatTime(schedule.Start, schedule)}, {FormatTime(schedule.End, schedule)}"
                );
                output.WriteLine(
                    $"  max concurrent:  {schedule.MaxConcurrent?.ToString(CultureInfo.InvariantCulture) ?? "no limit"}"
                );
                output.WriteLine($"  catch-up:        {schedule.CatchUp.ToString().ToLowerInvariant()}");
                if (schedule.Group is not null)
                {
                    output.WriteLine($"  group:           {schedule.Group}");
                }

                output.WriteLine($"  next fire:       {FormatTime(summary.NextFire, schedule)}");
                if (fires.Count == 0)
                {
                    output.WriteLine("No fire yet.");
                    return 0;
                }

                var rows = fires
                    .Select(f =>
                        (IReadOnlyList<string>)
                            [
                                FormatTime(f.Fire.FireTime, schedule),
                                f.Fire.Status.ToString().ToLowerInvariant(),
                                f.Fire.RunId ?? "-",
                                f.Run?.ExperimentName ?? "-",
                                f.Run?.Status.ToString().ToLowerInvariant() ?? "-",
                                f.Fire.Reason ?? "",
                            ]
                    )
                    .ToList();
                var fit = new TableFit(TableWriter.Width(null, output), false, [0, 1, 4, 2, 3, 5], 2, 0, "fire", "--json");
                TableWriter.Console(output, ["Fire time", "Fire", "Run", "Experiment", "Run status", "Why"], rows, 6, fit);
                return 0;
            }
        );
        return command;
    }

    private static Command Enable(TextWriter output, bool enable)
    {
        var name = NameArgument();
        var command = new Command(
            enable ? "enable" : "disable",
            enable
                ? "Enable a schedule: it fires again from now (what fell due meanwhile is not caught up)."
                : "Disable a schedule: it stops firing; its runs keep running."
        )
        {
            name,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var schedule = new ScheduleBook(project, TimeProvider.System).SetEnabled(result.GetValue(name)!, enable);
                output.WriteLine($"{(enable ? "Enabled" : "Disabled")} schedule '{schedule.Name}'.");
                return 0;
            }
        );
        return command;
    }

    private static Command Remove(TextWriter output)
    {
        var name = NameArgument();
        var command = new Command("remove", "Remove a schedule and its fire records; its runs and experiments stay.") { name };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                new ScheduleBook(project, TimeProvider.System).Remove(result.GetValue(name)!);
                output.WriteLine($"Removed schedule '{result.GetValue(name)}'.");
                return 0;
            }
        );
        return command;
    }

    private static Command Next(TextWriter output)
    {
        var name = NameArgument();
        var count = new Option<int>("-n") { Description = "How many fire times.", DefaultValueFactory = _ => 5 };
        var json = CommonOptions.Json();
        var command = new Command("next", "Print a schedule's next fire times, to check its expression.") { name, count, json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var book = new ScheduleBook(project, TimeProvider.System);
                var times = book.Next(result.GetValue(name)!, result.GetValue(count));
                if (result.GetValue(json))
                {
                    JsonOutput.Write(
                        output,
                        new JsonArray(times.Select(t => (JsonNode)JsonValue.Create(ScheduleJson.Iso(t))).ToArray())
                    );
                    return 0;
                }

                var schedule = book.Show(result.GetValue(name)!, 0).Summary.Schedule;
                foreach (var time in times)
                {
                    output.WriteLine(FormatTime(time, schedule));
                }

                if (times.Count == 0)
                {
                    output.WriteLine("No fire time left: the schedule has ended.");
                }

                return 0;
            }
        );
        return command;
    }

    private static Command Start(TextWriter output)
    {
        var command = new Command("start", "Start the scheduler in the background (one per project) and return.");
        command.SetAction(
            async (_, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                var process = new SchedulerProcess(project);
                if (process.State() is { Running: true } running)
                {
                    throw AlreadyRunning(running);
                }

                var pid = SelfLauncher.StartDetached(["scheduler", "run"], project.Root, process.LogPath);
                // Started once it holds the registration; another start racing this one may have won it.
                for (var waited = 0; ; waited++)
                {
                    var state = process.State();
                    if (state is { Running: true, Pid: { } holder })
                    {
                        if (holder == pid)
                        {
                            break;
                        }

                        // A live other holder won a race of two starts; a dead one's pid is the file's stale content,
                        // read between the new scheduler's lock and its pid.
                        if (IsAlive(holder))
                        {
                            throw AlreadyRunning(state);
                        }
                    }

                    if (!IsAlive(pid))
                    {
                        throw new ExpException(
                            ExitCode.Conflict,
                            $"the scheduler (pid {pid}) ended at once; see {Path.GetRelativePath(project.Root, process.LogPath)}"
                        );
                    }

                    if (waited == 600)
                    {
                        throw new ExpException(
                            ExitCode.Conflict,
                            $"the scheduler (pid {pid}) started but did not register within 30 s; see {Path.GetRelativePath(project.Root, process.LogPath)}"
                        );
                    }

                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }

                output.WriteLine(
                    $"Started the scheduler (pid {pid}); log: {Path.GetRelativePath(project.Root, process.LogPath)}."
                );
                output.WriteLine("See it with 'dotnet exp scheduler status'; stop it with 'dotnet exp scheduler stop'.");
                return 0;
            }
        );
        return command;
    }

    private static ExpException AlreadyRunning(SchedulerState state) =>
        new(
            ExitCode.Conflict,
            $"the scheduler is already running (pid {state.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}); stop it first with 'dotnet exp scheduler stop'"
        );

    private static Command Stop(TextWriter output)
    {
        var command = new Command("stop", "Stop the scheduler; the runs it started go on.");
        command.SetAction(
            async (_, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var process = new SchedulerProcess(project);
                var state = process.State();
                if (!state.Running)
                {
                    output.WriteLine("The scheduler is not running.");
                    return 0;
                }

                process.RequestStop();
                // It looks for the request once a second.
                for (var i = 0; i < 100 && process.State().Running; i++)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }

                if (process.State().Running)
                {
                    throw new ExpException(
                        ExitCode.Conflict,
                        $"asked the scheduler (pid {state.Pid}) to stop, and it still runs after 10 s; see {Path.GetRelativePath(project.Root, process.LogPath)}"
                    );
                }

                output.WriteLine($"Stopped the scheduler (pid {state.Pid}).");
                return 0;
            }
        );
        return command;
    }

    private static Command Status(TextWriter output)
    {
        var json = CommonOptions.Json();
        var command = new Command("status", "Whether the scheduler runs, and the next fire.") { json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var state = new SchedulerProcess(project).State();
                var summaries = new ScheduleBook(project, TimeProvider.System).List();
                var next = summaries.Where(s => s.NextFire is not null).MinBy(s => s.NextFire);
                var enabled = summaries.Count(s => s.Schedule.Enabled);
                if (result.GetValue(json))
                {
                    var json = ScheduleJson.Scheduler(state);
                    json["schedules"] = summaries.Count;
                    json["enabled"] = enabled;
                    json["next_fire"] = next?.NextFire is { } at ? ScheduleJson.Iso(at) : null;
                    json["next_schedule"] = next?.Schedule.Name;
                    JsonOutput.Write(output, json);
                    return 0;
                }

                output.WriteLine(
                    state.Running
                        ? $"The scheduler is running (pid {state.Pid}, since {ValueFormat.Time(state.Since)})."
                        : "The scheduler is not running: start it with 'dotnet exp scheduler start'."
                );
                output.WriteLine(
                    $"{summaries.Count} schedule(s), {enabled} enabled"
                        + (
                            next is null
                                ? "."
                                : $"; next fire: {next.Schedule.Name} at {FormatTime(next.NextFire, next.Schedule)}."
                        )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command RunInForeground(TextWriter output)
    {
        var command = new Command(
            "run",
            "Run the scheduler in this process, in the foreground (what 'scheduler start' launches; for a service manager such as systemd)."
        );
        command.SetAction(
            async (_, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                var process = new SchedulerProcess(project);
                using var registration = process.TryRegister(DateTimeOffset.UtcNow);
                if (registration is null)
                {
                    throw AlreadyRunning(process.State());
                }

                output.WriteLine($"{ScheduleJson.Iso(DateTimeOffset.UtcNow)} scheduler {Environment.ProcessId} started");
                using (var store = RunStore.Open(project))
                {
                    var entries = new ScheduledEntries(project, ids => QueueCommands.StartInBackground(project, ids));
                    try
                    {
                        await new Scheduler(store, entries, TimeProvider.System, new SchedulerLog(output))
                            .RunAsync(process.StopRequested, cancellationToken)
                            .ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // SIGTERM or Ctrl+C (a service manager stopping it): a stop like any other, between fires.
                    }
                }

                File.Delete(process.StopPath);
                output.WriteLine($"{ScheduleJson.Iso(DateTimeOffset.UtcNow)} scheduler {Environment.ProcessId} stopped");
                return 0;
            }
        );
        return command;
    }

    /// <summary>A time in the schedule's own zone, with its offset; "-" for none.</summary>
    private static string FormatTime(DateTimeOffset? time, Schedule schedule) =>
        time is { } t
            ? TimeZoneInfo
                .ConvertTime(t, CronTimes.Zone(schedule.TimeZone))
                .ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)
            : "-";

    /// <summary>Whether the process runs (a zombie, ended but not yet reaped, does not).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The scheduler's log lines (its output goes to <c>.exp/tmp/scheduler/scheduler.log</c>).</summary>
    private sealed class SchedulerLog(TextWriter output) : ISchedulerEvents
    {
        public void Fired(Schedule schedule, DateTimeOffset fireTime, string entryId) =>
            Write($"{schedule.Name}: fire {ScheduleJson.Iso(fireTime)} queued {schedule.EntryName(fireTime)} ({entryId})");

        public void Skipped(Schedule schedule, DateTimeOffset fireTime, string reason) =>
            Write($"{schedule.Name}: fire {ScheduleJson.Iso(fireTime)} skipped: {reason}");

        public void Missed(Schedule schedule, int count, DateTimeOffset first, DateTimeOffset last) =>
            Write($"{schedule.Name}: {count} fire(s) from {ScheduleJson.Iso(first)} to {ScheduleJson.Iso(last)} missed");

        public void Failed(string message) => Write("error: " + message.ReplaceLineEndings(" ") + " (trying again)");

        private void Write(string line)
        {
            output.WriteLine($"{ScheduleJson.Iso(DateTimeOffset.UtcNow)} {line}");
            output.Flush();
        }
    }
}
