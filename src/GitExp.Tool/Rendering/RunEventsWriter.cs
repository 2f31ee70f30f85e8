using System.Globalization;
using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;

namespace GitExp.Tool.Rendering;

/// <summary>Renders a run's events as the lines users read: on the terminal, or in a queued run's log.</summary>
/// <param name="summarize">Follow a recorded experiment with where it is and what to do next (a workspace run).</param>
/// <param name="verbosity">Quiet shows nothing but errors (which end the command); verbose lists every checkpoint.</param>
/// <param name="live">
/// The output is a terminal: at normal verbosity the running stage with its elapsed time and the latest checkpoint
/// are one line that updates in place, below the stage's own output. Otherwise (redirected) the checkpoints of a
/// stage are told once, when it ends.
/// </param>
internal sealed class RunEventsWriter(TextWriter output, bool summarize, Verbosity verbosity, bool live) : IExperimentEvents
{
    private const string ClearLine = "\r\u001b[2K";

    /// <summary>The latest checkpoint on a terminal, part of the last line while the stage writes above it.</summary>
    private string? _status;

    /// <summary>Hashing or caching under way on a terminal: shown on the last line instead of the running stage.</summary>
    private string? _progress;

    /// <summary>The stage running on a terminal, and since when: the other part of the last line.</summary>
    private (string Address, DateTimeOffset Started)? _running;
    private Timer? _clock;
    private bool _statusShown;
    private bool _atLineStart = true;

    /// <summary>Checkpoints recorded and not yet told (redirected output at normal verbosity).</summary>
    private (string Name, int Step, string Commit, int Count)? _untold;

    private readonly object _gate = new();

    /// <summary>Every event as it comes, one line per checkpoint: a queued run's log.</summary>
    public RunEventsWriter(TextWriter output, bool summarize)
        : this(output, summarize, Verbosity.Verbose, live: false) { }

    /// <summary>Where what the commands write to stderr is kept besides (a queued run's stderr log).</summary>
    public TextWriter? Stderr { get; init; }

    private bool Quiet => verbosity == Verbosity.Quiet;

    public void StageSkipped(Stage stage, StageAction action) =>
        Line(
            action switch
            {
                StageAction.Frozen => $"Stage '{stage.Address}' is frozen, not running it.",
                StageAction.UpstreamFailed => $"Stage '{stage.Address}' not run: a stage it depends on failed.",
                _ => $"Stage '{stage.Address}' didn't change, skipping.",
            }
        );

    public void StageRestoredFromRunCache(Stage stage) =>
        Line($"Stage '{stage.Address}' ran before with these inputs: restoring its outs from the run-cache.");

