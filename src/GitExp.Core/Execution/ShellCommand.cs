using System.Diagnostics;
using System.Text;
using GitExp.Core.Processes;

namespace GitExp.Core.Execution;

/// <summary>Runs one stage command through the platform shell, streaming its output live to the run's events and a log.</summary>
internal static class ShellCommand
{
    /// <summary>
    /// The commands a stage runs, one per line of its <c>cmd</c> (a <c>cmd: |</c> block or a list item with
    /// several lines alike), as DVC runs them: each is its own shell, and the first that fails stops the
    /// stage. Blank lines run nothing.
    /// </summary>
    public static IReadOnlyList<string> Lines(IReadOnlyList<string> commands) =>
        commands
            .SelectMany(c => c.Split('\n'))
            .Select(line => line.TrimEnd('\r'))
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .ToList();

    public static async Task<int> RunAsync(
        string command,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        IRunEvents events,
        TextWriter log,
        string? pidFile,
        StageStop? stop,
        CancellationToken cancellationToken
    )
    {
        var (shell, flag) = OperatingSystem.IsWindows() ? ("cmd.exe", "/c") : ("/bin/sh", "-c");
        var info = ProcessRunner.CreateStartInfo(shell, [flag, command], workingDirectory, environment);
        if (stop is not null)
        {
            ProcessTree.LetChildrenBeInterrupted();
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {shell}");
        if (pidFile is not null)
        {
            OrphanProcess.Remember(pidFile, process.Id);
        }

        var sink = new Sink(events, log, process);
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, sink, CommandStream.Stdout),
            PumpAsync(process.StandardError.BaseStream, sink, CommandStream.Stderr)
        );
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process, stop).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await pumps.ConfigureAwait(false);
            if (pidFile is not null)
            {
                // Ended: a later run has nothing to stop, and must never stop a process that reuses the id.
                File.Delete(pidFile);
            }
        }

        sink.ThrowIfLogFailed();
        return process.ExitCode;
    }

    /// <summary>
    /// Stops a cancelled command: at once without a <paramref name="stop"/> (or when it is forced); else SIGINT to its
    /// process tree, as Ctrl-C, and SIGKILL when it has not ended within the grace time or force is asked meanwhile.
    /// </summary>
    private static async Task StopAsync(Process process, StageStop? stop)
    {
        var exited = process.WaitForExitAsync(CancellationToken.None);
        if (stop is null || stop.IsForced || !OperatingSystem.IsLinux())
        {
            Kill(process);
            await exited.ConfigureAwait(false);
            return;
        }

        var tree = ProcessTree.Of(process.Id);
        ProcessTree.Signal(tree, ProcessTree.Sigint);
        using var grace = new CancellationTokenSource(stop.Grace);
        await Task.WhenAny(exited, stop.Forced, Task.Delay(Timeout.Infinite, grace.Token)).ConfigureAwait(false);
        if (!exited.IsCompleted)
        {
            Kill(process);
        }

        await exited.ConfigureAwait(false);
        // What the command started and left running would keep its output pipes open, and the run from ending.
        ProcessTree.Signal(tree, ProcessTree.Sigkill);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    // Bytes, not lines: progress bars that redraw with '\r' show as they happen.
    private static async Task PumpAsync(Stream source, Sink sink, CommandStream stream)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int read;
        while ((read = await source.ReadAsync(bytes).ConfigureAwait(false)) > 0)
        {
            sink.Write(chars.AsSpan(0, decoder.GetChars(bytes, 0, read, chars, 0)), stream);
        }
    }

    /// <summary>
    /// Where both streams go: the run's log holds them together, as they came, and the events hear which wrote
    /// what. When the log cannot be written (a full disk), the stage is stopped rather than left running
    /// unlogged, and its output is still drained: a pump that stopped reading would leave the stage blocked on a
    /// full pipe for ever.
    /// </summary>
    private sealed class Sink(IRunEvents events, TextWriter log, Process process)
    {
        private readonly Lock _gate = new();
        private IOException? _logFailure;

        public void Write(ReadOnlySpan<char> chars, CommandStream stream)
        {
            lock (_gate)
            {
                events.CommandOutput(chars, stream);
                if (_logFailure is not null)
                {
                    return;
                }

                try
                {
                    log.Write(chars);
                    log.Flush();
                }
                catch (IOException e)
                {
                    _logFailure = e;
                    Stop();
                }
            }
        }

        public void ThrowIfLogFailed()
        {
            if (_logFailure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_logFailure);
            }
        }

        private void Stop()
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It has already exited.
            }
        }
    }
}
