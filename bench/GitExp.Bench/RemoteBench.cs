using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GitExp.Bench;

/// <summary>
/// <c>remote</c>: <c>dotnet exp cache push</c> of one out folder (1,000 files, 256 MiB; 1 GiB with --size-mb 1024)
/// to an empty SSH remote, against <c>rsync -a</c> of the same folder over the same sshd (started here on a loopback
/// port, as the tests do); a second push with nothing new; and a push to an empty folder remote against
/// <c>cp -r</c>. Each side is timed best of --runs, its destination emptied before each run.
/// </summary>
internal static class RemoteBench
{
    private const double SshTarget = 1.3;
    private const double FolderTarget = 1.2;
    private const double NoopTargetMs = 500;

    public static int Run(string[] args)
    {
        var sizeMb = Options.Int(args, "--size-mb", 256);
        var files = Options.Int(args, "--files", 1000);
        var runs = Options.Int(args, "--runs", 3);
        var tool = Tool.FromArgs(args);
        var root = Proc.TempDir("remote");
        Process? sshd = null;
        try
        {
            var repo = Proc.InitRepo(Path.Combine(root, "repo"));
            Console.WriteLine(
                $"remote: {files} files, {sizeMb} MiB in {root}; tool: {tool.Describe}; load {Timing.LoadAverage()}"
            );
            var (environment, port, process) = StartSshd(root);
            sshd = process;
            var kib = sizeMb * 1024 / files;
            File.WriteAllText(
                Path.Combine(repo, "make.sh"),
                Str(
                    $"mkdir -p data\ni=0\nwhile [ $i -lt {files} ]; do head -c {kib * 1024} /dev/urandom > data/f$i.bin; i=$((i + 1)); done\n"
                )
            );
            File.WriteAllText(
                Path.Combine(repo, "exp.yaml"),
                "stages:\n  make:\n    cmd: sh make.sh\n    deps: [make.sh]\n    outs: [data]\n"
            );
            Proc.Git(repo, "add", "-A");
            Proc.Git(repo, "commit", "-q", "-m", "baseline");
            tool.Run(repo, discardOutput: true, "run");
            var sshDest = Path.Combine(root, "ssh-remote");
            var rsyncDest = Path.Combine(root, "rsync-dest");
            var folderDest = Path.Combine(root, "folder-remote");
            var cpDest = Path.Combine(root, "cp-dest");
            tool.Run(repo, discardOutput: true, "remote", "add", "box", "ssh://gitexp-bench" + sshDest);
            tool.Run(repo, discardOutput: true, "remote", "add", "disk", folderDest);

            double Time(string dest, Action action) =>
                Timing.BestMs(
                    runs,
                    () =>
                    {
                        Empty(dest);
                        action();
                    }
                );

            var config = Path.Combine(environment["HOME"], ".ssh", "config");
            var rsync = Time(
                rsyncDest,
                () =>
                    Proc.Run(
                        "rsync",
                        ["-a", "-e", $"ssh -F {config}", "data/", $"gitexp-bench:{rsyncDest}/"],
                        repo,
                        discardOutput: true,
                        environment: environment
                    )
            );
            var ours = Time(sshDest, () => tool.Run(repo, environment, "cache", "push", "-r", "box"));
            var noop = Timing.BestMs(runs, () => tool.Run(repo, environment, "cache", "push", "-r", "box"));
            var startup = Timing.BestMs(runs, () => tool.Run(repo, environment, "--version"));
            var cp = Time(cpDest, () => Proc.Run("cp", ["-r", "data", cpDest], repo, discardOutput: true));
            var folder = Time(folderDest, () => tool.Run(repo, environment, "cache", "push", "-r", "disk"));
            var sent = Directory.GetFiles(Path.Combine(sshDest, "sha256"), "*", SearchOption.AllDirectories).Length;
            if (sent != files + 1)
            {
                Console.Error.WriteLine($"the SSH remote holds {sent} objects, expected {files + 1}");
                return 1;
            }

            var mib = sizeMb / (ours / 1000);
            Console.WriteLine(
                Str($"ssh push: ours {ours:F0} ms ({mib:F0} MiB/s), rsync -a {rsync:F0} ms ({sizeMb / (rsync / 1000):F0} MiB/s)")
            );
            Console.WriteLine(Str($"second push, nothing new: {noop:F0} ms (tool start alone: {startup:F0} ms)"));
            Console.WriteLine(Str($"folder push: ours {folder:F0} ms, cp -r {cp:F0} ms"));
            var sshPass = ours / rsync <= SshTarget;
            var noopPass = noop < NoopTargetMs;
            var folderPass = folder / cp <= FolderTarget;
            Summary.Report("remote-folder", folder, cp, folder / cp, Str($"<= {FolderTarget}"), folderPass);
            Summary.Report("remote-noop", noop, startup, noop / startup, Str($"ours < {NoopTargetMs} ms"), noopPass);
            return
                Summary.Report(
                    "remote",
                    ours,
                    rsync,
                    ours / rsync,
                    Str(
                        $"<= {SshTarget} vs rsync -a over ssh; second push < {NoopTargetMs} ms; folder <= {FolderTarget} vs cp -r"
                    ),
                    sshPass && noopPass && folderPass
                ) == 0
                ? 0
                : 1;
        }
        finally
        {
            if (sshd is { HasExited: false })
            {
                sshd.Kill();
                sshd.WaitForExit();
            }

            if (!Options.Flag(args, "--keep"))
            {
                Proc.Run("rm", ["-rf", root], Path.GetTempPath());
            }
        }
    }

