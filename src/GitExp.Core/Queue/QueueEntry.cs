using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GitExp.Core.Queue;

/// <summary>Where a queue entry stands.</summary>
public enum QueueStatus
{
    Queued,
    Running,
    Failed,
    Success,
}

/// <summary>
/// A queued experiment: a snapshot commit at <c>refs/exps/queue/&lt;id&gt;</c> whose message carries
/// the entry's facts as trailers, so the queue survives any process and travels with the repository.
/// </summary>
public sealed record QueueEntry(
    string Id,
    string Name,
    string Baseline,
    string Commit,
    DateTimeOffset Created,
    IReadOnlyList<string> SetParams,
    IReadOnlyList<string> CopyPaths,
    IReadOnlyList<string> Targets
)
{
    /// <summary>The command line that queued the entry, kept with its run.</summary>
    public string CommandLine { get; init; } = "dotnet exp run --queue";

    /// <summary>The experiment's commit message (<c>-m</c>); null: <c>exp: &lt;name&gt;</c>.</summary>
    public string? Message { get; init; }

    /// <summary>The checkpoint this entry continues from (<c>--rev</c>); null starts fresh (queued runs imply <c>--reset</c>).</summary>
    public string? ResumeFrom { get; init; }

    public const string QueuePrefix = "refs/exps/queue/";
    public const string FailedPrefix = "refs/exps/failed/";

    public string QueueRef => QueuePrefix + Id;

    public string FailedRef => FailedPrefix + Id;

    public string ToCommitMessage()
    {
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"Queued experiment {Name}\n\n");
        message.Append(CultureInfo.InvariantCulture, $"Exp-Id: {Id}\n");
        message.Append(CultureInfo.InvariantCulture, $"Exp-Name: {Name}\n");
        message.Append(CultureInfo.InvariantCulture, $"Exp-Baseline: {Baseline}\n");
        message.Append(CultureInfo.InvariantCulture, $"Exp-Queued-At: {Created.ToUnixTimeMilliseconds()}\n");
        foreach (var value in SetParams)
        {
            message.Append(CultureInfo.InvariantCulture, $"Exp-Set-Param: {value}\n");
        }

        foreach (var value in CopyPaths)
        {
            message.Append(CultureInfo.InvariantCulture, $"Exp-Copy-Path: {value}\n");
        }

        foreach (var value in Targets)
        {
            message.Append(CultureInfo.InvariantCulture, $"Exp-Target: {value}\n");
        }

        if (ResumeFrom is not null)
        {
            message.Append(CultureInfo.InvariantCulture, $"Exp-Resume-From: {ResumeFrom}\n");
        }

        message.Append(CultureInfo.InvariantCulture, $"Exp-Command: {CommandLine.ReplaceLineEndings(" ")}\n");
        if (Message is not null)
        {
            // A JSON string: one line whatever the message holds.
            message.Append(CultureInfo.InvariantCulture, $"Exp-Message: {JsonSerializer.Serialize(Message)}\n");
        }

        return message.ToString();
    }

    /// <summary>Reads an entry back from its commit message; null when the message is not an entry's.</summary>
    public static QueueEntry? FromCommitMessage(string commit, string message)
    {
        var trailers = Trailers(message);
        if (
            !trailers.TryGetValue("Exp-Id", out var id)
            || !trailers.TryGetValue("Exp-Name", out var name)
            || !trailers.TryGetValue("Exp-Baseline", out var baseline)
        )
        {
            return null;
        }

        var queuedAt = trailers.TryGetValue("Exp-Queued-At", out var at) ? long.Parse(at[0], CultureInfo.InvariantCulture) : 0;
        return new QueueEntry(
            id[0],
            name[0],
            baseline[0],
            commit,
            DateTimeOffset.FromUnixTimeMilliseconds(queuedAt),
            trailers.GetValueOrDefault("Exp-Set-Param") ?? [],
            trailers.GetValueOrDefault("Exp-Copy-Path") ?? [],
            trailers.GetValueOrDefault("Exp-Target") ?? []
        )
        {
            ResumeFrom = trailers.TryGetValue("Exp-Resume-From", out var resume) ? resume[0] : null,
            CommandLine = trailers.TryGetValue("Exp-Command", out var command) ? command[0] : "dotnet exp run --queue",
            Message = trailers.TryGetValue("Exp-Message", out var text) ? JsonSerializer.Deserialize<string>(text[0]) : null,
        };
    }

    private static Dictionary<string, List<string>> Trailers(string message)
    {
        var trailers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in message.Split('\n'))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0 || !line.StartsWith("Exp-", StringComparison.Ordinal))
            {
                continue;
            }

            var key = line[..colon];
            if (!trailers.TryGetValue(key, out var values))
            {
                values = [];
                trailers[key] = values;
            }

            values.Add(line[(colon + 2)..].TrimEnd('\r'));
        }

        return trailers;
    }
}

/// <summary>How a finished entry ended, kept in <c>.exp/tmp/queue/&lt;id&gt;.done</c>.</summary>
public sealed record QueueResult(
    string Id,
    string Name,
    QueueStatus Status,
    int? ExitCode,
    string? ExperimentRef,
    string? Message,
    DateTimeOffset Finished
);
