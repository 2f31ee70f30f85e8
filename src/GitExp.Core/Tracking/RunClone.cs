using System.Text.Json.Nodes;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Core.Tracking;

/// <summary>
/// Running a recorded run again: its params (as <c>-S</c> values) with some changed, queued or run now.
/// Shared by <c>dotnet exp runs clone</c> and the web UI.
/// </summary>
public static class RunClone
{
    /// <summary>The run's params as assignments, with <paramref name="overrides"/> replacing (or adding to) them.</summary>
    public static IReadOnlyList<ParamAssignment> Assignments(RunRecord run, IReadOnlyList<ParamAssignment> overrides) =>
        run
            .Params.Where(p => !overrides.Any(o => FileKey(o) == p.Key))
            .Select(p => FromJson(p.Key, p.Value))
            .Concat(overrides)
            .ToList();

    /// <summary>A <c>file:key</c> (as the store keys params) and a typed value as an assignment.</summary>
    public static ParamAssignment FromJson(string fileKey, JsonNode? value)
    {
        var colon = fileKey.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == fileKey.Length - 1)
        {
            throw new ExpException(ExitCode.Usage, $"param '{fileKey}': expected file:key");
        }

        // JSON text is valid YAML for every scalar, list and map: the value goes in as it is, never as a sweep.
        var key = fileKey[(colon + 1)..];
        var text = ParamAssignment.ToJsonText(value);
        ParamAssignment.CheckKey(key, $"{key}={text}");
        return new ParamAssignment(fileKey[..colon], key, text);
    }

    /// <summary>The <c>file:key</c> an assignment changes.</summary>
    public static string FileKey(ParamAssignment assignment) =>
        (assignment.File ?? ParamEdits.DefaultParamsFile) + ":" + assignment.Key;

    /// <summary>
    /// Queues one entry and records it in the run store as a queued run with its title and group, so it
    /// shows in the runs list at once and keeps them when a worker runs it; a schedule's fire names its schedule.
    /// </summary>
    public static async Task<QueueEntry> QueueAsync(
        ExpProject project,
        QueueRequest request,
        string? title,
        string? group,
        CancellationToken cancellationToken = default,
        string? schedule = null
    )
    {
        if (request.SetParams.FirstOrDefault(a => a.Sweep is not null) is { } sweep)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{sweep}': a sweep queues several experiments, and this queues one; quote a text value that holds commas"
            );
        }

        var entries = await new ExperimentQueue(project).EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        var entry = entries[0];
        var values = request.SetParams.ToDictionary(FileKey, a => a.ParseValue(), StringComparer.Ordinal);
        using var store = RunStore.Open(project);
        store.Save(
            new RunRecord
            {
                Id = entry.Id,
                ExperimentName = entry.Name,
                Baseline = entry.Baseline,
                Command = request.CommandLine,
                Kind = "queue",
                Status = RunStatus.Queued,
                Created = entry.Created,
                Title = title,
                Group = group,
                Schedule = schedule,
                Params = values,
            }
        );
        return entry;
    }
}