    private static void Empty(string dir)
    {
        if (Directory.Exists(dir))
        {
            Proc.Run("rm", ["-rf", dir], Path.GetTempPath());
        }
    }

    /// <summary>sshd on a free loopback port with a generated host key, and a HOME whose ssh config names it gitexp-bench.</summary>
    private static (Dictionary<string, string> Environment, int Port, Process Sshd) StartSshd(string root)
    {
        var server = Path.Combine(root, "server");
        var home = Path.Combine(root, "home");
        var ssh = Path.Combine(home, ".ssh");
        Directory.CreateDirectory(server);
        Directory.CreateDirectory(ssh);
        Directory.CreateDirectory("/run/sshd");
        Proc.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(server, "host_key")], root);
        Proc.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(ssh, "id_bench")], root);
        File.Copy(Path.Combine(ssh, "id_bench.pub"), Path.Combine(server, "authorized_keys"));
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        File.WriteAllText(
            Path.Combine(server, "sshd_config"),
            Str(
                $"Port {port}\nListenAddress 127.0.0.1\nHostKey {server}/host_key\nAuthorizedKeysFile {server}/authorized_keys\nPidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel ERROR\n"
            )
        );
        var hostKey = File.ReadAllText(Path.Combine(server, "host_key.pub")).Split(' ');
        File.WriteAllText(Path.Combine(ssh, "known_hosts"), Str($"[127.0.0.1]:{port} {hostKey[0]} {hostKey[1]}\n"));
        File.WriteAllText(
            Path.Combine(ssh, "config"),
            Str(
                $"Host gitexp-bench\n  HostName 127.0.0.1\n  Port {port}\n  User {Environment.UserName}\n  IdentityFile {ssh}/id_bench\n  UserKnownHostsFile {ssh}/known_hosts\n"
            )
        );
        var sshd = Process.Start(
            new ProcessStartInfo("/usr/sbin/sshd", ["-D", "-e", "-f", Path.Combine(server, "sshd_config")])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            }
        )!;
        _ = sshd.StandardError.ReadToEndAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (attempt < 200 && !sshd.HasExited)
            {
                Thread.Sleep(50);
            }
        }

        return (new Dictionary<string, string> { ["HOME"] = home }, port, sshd);
    }

    private static string Str(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
