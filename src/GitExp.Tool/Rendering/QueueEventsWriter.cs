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
/// <param name="verbosity">
/// Quiet: no lines (failures are still told as errors by the caller). Verbose: each entry's run is also shown
/// on <paramref name="output"/>, every line prefixed with the entry's id, so parallel entries stay apart.
/// </param>
internal sealed class QueueEventsWriter(TextWriter output, string root, int? total = null, Verbosity verbosity = Verbosity.Normal)
    : IQueueEvents
{
    private readonly object _outputGate = new();
    private int _running;
    private int _done;
    private int _failed;
    private readonly ConcurrentDictionary<string, (StreamWriter Log, StreamWriter Stderr)> _logs = new(StringComparer.Ordinal);

    public IExperimentEvents EntryStarted(QueueEntry entry, string logPath, string stderrLogPath)
    {
        lock (_outputGate)
        {
            _running++;
        }

        Say($"[{entry.Id}] {entry.Name}: started (log: {Path.GetRelativePath(root, logPath)})");
        var log = new StreamWriter(logPath, append: true, new UTF8Encoding(false)) { AutoFlush = true };
        log.WriteLine($"# {entry.Name} ({entry.Id}) started {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}");
        // Created even when nothing comes: its absence says the entry ran before stderr was kept apart.
        var stderr = new StreamWriter(stderrLogPath, append: true, new UTF8Encoding(false)) { AutoFlush = true };
        _logs[entry.Id] = (log, stderr);
        return new RunEventsWriter(
            verbosity == Verbosity.Verbose ? new TeeWriter(log, new PrefixedLines(output, $"[{entry.Id}] ", _outputGate)) : log,
            summarize: false
        )
        {
            Stderr = stderr,
        };
    }

    public void EntryFinished(QueueEntry entry, QueueResult result, Experiment? experiment)
    {
        if (_logs.TryRemove(entry.Id, out var logs))
        {
            if (result.Status == QueueStatus.Queued)
            {
                logs.Log.WriteLine($"{result.Message}; the entry stays queued");
            }
            else if (result.Status != QueueStatus.Success)
            {
                logs.Log.WriteLine("error: " + result.Message);
            }

            logs.Log.Dispose();
            logs.Stderr.Dispose();
        }

        lock (_outputGate)
        {
            _running--;
            if (result.Status == QueueStatus.Queued)
            {
                Say($"[{entry.Id}] {entry.Name}: {result.Message}; it stays queued" + Progress());
                return;
            }

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
        if (verbosity == Verbosity.Quiet)
        {
            return;
        }

        lock (_outputGate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Writes what it is given to both writers: an entry's log and, with -v, the console.</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }
    }

    /// <summary>Whole lines, each prefixed, written under a lock shared with the other entries' lines.</summary>
    private sealed class PrefixedLines(TextWriter output, string prefix, object gate) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => output.Encoding;

        public override void Write(char value)
        {
            if (value == '\r')
            {
                return;
            }

            if (value != '\n')
            {
                _line.Append(value);
                return;
            }

            lock (gate)
            {
                output.WriteLine(prefix + _line);
                output.Flush();
            }

            _line.Clear();
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }
    }
}
