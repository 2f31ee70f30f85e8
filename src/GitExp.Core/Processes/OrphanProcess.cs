using System.Globalization;

namespace GitExp.Core.Processes;

/// <summary>Stage commands whose runner died: their process id is kept in a file so the next run can stop them.</summary>
public static class OrphanProcess
{
    /// <summary>
    /// Kills the stage command a dead runner or worker left behind, if it still runs in the entry's workspace
    /// (the working-directory check keeps a reused process id from hitting an unrelated process).
    /// </summary>
    public static void Kill(string pidPath, string workspace)
    {
        if (!File.Exists(pidPath) || !int.TryParse(File.ReadAllText(pidPath), CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

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

        File.Delete(pidPath);
    }
}
