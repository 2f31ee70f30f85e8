using System.Diagnostics;
using System.Text;
using GitExp.Core.Processes;

namespace GitExp.Core.Execution;

/// <summary>Runs one stage command through the platform shell, streaming its output live to the run's events and a log.</summary>
internal static class ShellCommand
{
    public static async Task<int> RunAsync(
        string command,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        IRunEvents events,
        TextWriter log,
        string? pidFile,
        CancellationToken cancellationToken
    )
    {
        var (shell, flag) = OperatingSystem.IsWindows() ? ("cmd.exe", "/c") : ("/bin/sh", "-c");
        var info = ProcessRunner.CreateStartInfo(shell, [flag, command], workingDirectory, environment);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {shell}");
        if (pidFile is not null)
        {
            File.WriteAllText(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var gate = new object();
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, events, log, gate),
            PumpAsync(process.StandardError.BaseStream, events, log, gate)
        );
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await pumps.ConfigureAwait(false);
        }

        return process.ExitCode;
    }

    // Bytes, not lines: progress bars that redraw with '\r' show as they happen.
    private static async Task PumpAsync(Stream source, IRunEvents events, TextWriter log, object gate)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int read;
        while ((read = await source.ReadAsync(bytes).ConfigureAwait(false)) > 0)
        {
            var count = decoder.GetChars(bytes, 0, read, chars, 0);
            lock (gate)
            {
                events.CommandOutput(chars.AsSpan(0, count));
                log.Write(chars, 0, count);
                log.Flush();
            }
        }
    }
}
