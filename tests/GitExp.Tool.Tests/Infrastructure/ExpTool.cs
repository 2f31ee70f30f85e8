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
        var info = StartInfo(workingDirectory, args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return RunProcessAsync(info);
    }

    /// <summary>
    /// Runs <c>dotnet exp args...</c> on a pseudo-terminal that reports no size, as <c>script -qec ... /dev/null</c>
    /// gives it; null when <c>script</c> is not installed. Stdout is the terminal's output.
    /// </summary>
    public static Task<ToolResult?> RunOnSizelessTerminalAsync(string workingDirectory, params string[] args) =>
        RunOnTerminalAsync(workingDirectory, null, new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs <c>dotnet exp args...</c> on a pseudo-terminal of <paramref name="size"/> (rows and columns, set with
    /// <c>stty</c>; null: one that reports no size) with extra environment variables; null when <c>script</c> is not
    /// installed. Stdout is the terminal's output (lines end in CR LF).
    /// </summary>
    public static async Task<ToolResult?> RunOnTerminalAsync(
        string workingDirectory,
        (int Rows, int Columns)? size,
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    )
    {
        var script = FindOnPath("script");
        if (script is null)
        {
            return null;
        }

        var tool = StartInfo(workingDirectory, args);
        var commandLine = string.Join(' ', new[] { tool.FileName }.Concat(tool.ArgumentList).Select(ShellQuote));
        if (size is { } s)
        {
            commandLine = $"stty rows {s.Rows} cols {s.Columns} && exec {commandLine}";
        }

        var info = new ProcessStartInfo(script) { WorkingDirectory = workingDirectory };
        foreach (var arg in new[] { "-qec", commandLine, "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("COLUMNS");
        info.Environment.Remove("LINES");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return await RunProcessAsync(info);
    }

    private static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts <c>dotnet exp args...</c> without waiting, for tests that kill it mid-run.</summary>
    public static BackgroundTool Start(string workingDirectory, params string[] args) => new(StartInfo(workingDirectory, args));

    /// <summary>As <see cref="Start(string, string[])"/>, with extra environment variables for the tool.</summary>
    public static BackgroundTool Start(
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    )
    {
        var info = StartInfo(workingDirectory, args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new BackgroundTool(info);
    }

    /// <summary>
    /// As <see cref="Start"/>, as the leader of a new process group (through <c>setsid</c>, which execs in place),
    /// so <see cref="BackgroundTool.KillProcessGroup"/> ends the tool and every stage it started at once.
    /// </summary>
    public static BackgroundTool StartInOwnProcessGroup(string workingDirectory, params string[] args)
    {
        var tool = StartInfo(workingDirectory, args);
        var info = new ProcessStartInfo("setsid") { WorkingDirectory = workingDirectory };
        info.ArgumentList.Add(tool.FileName);
        foreach (var arg in tool.ArgumentList)
        {
            info.ArgumentList.Add(arg);
        }

        return new BackgroundTool(info);
    }

    private static ProcessStartInfo StartInfo(string workingDirectory, string[] args)
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
        // Tables fit $COLUMNS when it is set: a test asks for a width itself, so the shell's own never leaks in.
        info.Environment.Remove("COLUMNS");
        return info;
    }

    /// <summary>Runs any program with the shared environment, collecting both streams.</summary>
    public static async Task<ToolResult> RunProcessAsync(ProcessStartInfo info, TimeSpan? limit = null)
    {
        using var process = StartRedirected(info);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit ?? Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail(
                $"'{info.FileName} {string.Join(' ', info.ArgumentList)}' did not finish within {(limit ?? Timeout).TotalSeconds} s and was killed"
            );
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    internal static Process StartRedirected(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        ApplyEnvironment(info);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        process.StandardInput.Close();
        return process;
    }
}

/// <summary>A run of the tool going on in the background; disposing kills it if it still runs.</summary>
public sealed class BackgroundTool : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    internal BackgroundTool(ProcessStartInfo info)
    {
        _process = ExpTool.StartRedirected(info);
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    /// <summary>SIGKILL, as a crash or the OOM killer would end it: no cleanup code runs.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGKILL to the whole process group this run leads (see <see cref="ExpTool.StartInOwnProcessGroup"/>).</summary>
    public void KillProcessGroup()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", "-" + Id]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end (bounded) and returns what it printed.</summary>
    public async Task<ToolResult> WaitAsync(int seconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"the background run did not finish within {seconds} s and was killed");
        }

        return new ToolResult(_process.ExitCode, await _stdout, await _stderr);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }

        _process.Dispose();
    }
}
