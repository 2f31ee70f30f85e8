using System.Globalization;

namespace GitExp.Core.Processes;

/// <summary>
/// Stage commands whose runner died: while a command runs, its process id and start time are kept in a file,
/// so the next run can stop it; the file goes when the command ends.
/// </summary>
public static class OrphanProcess
{
    /// <summary>Writes <c>&lt;pid&gt; &lt;start time&gt;</c> (<see cref="ProcessIdentity.StartTime"/>) of a command that just started.</summary>
    public static void Remember(string pidPath, int pid)
    {
        var started = ProcessIdentity.Of(pid)?.StartTime;
        File.WriteAllText(
            pidPath,
            started is null
                ? pid.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{pid} {started}")
        );
    }

    /// <summary>
    /// Kills the stage command a dead runner or worker left behind, if the process with that id is still the
    /// same one (same start time) and runs in the workspace; anything else (an id the system gave to another
    /// process since, a file without a start time) is left alone.
    /// </summary>
    public static void Kill(string pidPath, string workspace)
    {
        if (!File.Exists(pidPath))
        {
            return;
        }

        var parts = File.ReadAllText(pidPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (
            parts.Length == 2
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var recorded)
            && ProcessIdentity.Of(pid)?.StartTime == recorded
        )
        {
            KillInWorkspace(pid, workspace);
        }

        File.Delete(pidPath);
    }

    private static void KillInWorkspace(int pid, string workspace)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            // The main workspace contains the isolated ones (.exptmp/): their commands are not its orphans.
            var isolated = Path.Combine(workspace, ".exptmp") + "/";
            if (
                cwd is not null
                && (cwd + "/").StartsWith(workspace + "/", StringComparison.Ordinal)
                && !(cwd + "/").StartsWith(isolated, StringComparison.Ordinal)
            )
            {
                using var orphan = System.Diagnostics.Process.GetProcessById(pid);
                orphan.Kill(entireProcessTree: true);
                orphan.WaitForExit(5000);
            }
        }
        catch (Exception e)
            when (e
                    is ArgumentException
                        or InvalidOperationException
                        or IOException
                        or UnauthorizedAccessException
                        or System.ComponentModel.Win32Exception
            )
        {
            // Already gone, or not ours to kill.
        }
    }
}
