using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GitExp.Testing;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// OpenSSH's <c>sshd</c> on a loopback port, started for one test class as a child (<c>-D -e</c>) with its own
/// config, host key and authorized key in a temp folder, and a home folder for the tool whose <c>~/.ssh/config</c>
/// names it <c>gitexp-test</c> (HostName, Port, User, IdentityFile) and whose <c>known_hosts</c> has its key.
/// </summary>
public sealed class SshServer : IAsyncLifetime
{
    private Process? _sshd;

    /// <summary>Everything of the server and client: keys, config, the remote's folders.</summary>
    public string Folder { get; } = TempGitRepo.CreateEmptyFolder().Root;

    /// <summary>The HOME the tool runs with.</summary>
    public string Home => Path.Combine(Folder, "home");

    public int Port { get; private set; }

    /// <summary>The tool's environment: HOME with the ~/.ssh above.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["HOME"] = Home };

    /// <summary>A new empty folder on the server and its URL.</summary>
    public (string Folder, string Url) NewRemoteFolder()
    {
        var folder = Path.Combine(Folder, "remotes", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return (folder, $"ssh://gitexp-test{folder}");
    }

    public async Task InitializeAsync()
    {
        var server = Path.Combine(Folder, "server");
        var ssh = Path.Combine(Home, ".ssh");
        Directory.CreateDirectory(server);
        Directory.CreateDirectory(ssh);
        // Debian's sshd wants its privilege separation folder; root may make it.
        Directory.CreateDirectory("/run/sshd");
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(server, "host_key"));
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(ssh, "id_test"));
        File.Copy(Path.Combine(ssh, "id_test.pub"), Path.Combine(server, "authorized_keys"));
        Port = FreePort();
        var user = System.Environment.UserName;
        File.WriteAllText(
            Path.Combine(server, "sshd_config"),
            $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {server}/host_key
            AuthorizedKeysFile {server}/authorized_keys
            PidFile none
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            Subsystem sftp internal-sftp
            LogLevel ERROR

            """
        );
        var hostKey = File.ReadAllText(Path.Combine(server, "host_key.pub")).Split(' ');
        File.WriteAllText(Path.Combine(ssh, "known_hosts"), $"[127.0.0.1]:{Port} {hostKey[0]} {hostKey[1]}\n");
        File.WriteAllText(
            Path.Combine(ssh, "config"),
            $"""
            Host gitexp-test
              HostName 127.0.0.1
              Port {Port}
              User {user}
              IdentityFile ~/.ssh/id_test

            """
        );

        var info = new ProcessStartInfo("/usr/sbin/sshd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (
            var arg in new[]
            {
                "-D",
                "-e",
                "-f",
                Path.Combine(server, "sshd_config"),
                "-p",
                Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }
        )
        {
            info.ArgumentList.Add(arg);
        }

        _sshd = Process.Start(info)!;
        _ = _sshd.StandardOutput.ReadToEndAsync();
        var errors = _sshd.StandardError.ReadToEndAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (attempt < 100 && !_sshd.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                Assert.Fail($"sshd did not start on port {Port}: {(_sshd.HasExited ? await errors : "no answer")}");
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_sshd is { HasExited: false })
        {
            _sshd.Kill();
            _sshd.WaitForExit();
        }

        _sshd?.Dispose();
        TestFolders.DeleteTree(Folder);
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} failed: {stderr}");
    }
}
