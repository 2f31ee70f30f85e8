using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using GitExp.Core.Experiments;
using GitExp.Core.Queue;

namespace GitExp.Tool.Rendering;

/// <summary>
/// Renders queue workers' events: one line per entry starting and ending on <paramref name="output"/>, and each
/// entry's run in its log file (what 'dotnet exp queue logs' shows).
/// </summary>
/// <param name="total">
/// How many entries this run means to work through (<c>--run-all</c>, <c>--temp --wait</c>): each line of an entry
/// ending then says where the whole stands, as "3 of 10 done, 2 running, 1 failed".
/// </param>
internal sealed class QueueEventsWriter(TextWriter output, string root, int? total = null) : IQueueEvents
{
    private readonly object _outputGate = new();
    private int _running;
    private int _done;
    private int _failed;
    private readonly ConcurrentDictionary<string, StreamWriter> _logs = new(StringComparer.Ordinal);

    public IExperimentEvents EntryStarted(QueueEntry entry, string logPath)
    {
        lock (_outputGate)
        {
            _running++;
        }

        Say($"[{entry.Id}] {entry.Name}: started (log: {Path.GetRelativePath(root, logPath)})");
        var log = new StreamWriter(logPath, append: true, new UTF8Encoding(false)) { AutoFlush = true };
        log.WriteLine($"# {entry.Name} ({entry.Id}) started {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}");
        _logs[entry.Id] = log;
        return new RunEventsWriter(log, summarize: false);
    }

    public void EntryFinished(QueueEntry entry, QueueResult result, Experiment? experiment)
    {
        if (_logs.TryRemove(entry.Id, out var log))
        {
            if (result.Status != QueueStatus.Success)
            {
                log.WriteLine("error: " + result.Message);
            }

            log.Dispose();
        }

        lock (_outputGate)
        {
            _running--;
            _done++;
            _failed += experiment is null ? 1 : 0;
            Say(
                (
                    experiment is not null
                        ? $"[{entry.Id}] {entry.Name}: succeeded ({experiment.Commit[..7]})"
                        : $"[{entry.Id}] {entry.Name}: failed ({result.Message})"
                ) + Progress()
            );
        }
    }

    /// <summary>"; 3 of 10 done, 2 running, 1 failed" while working through a known number of entries.</summary>
    private string Progress() =>
        total is { } count ? $"; {_done} of {Math.Max(count, _done + _running)} done, {_running} running, {_failed} failed" : "";

    private void Say(string line)
    {
        lock (_outputGate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
