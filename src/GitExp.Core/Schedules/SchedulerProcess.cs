using System.Globalization;
using GitExp.Core.Project;

namespace GitExp.Core.Schedules;

/// <summary>Whether a scheduler runs for the project, and since when.</summary>
public sealed record SchedulerState(bool Running, int? Pid, DateTimeOffset? Since);

/// <summary>
/// The one scheduler process of a project, registered as the queue workers are (decision 9): it holds the lock file
/// <c>.exp/tmp/scheduler/scheduler.lock</c> while it lives, and the OS drops it when it dies (SIGKILL included), so a
/// second scheduler cannot start while one runs and a killed one never blocks the next. Its process id is beside it.
/// </summary>
public sealed class SchedulerProcess(ExpProject project)
{
    public string Directory => Path.Combine(project.TempDirectory, "scheduler");

    public string LockPath => Path.Combine(Directory, "scheduler.lock");

    public string PidPath => Path.Combine(Directory, "scheduler.pid");

    /// <summary>Asks the running scheduler to stop (it looks once a second).</summary>
    public string StopPath => Path.Combine(Directory, "stop");

    public string LogPath => Path.Combine(Directory, "scheduler.log");

    /// <summary>
    /// Registers this process as the project's scheduler; null when another one runs. The caller keeps the lock for
    /// its whole life.
    /// </summary>
    public FileLock? TryRegister(DateTimeOffset now)
    {
        var registration = FileLock.TryAcquire(LockPath);
        if (registration is null)
        {
            return null;
        }

        File.Delete(StopPath);
        var text = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {now:O}\n");
        File.WriteAllText(PidPath + ".tmp", text);
        File.Move(PidPath + ".tmp", PidPath, overwrite: true);
        return registration;
    }

    public SchedulerState State()
    {
        if (!FileLock.IsHeld(LockPath))
        {
            return new SchedulerState(false, null, null);
        }

        try
        {
            var parts = File.ReadAllText(PidPath).Split(' ', StringSplitOptions.TrimEntries);
            return new SchedulerState(
                true,
                int.Parse(parts[0], CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(parts[1], CultureInfo.InvariantCulture)
            );
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            // Just registered, its pid file not yet written.
            return new SchedulerState(true, null, null);
        }
    }

    public bool StopRequested() => File.Exists(StopPath);

    public void RequestStop()
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(StopPath, "");
    }
}
