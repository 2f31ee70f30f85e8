using System.Diagnostics;
using System.Text;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>What one run of the tool left behind: its exit code and both streams.</summary>
public sealed record ToolResult(int ExitCode, string StdOut, string StdErr)
{
    public IReadOnlyList<string> ErrorLines => StdErr.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs the real <c>dotnet-exp</c> as a child process with a deterministic environment.</summary>
public static class ExpTool
{
    /// <summary>Fixed commit dates make commit ids and the Created column the same on every run.</summary>
    public const string FixedDate = "2025-01-02T03:04:05Z";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The environment every child process gets (tool and git alike).</summary>
    public static void ApplyEnvironment(ProcessStartInfo info)
    {
        info.Environment["TZ"] = "UTC";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["GIT_AUTHOR_DATE"] = FixedDate;
        info.Environment["GIT_COMMITTER_DATE"] = FixedDate;
        // The machine's own git configuration (default branch, autocrlf, hooks) must not change results.
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        // Keeps the "outside a Git repository" case true even if the temp folder sits inside some repository.
        info.Environment["GIT_CEILING_DIRECTORIES"] = Path.GetTempPath().TrimEnd('/');
        info.Environment.Remove("GIT_DIR");
        info.Environment.Remove("GIT_WORK_TREE");
        info.Environment.Remove("GIT_INDEX_FILE");
    }

    /// <summary>Runs <c>dotnet exp args...</c> in <paramref name="workingDirectory"/>; a hang fails the test.</summary>
    public static Task<ToolResult> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync(string, string[])"/>, with extra environment variables for the tool.</summary>
    public static Task<ToolResult> RunAsync(
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    )
    {
        var installed = Environment.GetEnvironmentVariable("GITEXP_TOOL");
        ProcessStartInfo info;
        if (!string.IsNullOrEmpty(installed))
        {
            info = new ProcessStartInfo(installed);
        }
        else
        {
            info = new ProcessStartInfo("dotnet");
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dotnet-exp.dll"));
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return RunProcessAsync(info);
    }

    /// <summary>Runs any program with the shared environment, collecting both streams.</summary>
    public static async Task<ToolResult> RunProcessAsync(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        ApplyEnvironment(info);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail(
                $"'{info.FileName} {string.Join(' ', info.ArgumentList)}' did not finish within {Timeout.TotalSeconds} s and was killed"
            );
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