    public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands)
    {
        // What a dry run was asked for: shown even when quiet.
        Write($"Would run stage '{stage.Address}' ({string.Join("; ", reasons)}):\n", always: true);
        foreach (var command in commands)
        {
            Write("> " + command + "\n", always: true);
        }
    }

    public void StageStarted(Stage stage)
    {
        Line($"Running stage '{stage.Address}':");
        if (live && verbosity == Verbosity.Normal)
        {
            lock (_gate)
            {
                _running = (stage.Address, DateTimeOffset.UtcNow);
                _clock?.Dispose();
                _clock = new Timer(_ => Redraw(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
        }
    }

    public void CommandStarted(Stage stage, string command) => Line("> " + command);

    public void CommandOutput(ReadOnlySpan<char> text, CommandStream stream)
    {
        if (stream == CommandStream.Stderr && Stderr is not null)
        {
            lock (_gate)
            {
                Stderr.Write(text);
            }
        }

        if (Quiet)
        {
            return;
        }

        Write(text.ToString(), always: false);
        output.Flush();
    }

    public void StageFinished(StageExecution execution)
    {
        // A failure is told by the error that ends the command; the rest said what they did as they went.
        lock (_gate)
        {
            _clock?.Dispose();
            _clock = null;
            _running = null;
            _progress = null;
        }

        TellCheckpoints();
        if (execution.Status == "ran")
        {
            Line($"Stage '{execution.Stage.Address}' ran in {Elapsed(execution.Duration)}.");
        }
    }

    /// <summary>"4.2 s", "3 min 07 s", "2 h 05 min".</summary>
    internal static string Elapsed(TimeSpan duration) =>
        duration.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours} h {duration.Minutes:00} min")
        : duration.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes} min {duration.Seconds:00} s")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s");

    public void Warning(string message) => Line("warning: " + message);

    /// <summary>
    /// On a terminal at normal verbosity, the last line while it lasts, gone when it ends; with -v, one line with the
    /// totals when it ends (terminal or not); otherwise nothing, so redirected output stays as it was.
    /// </summary>
    public void Progress(FileProgressReport report)
    {
        switch (verbosity)
        {
            case Verbosity.Quiet:
                return;
            case Verbosity.Verbose:
                if (report.Finished)
                {
                    Line(Totals(report));
                }

                return;
        }

        if (!live)
        {
            return;
        }

        lock (_gate)
        {
            _progress = report.Finished ? null : Describe(report);
            Redraw();
        }
    }

    /// <summary>
    /// "Caching outs of 'train': 1.2 GiB of 3.4 GiB, 812 of 10,000 files"; a transfer: "Pushing to 'storage': 1.2 GiB
    /// of 3.4 GiB, 812 of 10,000 files, 95.0 MiB/s, 40 already there".
    /// </summary>
    internal static string Describe(FileProgressReport report) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Doing(report.Work)} '{report.Subject}': {Bytes(report.BytesDone)} of {Bytes(report.BytesTotal)}, {report.FilesDone:N0} of {Files(report.FilesTotal)}{TransferTail(report)}"
        );

    /// <summary>"Cached outs of 'train': 3.4 GiB, 10,000 files in 2.1 s."</summary>
    internal static string Totals(FileProgressReport report) =>
        $"{Done(report.Work)} '{report.Subject}': {Bytes(report.BytesTotal)}, {Files(report.FilesTotal)} in {Elapsed(report.Elapsed)}{TransferTail(report)}.";

    private static string Doing(FileWork work) =>
        work switch
        {
            FileWork.Caching => "Caching outs of",
            FileWork.Uploading => "Pushing to",
            FileWork.Downloading => "Pulling from",
            _ => "Hashing files of",
        };

    private static string Done(FileWork work) =>
        work switch
        {
            FileWork.Caching => "Cached outs of",
            FileWork.Uploading => "Pushed to",
            FileWork.Downloading => "Pulled from",
            _ => "Hashed files of",
        };

    private static string TransferTail(FileProgressReport report) =>
        report.Work is FileWork.Uploading or FileWork.Downloading
            ? $", {Bytes((long)report.Rate)}/s{(report.FilesSkipped > 0 ? string.Create(CultureInfo.InvariantCulture, $", {report.FilesSkipped:N0} already there") : "")}"
            : "";

    private static string Files(int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? "file" : "files")}");

    /// <summary>"512 B", "1.5 KiB", "1.2 GiB".</summary>
    internal static string Bytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        var value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    public void ResumingFromCheckpoint(string experimentName, string checkpoint, int step) =>
        Line($"Resuming from checkpoint {checkpoint[..7]} (step {step}) as experiment '{experimentName}'.");

    public void CheckpointRecorded(string experimentName, int step, string commit)
    {
        var line = $"Checkpoint {step} of '{experimentName}' recorded ({commit[..7]}).";
        switch (verbosity)
        {
            case Verbosity.Quiet:
                return;
            case Verbosity.Verbose:
                Line(line);
                return;
        }

        lock (_gate)
        {
            if (live)
            {
                _status = line;
                Redraw();
                return;
            }

            _untold = (experimentName, step, commit, (_untold?.Count ?? 0) + 1);
        }
    }

    public void ExperimentRecorded(Experiment experiment)
    {
        TellCheckpoints();
        if (!summarize || Quiet)
        {
            return;
        }

        Line("");
        Line($"Ran experiment '{experiment.Name}' ({experiment.Commit[..7]}), ref {experiment.Ref}.");
        Line($"  Compare:  dotnet exp show   |   Keep it:  dotnet exp branch {experiment.Name} <branch>");
    }

    /// <summary>Ends the terminal's checkpoint line, or tells the checkpoints held back, in one line.</summary>
    private void TellCheckpoints()
    {
        lock (_gate)
        {
            if (_status is not null)
            {
                // The last checkpoint stays on the terminal as a line of its own.
                output.WriteLine(
                    (
                        _statusShown ? ClearLine
                        : _atLineStart ? ""
                        : "\n"
                    ) + _status
                );
                _statusShown = false;
                _atLineStart = true;
                _status = null;
            }
            else if (_statusShown)
            {
                output.Write(ClearLine);
                _statusShown = false;
            }

            if (_untold is { } untold)
            {
                _untold = null;
                var count = untold.Count == 1 ? "1 checkpoint" : $"{untold.Count} checkpoints";
                output.WriteLine(
                    $"Checkpoint {untold.Step} of '{untold.Name}' recorded ({untold.Commit[..7]}); {count} this run (-v lists each)."
                );
            }
        }
    }

    private void Line(string line)
    {
        if (!Quiet)
        {
            Write(line + "\n", always: false);
        }
    }

    /// <summary>Writes above the checkpoint line of a terminal, which comes back once the text ends its line.</summary>
    private void Write(string text, bool always)
    {
        if (text.Length == 0 || (Quiet && !always))
        {
            return;
        }

        lock (_gate)
        {
            if (_statusShown)
            {
                output.Write(ClearLine);
                _statusShown = false;
            }

            output.Write(text);
            _atLineStart = text[^1] == '\n';
            Redraw();
        }
    }

    /// <summary>Shows the last line again (the stage's elapsed time changes) when nothing is half-written above it.</summary>
    private void Redraw()
    {
        lock (_gate)
        {
            string?[] parts =
            [
                _progress
                    ?? (
                        _running is { } running
                            ? $"Stage '{running.Address}' running for {Elapsed(DateTimeOffset.UtcNow - running.Started)}"
                            : null
                    ),
                _status,
            ];
            var line = string.Join(" · ", parts.Where(p => p is not null));
            if (!_atLineStart)
            {
                return;
            }

            if (line.Length == 0)
            {
                // What the line showed has ended (hashing done): nothing is left on it.
                if (_statusShown)
                {
                    output.Write(ClearLine);
                    output.Flush();
                    _statusShown = false;
                }

                return;
            }

            // A line that wrapped could not be rewritten in place: it is kept within the terminal.
            var width = TableWriter.Width(null, output) ?? 80;
            if (line.Length >= width)
            {
                line = line[..Math.Max(width - 2, 1)] + "…";
            }

            output.Write((_statusShown ? ClearLine : "") + line);
            _statusShown = true;
            output.Flush();
        }
    }
}
