using System.Diagnostics;

namespace GitExp.Tool.Cli;

/// <summary>Starts this same tool again as a detached background process (queue workers, temp runs).</summary>
internal static class SelfLauncher
{
    /// <summary>Starts <c>dotnet-exp &lt;arguments&gt;</c> in its own session, output appended to <paramref name="logPath"/>; returns its process id.</summary>
    public static int StartDetached(IReadOnlyList<string> arguments, string workingDirectory, string logPath)
    {
        var command = new List<string>();
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the tool's own path is unknown");
        command.Add(host);
        // Run as 'dotnet dotnet-exp.dll' (tests, dotnet run): the host needs the assembly path too.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            command.Add(typeof(SelfLauncher).Assembly.Location);
        }

        command.AddRange(arguments);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // setsid: the worker must outlive the terminal that started it and not share its Ctrl+C;
        // the redirections keep it from holding the caller's pipes open.
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=\"$1\"; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!");
        info.ArgumentList.Add("dotnet-exp");
        info.ArgumentList.Add(logPath);
        foreach (var part in command)
        {
            info.ArgumentList.Add(part);
        }

        info.RedirectStandardOutput = true;
        using var shell = Process.Start(info) ?? throw new InvalidOperationException("could not start /bin/sh");
        var pid = shell.StandardOutput.ReadToEnd().Trim();
        shell.WaitForExit();
        return int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture);
    }
}
