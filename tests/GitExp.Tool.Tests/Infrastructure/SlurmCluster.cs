using System.Diagnostics;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// A one-node Slurm cluster (Debian's slurm-wlm and munge, as root) in a temp folder, brought up once for a test class
/// and shut down after it. The tool and Slurm's commands find it through <c>SLURM_CONF</c>, set in this process so
/// every child inherits it. Installs nothing: <c>build/test.sh</c> installs the packages.
/// </summary>
public sealed class SlurmCluster : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "gitexp-slurm-" + Guid.NewGuid().ToString("N")[..8]);

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Infrastructure", "slurm-cluster.sh");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        var started = await RunAsync("sh", Script, "start", Folder);
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"the test Slurm cluster did not start (build/test.sh installs slurm-wlm and munge): {started}"
            );
        }

        Environment.SetEnvironmentVariable("SLURM_CONF", started.StdOut.Trim());
    }

    public async Task DisposeAsync()
    {
        await RunAsync("sh", Script, "stop", Folder);
        Environment.SetEnvironmentVariable("SLURM_CONF", null);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException) { }
    }

    /// <summary>SIGKILL to slurmctld, as a crash would end it: its state stays in the state folder.</summary>
    public void KillController()
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(Folder, "slurmctld.pid")).Trim());
        QueueProject.Kill(pid);
    }

    /// <summary>Waits until slurmctld has saved its state after the job started (a SIGKILL before would lose the job).</summary>
    public async Task WaitUntilStateSavedAsync(string jobId)
    {
        var job = await RunAsync("scontrol", "-o", "show", "job", jobId);
        var start = job.StdOut.Split(' ').First(w => w.StartsWith("StartTime=", StringComparison.Ordinal))["StartTime=".Length..];
        var started = DateTime.SpecifyKind(
            DateTime.Parse(start, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeKind.Local
        );
        var state = Path.Combine(Folder, "state", "job_state");
        await QueueProject.WaitUntilAsync(
            () => File.GetLastWriteTime(state) > started.AddSeconds(1),
            "slurmctld saved the job's start",
            30
        );
    }

    /// <summary>Starts slurmctld again; it recovers the jobs from its state folder.</summary>
    public async Task StartControllerAsync()
    {
        var started = await RunAsync("sh", Script, "ctld", Folder);
        Assert.True(started.ExitCode == 0, started.ToString());
    }

    /// <summary>Runs one of Slurm's commands (scancel, scontrol, squeue) against this cluster.</summary>
    public static Task<ToolResult> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return ExpTool.RunProcessAsync(info);
    }
}
