using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitExp.Bench;

/// <summary>The one summary line run.sh greps for, and the verdict as an exit code.</summary>
internal static class Summary
{
    /// <summary>Prints <c>name: ours X ms, baseline Y ms, ratio R (target ...) PASS|FAIL</c>; returns 0 on PASS.</summary>
    public static int Report(string name, double oursMs, double baselineMs, double ratio, string target, bool pass)
    {
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: ours {oursMs:F0} ms, baseline {baselineMs:F0} ms, ratio {ratio:F2} (target {target}) {(pass ? "PASS" : "FAIL")}"
            )
        );
        return pass ? 0 : 1;
    }
}

/// <summary>Best-of-N wall-clock timing.</summary>
internal static class Timing
{
    public static double BestMs(int runs, Action action)
    {
        var best = double.MaxValue;
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    /// <summary>The 1-minute load average, from /proc/loadavg ("?" elsewhere).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}

/// <summary>Best wall time and best CPU time (user + sys of the child processes and theirs) over the runs.</summary>
internal sealed class Measure
{
    public double BestMs { get; private set; } = double.MaxValue;

    public double BestCpuMs { get; private set; } = double.MaxValue;

    public void Time(Action action)
    {
        var cpu = ChildrenCpuMs();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        action();
        BestMs = Math.Min(BestMs, clock.Elapsed.TotalMilliseconds);
        BestCpuMs = Math.Min(BestCpuMs, ChildrenCpuMs() - cpu);
    }

    // getrusage(RUSAGE_CHILDREN): every waited-for descendant's CPU; the machine's other load is not in it.
    private static double ChildrenCpuMs()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var usage = new long[18];
        return getrusage(-1, usage) != 0 ? 0 : ((usage[0] + usage[2]) * 1000.0) + ((usage[1] + usage[3]) / 1000.0);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int getrusage(int who, [System.Runtime.InteropServices.Out] long[] usage);
}

/// <summary>Runs child processes synchronously; benchmarks want plain, blocking calls.</summary>
internal static class Proc
{
    /// <summary>Runs a program to completion; throws with its stderr when it fails.</summary>
    public static string Run(
        string file,
        IEnumerable<string> arguments,
        string directory,
        string? input = null,
        bool discardOutput = false,
        IReadOnlyDictionary<string, string>? environment = null
    )
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout;
        if (discardOutput)
        {
            // Drain to nowhere, as '> /dev/null' would: the bench must not pay for keeping a copy.
            stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => "", TaskScheduler.Default);
        }
        else
        {
            stdout = process.StandardOutput.ReadToEndAsync();
        }

        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result}"
                    + (
                        discardOutput
                            ? ""
                            : "\n--- stdout (last 40 lines):\n" + string.Join('\n', stdout.Result.Split('\n').TakeLast(40))
                    )
            );
        }

        return stdout.Result;
    }

    public static string Git(string directory, params string[] arguments) => Run("git", arguments, directory);

    /// <summary>A repo with a fixed identity and no background work that could disturb timings.</summary>
    public static string InitRepo(string directory)
    {
        Directory.CreateDirectory(directory);
        Git(directory, "init", "-q", "-b", "main");
        Git(directory, "config", "user.name", "bench");
        Git(directory, "config", "user.email", "bench@example.invalid");
        Git(directory, "config", "gc.auto", "0");
        Git(directory, "config", "maintenance.auto", "false");
        return directory;
    }

    public static string TempDir(string name) =>
        Path.Combine(Path.GetTempPath(), $"gitexp-bench-{name}-{Guid.NewGuid().ToString("N")[..8]}");
}

/// <summary>How to start <c>dotnet exp</c>: an installed tool (<c>--tool</c>) or the Release build's dll.</summary>
internal sealed class Tool(string file, IReadOnlyList<string> prefix)
{
    public static Tool FromArgs(string[] args)
    {
        var i = Array.IndexOf(args, "--tool");
        if (i >= 0 && i + 1 < args.Length)
        {
            return new Tool(args[i + 1], []);
        }

        var dll = Path.Combine(RepoRoot(), "src/GitExp.Tool/bin/Release/net10.0/dotnet-exp.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} not found: run 'dotnet build src/GitExp.Tool -c Release' or pass --tool");
        }

        return new Tool("dotnet", [dll]);
    }

    public string Describe => string.Join(' ', new[] { file }.Concat(prefix));

    /// <summary>The program and arguments that run the tool with <paramref name="arguments"/>, for a process the caller manages.</summary>
    public (string File, IEnumerable<string> Arguments) Command(params string[] arguments) => (file, prefix.Concat(arguments));

    public string Run(string directory, bool discardOutput, params string[] arguments) =>
        Proc.Run(file, prefix.Concat(arguments), directory, discardOutput: discardOutput);

    /// <summary>Runs the tool with extra environment variables, its output drained.</summary>
    public string Run(string directory, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Proc.Run(file, prefix.Concat(arguments), directory, discardOutput: true, environment: environment);

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitExp.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}

/// <summary>Tiny <c>--name value</c> option reader; the benchmarks need nothing more.</summary>
internal static class Options
{
    public static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static bool Flag(string[] args, string name) => Array.IndexOf(args, name) >= 0;
}

internal static class Text
{
    public static readonly UTF8Encoding Utf8 = new(false);
}
