using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core.Schedules;

namespace GitExp.Tool.Rendering;

/// <summary>Schedules and their fires as JSON: what <c>schedule list|show --json</c> print and the web UI reads.</summary>
internal static class ScheduleJson
{
    public static JsonObject Summary(ScheduleSummary summary, DateTimeOffset now)
    {
        var s = summary.Schedule;
        return new JsonObject
        {
            ["name"] = s.Name,
            ["cron"] = s.Cron,
            ["time_zone"] = s.TimeZone,
            ["branch"] = s.Branch,
            ["commit"] = s.Commit,
            ["revision"] = s.Revision,
            ["set_params"] = new JsonArray(s.SetParams.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()),
            ["targets"] = new JsonArray(s.Targets.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()),
            ["group"] = s.Group,
            ["start"] = s.Start is { } start ? Iso(start) : null,
            ["end"] = s.End is { } end ? Iso(end) : null,
            ["max_concurrent"] = s.MaxConcurrent,
            ["catch_up"] = s.CatchUp.ToString().ToLowerInvariant(),
            ["enabled"] = s.Enabled,
            ["state"] = summary.State(now),
            ["next_fire"] = summary.NextFire is { } next ? Iso(next) : null,
            ["last_fire"] = summary.LastFire is { } last ? Fire(new FireWithRun(last, null)) : null,
            ["last_status"] = LastStatus(summary),
        };
    }

    public static JsonObject Fire(FireWithRun fire) =>
        new()
        {
            ["fire_time"] = Iso(fire.Fire.FireTime),
            ["status"] = fire.Fire.Status.ToString().ToLowerInvariant(),
            ["run_id"] = fire.Fire.RunId,
            ["experiment"] = fire.Run?.ExperimentName,
            ["run_status"] = fire.Run?.Status.ToString().ToLowerInvariant(),
            ["reason"] = fire.Fire.Reason,
        };

    /// <summary>The latest fire's outcome: its run's status when it queued one, else how the fire went.</summary>
    public static string LastStatus(ScheduleSummary summary) =>
        summary.LastRunStatus?.ToString().ToLowerInvariant() ?? summary.LastFire?.Status.ToString().ToLowerInvariant() ?? "-";

    /// <summary>Whether the scheduler runs, its process and since when.</summary>
    public static JsonObject Scheduler(SchedulerState state) =>
        new()
        {
            ["running"] = state.Running,
            ["pid"] = state.Pid,
            ["since"] = state.Since is { } since ? Iso(since) : null,
        };

    public static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
