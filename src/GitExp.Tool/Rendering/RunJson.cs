using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Serialization;
using GitExp.Core.Tracking;

namespace GitExp.Tool.Rendering;

/// <summary>
/// A run as JSON, the one format of <c>runs list --json</c>, <c>runs show --json</c> and the UI's API. Written
/// straight to a <see cref="Utf8JsonWriter"/>: a list of thousands of runs needs no tree of nodes first.
/// </summary>
internal static class RunJson
{
    /// <summary>Writes the run as an object; <paramref name="details"/> adds its artifacts, checkpoints and executions.</summary>
    public static void Write(Utf8JsonWriter writer, RunRecord run, bool details = true, Action<Utf8JsonWriter>? more = null)
    {
        writer.WriteStartObject();
        writer.WriteString("id", run.Id);
        writer.WriteString("name", run.ExperimentName);
        writer.WriteString("ref", run.ExperimentRef);
        writer.WriteString("commit", run.Commit);
        writer.WriteString("baseline", run.Baseline);
        writer.WriteString("branch", run.Branch);
        writer.WriteBoolean("dirty", run.Dirty);
        writer.WriteString("user", run.GitUser);
        writer.WriteString("command", run.Command);
        writer.WriteString("host", run.Host);
        writer.WriteString("kind", run.Kind);
        writer.WriteString("status", run.Status.ToString().ToLowerInvariant());
        writer.WriteString("created", run.Created.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("started", run.Started?.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("finished", run.Finished?.ToString("O", CultureInfo.InvariantCulture));
        Number(writer, "exit_code", run.ExitCode);
        writer.WriteString("log", run.LogPath);
        writer.WriteString("title", run.Title);
        writer.WriteString("notes", run.Notes);
        writer.WriteBoolean("bookmarked", run.Bookmarked);
        writer.WriteBoolean("archived", run.Archived);
        writer.WriteBoolean("deleted", run.Deleted);
        writer.WriteString("group", run.Group);
        writer.WriteString("resumed_from", run.ResumedFrom);
        writer.WriteString("schedule", run.Schedule);
        writer.WriteStartArray("tags");
        foreach (var tag in run.Tags)
        {
            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("params");
        foreach (var (key, value) in run.Params)
        {
            writer.WritePropertyName(key);
            Value(writer, value);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("metrics");
        foreach (var (key, metric) in run.Metrics)
        {
            writer.WriteStartObject(key);
            writer.WritePropertyName("last");
            Value(writer, metric.Last);
            Number(writer, "min", metric.Min);
            Number(writer, "max", metric.Max);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        if (details)
        {
            writer.WriteStartArray("artifacts");
            foreach (var artifact in run.Artifacts)
            {
                writer.WriteStartObject();
                writer.WriteString("path", artifact.Path);
                writer.WriteString("sha256", artifact.Sha256);
                writer.WriteNumber("size", artifact.Size);
                writer.WriteString("kind", artifact.Kind);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("checkpoints");
            foreach (var (commit, step) in run.Checkpoints)
            {
                writer.WriteStartObject();
                writer.WriteString("commit", commit);
                writer.WriteNumber("step", step);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("executions");
            foreach (var execution in run.Executions)
            {
                Write(writer, execution);
            }

            writer.WriteEndArray();
        }

        more?.Invoke(writer);
        writer.WriteEndObject();
    }

    /// <summary>Writes a stage execution as an object; one still running has no finish time or duration (null).</summary>
    public static void Write(Utf8JsonWriter writer, ExecutionRecord execution)
    {
        writer.WriteStartObject();
        writer.WriteString("stage", execution.Stage);
        writer.WriteString("status", execution.Status);
        writer.WriteString("started", execution.Started.ToString("O", CultureInfo.InvariantCulture));
        if (execution.Status == ExecutionRecord.Running)
        {
            writer.WriteNull("finished");
            writer.WriteNull("duration_ms");
        }
        else
        {
            writer.WriteString("finished", execution.Finished.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteNumber("duration_ms", execution.DurationMs);
        }

        writer.WriteBoolean("cache_hit", execution.CacheHit);
        Number(writer, "exit_code", execution.ExitCode);
        writer.WriteEndObject();
    }

    /// <summary>The run as a node, for documents that add to it (<c>runs show --json</c>, the run page's API).</summary>
    public static JsonObject Node(RunRecord run, bool details = true) => Parse(w => Write(w, run, details));

    public static JsonObject Node(ExecutionRecord execution) => Parse(w => Write(w, execution));

    private static JsonObject Parse(Action<Utf8JsonWriter> write) => JsonNode.Parse(CompactJson.ToBytes(write))!.AsObject();

    private static void Value(Utf8JsonWriter writer, JsonNode? value) => CompactJson.WriteValue(writer, value);

    /// <summary>A number property, or null (also for a number beyond double's range, which JSON cannot hold as a double).</summary>
    public static void Number(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number && double.IsFinite(number))
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void Number(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
