using System.Diagnostics;
using System.Text;

namespace GitExp.Templates.Tests.Infrastructure;

/// <summary>What one child process left behind: its exit code and both streams.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"{CommandLine}\nexit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs dotnet and git as child processes with an environment that the machine's settings cannot change.</summary>
public static class ProcessRunner
{
    /// <summary>Runs a program; a hang fails the test after <paramref name="timeout"/> (default 5 minutes: builds are slow).</summary>
    public static async Task<ProcessResult> RunAsync(
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        string fileName,
        IEnumerable<string> args,
        TimeSpan? timeout = null
    )
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.Environment.Remove("GIT_DIR");
        info.Environment.Remove("GIT_WORK_TREE");
        info.Environment.Remove("GIT_INDEX_FILE");
        var commandLine = $"{fileName} {string.Join(' ', info.ArgumentList)}";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{commandLine}' did not finish within {limit.TotalSeconds} s and was killed");
        }

        return new ProcessResult(commandLine, process.ExitCode, await stdout, await stderr);
    }
}
