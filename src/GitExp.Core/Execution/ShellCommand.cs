using System.Diagnostics;
using System.Text;
using GitExp.Core.Processes;

namespace GitExp.Core.Execution;

/// <summary>Runs one stage command through the platform shell, streaming its output live to a writer and a log.</summary>
internal static class ShellCommand
{
    public static async Task<int> RunAsync(
        string command,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        TextWriter output,
        TextWriter log,
        Action<int>? started,
        CancellationToken cancellationToken
    )
    {
        var (shell, flag) = OperatingSystem.IsWindows() ? ("cmd.exe", "/c") : ("/bin/sh", "-c");
        var info = ProcessRunner.CreateStartInfo(shell, [flag, command], workingDirectory, environment);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {shell}");
        started?.Invoke(process.Id);
        var gate = new object();
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, output, log, gate),
            PumpAsync(process.StandardError.BaseStream, output, log, gate)
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
    private static async Task PumpAsync(Stream source, TextWriter output, TextWriter log, object gate)
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
                output.Write(chars, 0, count);
                output.Flush();
                log.Write(chars, 0, count);
                log.Flush();
            }
        }
    }
}
