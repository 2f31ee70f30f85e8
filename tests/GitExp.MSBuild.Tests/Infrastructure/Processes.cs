using System.Diagnostics;
using System.Text;

namespace GitExp.MSBuild.Tests.Infrastructure;

/// <summary>What one child process left behind: its exit code and both streams.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public string Output => StdOut + StdErr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs child processes (dotnet, git, the packing script) with a deterministic environment.</summary>
public static class Processes
{
    /// <summary>Runs <paramref name="program"/>; a hang past <paramref name="timeoutSeconds"/> kills it and fails the test.</summary>
    public static async Task<ProcessResult> RunAsync(
        string workingDirectory,
        string program,
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        int timeoutSeconds = 180
    )
    {
        var info = new ProcessStartInfo(program)
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

        info.Environment["TZ"] = "UTC";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild nodes outlive a test build.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        // The machine's git configuration must not change results; repositories get their own identity.
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var name in new[] { "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "EXP_ROOT", "EXP_NAME", "EXP_BASELINE" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail(
                $"'{program} {string.Join(' ', info.ArgumentList)}' did not finish within {timeoutSeconds} s and was killed"
            );
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
