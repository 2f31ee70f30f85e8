using System.Text.Json;
using GitExp.Core.Schedules;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>The store's schedules and their fires (schema version 7, decision 45).</summary>
public sealed partial class RunStore
{
    /// <summary>Adds a schedule; a name in use is a conflict naming it.</summary>
    public void AddSchedule(Schedule schedule)
    {
        try
        {
            Execute(
                """
                INSERT INTO schedules(name, cron, time_zone, start_at, end_at, max_concurrent, catch_up, branch, rev_commit,
                    set_params, targets, grp, enabled, created, checked_until, command)
                VALUES($name, $cron, $tz, $start, $end, $max, $catch_up, $branch, $commit, $params, $targets, $grp, $enabled,
                    $created, $checked, $command)
                """,
                ("$name", schedule.Name),
                ("$cron", schedule.Cron),
                ("$tz", schedule.TimeZone),
                ("$start", Time(schedule.Start)),
                ("$end", Time(schedule.End)),
                ("$max", schedule.MaxConcurrent),
                ("$catch_up", schedule.CatchUp.ToString().ToLowerInvariant()),
                ("$branch", schedule.Branch),
                ("$commit", schedule.Commit),
                ("$params", JsonSerializer.Serialize(schedule.SetParams)),
                ("$targets", JsonSerializer.Serialize(schedule.Targets)),
                ("$grp", schedule.Group),
                ("$enabled", schedule.Enabled ? 1 : 0),
                ("$created", Time(schedule.Created)),
                ("$checked", Time(schedule.CheckedUntil)),
                ("$command", schedule.CommandLine)
            );
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the name is taken
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"schedule '{schedule.Name}' already exists (see 'dotnet exp schedule list'; remove it first to replace it)"
            );
        }
    }

    /// <summary>Every schedule, by name.</summary>
    public IReadOnlyList<Schedule> Schedules() => LoadSchedules("ORDER BY name");

    /// <summary>The schedule of this name, or null.</summary>
    public Schedule? FindSchedule(string name) => LoadSchedules("WHERE name = $name", ("$name", name)).FirstOrDefault();

    /// <summary>
    /// Enables or disables a schedule; enabling moves its checked time to <paramref name="now"/>, so what fell due
    /// while it was disabled is not caught up. False when no schedule has the name.
    /// </summary>
    public bool SetScheduleEnabled(string name, bool enabled, DateTimeOffset now)
    {
        using var command = Command(
            enabled
                ? "UPDATE schedules SET enabled = 1, checked_until = MAX(checked_until, $now) WHERE name = $name AND enabled = 0"
                : "UPDATE schedules SET enabled = 0 WHERE name = $name",
            ("$name", name),
            ("$now", Time(now))
        );
        return command.ExecuteNonQuery() > 0 || FindSchedule(name) is not null;
    }

    /// <summary>Removes a schedule and its fires (its runs stay, still naming it); false when none has the name.</summary>
    public bool RemoveSchedule(string name)
    {
        using var transaction = _connection.BeginTransaction();
        Execute("DELETE FROM schedule_fires WHERE schedule = $name", ("$name", name));
        using var command = Command("DELETE FROM schedules WHERE name = $name", ("$name", name));
        var removed = command.ExecuteNonQuery() > 0;
        transaction.Commit();
        return removed;
    }

    /// <summary>Moves the time up to which a schedule's fires are handled forward (never back).</summary>
    public void SetCheckedUntil(string name, DateTimeOffset time) =>
        Execute(
            "UPDATE schedules SET checked_until = $time WHERE name = $name AND checked_until < $time",
            ("$name", name),
            ("$time", Time(time))
        );

    /// <summary>
    /// Records a fire unless one is recorded for the same schedule and time already: the one guard against firing
    /// twice. Returns the fire as the store holds it, and whether this call recorded it.
    /// </summary>
    public (ScheduleFire Fire, bool Recorded) RecordFire(ScheduleFire fire)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        var existing = LoadFires(
                "WHERE schedule = $schedule AND fire_time = $time",
                ("$schedule", fire.Schedule),
                ("$time", Time(fire.FireTime))
            )
            .FirstOrDefault();
        if (existing is not null)
        {
            return (existing, false);
        }

        Execute(
            "INSERT INTO schedule_fires VALUES($schedule, $time, $status, $run, $reason, $recorded)",
            ("$schedule", fire.Schedule),
            ("$time", Time(fire.FireTime)),
            ("$status", fire.Status.ToString().ToLowerInvariant()),
            ("$run", fire.RunId),
            ("$reason", fire.Reason),
            ("$recorded", Time(fire.Recorded))
        );
        transaction.Commit();
        return (fire, true);
    }

    /// <summary>Sets how a recorded fire ended up (its entry queued, or skipped).</summary>
    public void UpdateFire(string schedule, DateTimeOffset fireTime, FireStatus status, string? runId, string? reason) =>
        Execute(
            "UPDATE schedule_fires SET status = $status, run_id = $run, reason = $reason WHERE schedule = $schedule AND fire_time = $time",
            ("$schedule", schedule),
            ("$time", Time(fireTime)),
            ("$status", status.ToString().ToLowerInvariant()),
            ("$run", runId),
            ("$reason", reason)
        );

    /// <summary>A schedule's fires, newest first (at most <paramref name="limit"/>).</summary>
    public IReadOnlyList<ScheduleFire> Fires(string schedule, int limit = int.MaxValue) =>
        LoadFires("WHERE schedule = $schedule ORDER BY fire_time DESC LIMIT $limit", ("$schedule", schedule), ("$limit", limit));

    /// <summary>Every schedule's fires of one status, oldest first.</summary>
    public IReadOnlyList<ScheduleFire> FiresWithStatus(FireStatus status) =>
        LoadFires("WHERE status = $status ORDER BY fire_time", ("$status", status.ToString().ToLowerInvariant()));

    /// <summary>Of these runs, those a schedule queued, with the schedule's name.</summary>
    public IReadOnlyDictionary<string, string> SchedulesOfRuns(IReadOnlyCollection<string> ids)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return found;
        }

        using var query = Command(
            "SELECT id, schedule FROM runs WHERE id IN (SELECT value FROM json_each($ids)) AND schedule IS NOT NULL",
            ("$ids", JsonList(ids.ToList()))
        );
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            found[reader.GetString(0)] = reader.GetString(1);
        }

        return found;
    }

    private List<Schedule> LoadSchedules(string where, params (string Name, object? Value)[] parameters)
    {
        using var query = Command(
            $"""
            SELECT name, cron, time_zone, start_at, end_at, max_concurrent, catch_up, branch, rev_commit, set_params, targets,
                grp, enabled, created, checked_until, command
            FROM schedules {where}
            """,
            parameters
        );
        using var r = query.ExecuteReader();
        var schedules = new List<Schedule>();
        while (r.Read())
        {
            string? Text(int column) => r.IsDBNull(column) ? null : r.GetString(column);
            schedules.Add(
                new Schedule
                {
                    Name = r.GetString(0),
                    Cron = r.GetString(1),
                    TimeZone = r.GetString(2),
                    Start = Text(3) is { } start ? ParseTime(start) : null,
                    End = Text(4) is { } end ? ParseTime(end) : null,
                    MaxConcurrent = r.IsDBNull(5) ? null : r.GetInt32(5),
                    CatchUp = Enum.Parse<CatchUp>(r.GetString(6), ignoreCase: true),
                    Branch = Text(7),
                    Commit = Text(8),
                    SetParams = JsonSerializer.Deserialize<List<string>>(r.GetString(9)) ?? [],
                    Targets = JsonSerializer.Deserialize<List<string>>(r.GetString(10)) ?? [],
                    Group = Text(11),
                    Enabled = r.GetInt32(12) != 0,
                    Created = ParseTime(r.GetString(13)),
                    CheckedUntil = ParseTime(r.GetString(14)),
                    CommandLine = r.GetString(15),
                }
            );
        }

        return schedules;
    }

    private List<ScheduleFire> LoadFires(string where, params (string Name, object? Value)[] parameters)
    {
        using var query = Command(
            $"SELECT schedule, fire_time, status, run_id, reason, recorded FROM schedule_fires {where}",
            parameters
        );
        using var r = query.ExecuteReader();
        var fires = new List<ScheduleFire>();
        while (r.Read())
        {
            fires.Add(
                new ScheduleFire(
                    r.GetString(0),
                    ParseTime(r.GetString(1)),
                    Enum.Parse<FireStatus>(r.GetString(2), ignoreCase: true),
                    r.IsDBNull(3) ? null : r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4),
                    ParseTime(r.GetString(5))
                )
            );
        }

        return fires;
    }
}
