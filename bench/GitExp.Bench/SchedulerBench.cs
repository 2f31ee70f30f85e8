using System.Globalization;
using GitExp.Core.Project;
using GitExp.Core.Schedules;

namespace GitExp.Bench;

/// <summary>
/// The scheduler's CPU use while it waits: a scheduler over 100 schedules (none due during the measurement) and one
/// over none, started together from the CLI in two repositories, their CPU time (utime + stime from
/// <c>/proc/&lt;pid&gt;/stat</c>) over the same window.
/// </summary>
internal static class SchedulerBench
{
    /// <summary>Issue 17: less than 1% of one core.</summary>
    private const double TargetShareOfCore = 0.01;

    public static int Idle(string[] args)
    {
        var count = Options.Int(args, "--schedules", 100);
        var seconds = Options.Flag(args, "--minute") ? 60 : Options.Int(args, "--seconds", 25);
        var tool = Tool.FromArgs(args);
        var busy = Proc.TempDir("scheduler-idle");
        var empty = Proc.TempDir("scheduler-idle-empty");
        try
        {
            Console.WriteLine(
                $"scheduler-idle: {count} schedules in {busy}, none in {empty}; {seconds} s; tool: {tool.Describe}"
            );
            CreateProject(tool, busy);
            CreateProject(tool, empty);
            AddSchedules(busy, count).GetAwaiter().GetResult();
            tool.Run(busy, discardOutput: true, "scheduler", "start");
            tool.Run(empty, discardOutput: true, "scheduler", "start");
            var busyPid = SchedulerPid(busy);
            var emptyPid = SchedulerPid(empty);
            // Start-up (JIT, opening the store) is not idling.
            Thread.Sleep(3000);
            var busyBefore = CpuMs(busyPid);
            var emptyBefore = CpuMs(emptyPid);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            var oursMs = CpuMs(busyPid) - busyBefore;
            var baselineMs = CpuMs(emptyPid) - emptyBefore;
            var share = oursMs / (seconds * 1000.0);
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"scheduler-idle: {count} schedules used {oursMs:F0} ms of CPU in {seconds} s ({share:P2} of a core); none: {baselineMs:F0} ms; load average {Timing.LoadAverage()}"
                )
            );
            return Summary.Report(
                "scheduler-idle",
                oursMs,
                baselineMs,
                oursMs / Math.Max(baselineMs, 1),
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"ours < {TargetShareOfCore:P0} of a core = {TargetShareOfCore * seconds * 1000:F0} ms of CPU in {seconds} s; baseline is a scheduler of no schedule"
                ),
                share < TargetShareOfCore
            );
        }
        finally
        {
            foreach (var repo in new[] { busy, empty })
            {
                Stop(tool, repo);
                if (!Options.Flag(args, "--keep"))
                {
                    try
                    {
                        Directory.Delete(repo, recursive: true);
                    }
                    catch (IOException) { }
                }
            }
        }
    }

    private static void CreateProject(Tool tool, string repo)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(Path.Combine(repo, "params.yaml"), "lr: 0.1\n");
        File.WriteAllText(Path.Combine(repo, "exp.yaml"), "stages:\n  train:\n    cmd: echo trained\n    params: [lr]\n");
        tool.Run(repo, discardOutput: true, "init");
        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "init");
    }

    /// <summary>Schedules that do not fire during the bench (once a year, 1 January), in a few time zones.</summary>
    private static async Task AddSchedules(string repo, int count)
    {
        var project = await ExpProject.OpenAsync(repo);
        var book = new ScheduleBook(project, TimeProvider.System);
        string[] zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
        for (var i = 0; i < count; i++)
        {
            await book.AddAsync(
                new ScheduleRequest
                {
                    Name = "yearly-" + i.ToString("D3", CultureInfo.InvariantCulture),
                    Cron = string.Create(CultureInfo.InvariantCulture, $"{i % 60} {i % 24} 1 1 *"),
                    TimeZone = zones[i % zones.Length],
                    SetParams = [string.Create(CultureInfo.InvariantCulture, $"lr={i}")],
                }
            );
        }
    }

    private static int SchedulerPid(string repo)
    {
        var text = File.ReadAllText(Path.Combine(repo, ".exp", "tmp", "scheduler", "scheduler.pid"));
        return int.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>The process's user + system CPU time so far, in ms (fields 14 and 15 of /proc/pid/stat, in clock ticks).</summary>
    private static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000.0 / ClockTicks.Value;
    }

    private static readonly Lazy<double> ClockTicks = new(() =>
        double.Parse(Proc.Run("getconf", ["CLK_TCK"], "/").Trim(), CultureInfo.InvariantCulture)
    );

    private static void Stop(Tool tool, string repo)
    {
        try
        {
            tool.Run(repo, discardOutput: true, "scheduler", "stop");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("scheduler-idle: could not stop the scheduler: " + e.Message);
        }
    }
}
