using System.Diagnostics;

namespace GitExp.Tool.Cli;

/// <summary>Starts this same tool again as a detached background process (queue workers, temp runs).</summary>
internal static class SelfLauncher
{
    /// <summary>The command that runs this same tool: its executable's absolute path (and the assembly's, under <c>dotnet</c>).</summary>
    public static IReadOnlyList<string> OwnCommand()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the tool's own path is unknown");
        // Run as 'dotnet dotnet-exp.dll' (tests, dotnet run): the host needs the assembly path too.
        return Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? [host, typeof(SelfLauncher).Assembly.Location]
            : [host];
    }

    /// <summary>Starts <c>dotnet-exp &lt;arguments&gt;</c> in its own session, output appended to <paramref name="logPath"/>; returns its process id.</summary>
    public static int StartDetached(IReadOnlyList<string> arguments, string workingDirectory, string logPath)
    {
        var command = new List<string>(OwnCommand());
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
