using System.Globalization;

namespace GitExp.Core.Processes;

/// <summary>
/// What tells one process apart from any other that later gets the same id: the host, the process id, the time it
/// started (on Linux field 22 of <c>/proc/&lt;pid&gt;/stat</c>, in clock ticks since boot) and the boot it started in
/// (<c>/proc/sys/kernel/random/boot_id</c>). A process id alone is reused; these together are not.
/// </summary>
public sealed record ProcessIdentity(string Host, int Pid, long StartTime, string? BootId)
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>This process.</summary>
    public static ProcessIdentity Current { get; } = Of(Environment.ProcessId) ?? FallbackCurrent();

    /// <summary>The identity of a running process on this host, or null when it is gone (or cannot be read).</summary>
    public static ProcessIdentity? Of(int pid)
    {
        if (File.Exists(BootIdPath))
        {
            return LinuxStartTime(pid) is { } start
                ? new ProcessIdentity(Environment.MachineName, pid, start, ReadBootId())
                : null;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return new ProcessIdentity(Environment.MachineName, pid, process.StartTime.ToUniversalTime().Ticks, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the process is known to have ended: on this host, another boot, or no process with its id and start
    /// time (a zombie has ended too). A process of another host cannot be checked and is never said to be gone.
    /// </summary>
    public bool IsGone()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.Ordinal))
        {
            return false;
        }

        if (BootId is not null && File.Exists(BootIdPath) && BootId != ReadBootId())
        {
            return true;
        }

        return Of(Pid) is not { } now || now.StartTime != StartTime;
    }

    private static ProcessIdentity FallbackCurrent()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new ProcessIdentity(Environment.MachineName, self.Id, self.StartTime.ToUniversalTime().Ticks, null);
    }

    private static string? ReadBootId()
    {
        try
        {
            return File.ReadAllText(BootIdPath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat; null when there is no such process or it is a zombie.</summary>
    private static long? LinuxStartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after it follow the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // Field 3 (state) is the first after the name, so field 22 is the 20th of the rest.
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : null;
    }
}
