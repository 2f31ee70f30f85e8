using System.Collections.Concurrent;
using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace GitExp.Core.Remotes;

/// <summary>
/// A cache remote in a folder of an SSH server, over SFTP (SSH.NET). Transfers share a small pool of connections,
/// opened as they are needed: each connection's encryption runs on one core, so parallel jobs spread over several.
/// </summary>
public sealed class SftpRemote(SshSettings settings, string remoteName, int connections) : ICacheRemote
{
    /// <summary>
    /// SFTP read and write requests of this size, many in flight: SSH.NET's 32 KiB default spends its time in round
    /// trips; OpenSSH's server takes up to 255 KiB a request (measured in bench/: see bench/README.md).
    /// </summary>
    internal const uint RequestSize = 224 * 1024;

    private readonly ConcurrentBag<SftpClient> _idle = [];
    private readonly List<SftpClient> _all = [];
    private readonly SemaphoreSlim _slots = new(Math.Max(1, connections));
    private readonly ConcurrentDictionary<string, bool> _madeFolders = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<IReadOnlyList<string>> ListAsync(string folder, CancellationToken cancellationToken) =>
        WithClientAsync<IReadOnlyList<string>>(
            async client =>
            {
                try
                {
                    var names = new List<string>();
                    await foreach (var entry in client.ListDirectoryAsync(Full(folder), cancellationToken).ConfigureAwait(false))
                    {
                        if (entry.Name is not ("." or ".."))
                        {
                            names.Add(entry.Name);
                        }
                    }

                    return names;
                }
                catch (SftpPathNotFoundException)
                {
                    return [];
                }
            },
            cancellationToken
        );

    public Task PutAsync(string localFile, string path, Action<int> onBytes, CancellationToken cancellationToken) =>
        WithClientAsync(
            async client =>
            {
                var dest = Full(path);
                var dir = dest[..dest.LastIndexOf('/')];
                EnsureFolder(client, dir);
                var tmp = $"{dir}/.{dest[(dir.Length + 1)..]}.{Guid.NewGuid():N}.tmp";
                var source = new FileStream(
                    localFile,
                    FileMode.Open,
                    FileAccess.Read,
                    FileShare.Read,
                    (int)RequestSize,
                    FileOptions.SequentialScan
                );
                await using (source.ConfigureAwait(false))
                {
                    ulong told = 0;
                    try
                    {
                        using var registration = cancellationToken.Register(client.Disconnect);
                        await Task.Run(
                                () =>
                                    client.UploadFile(
                                        source,
                                        tmp,
                                        canOverride: true,
                                        uploaded =>
                                        {
                                            onBytes((int)(uploaded - told));
                                            told = uploaded;
                                        }
                                    ),
                                cancellationToken
                            )
                            .ConfigureAwait(false);
                        client.ChangePermissions(tmp, 444); // r--r--r-- (octal digits, as chmod takes them): objects are read-only, as in the local cache
                        // posix-rename@openssh.com: atomic, and replaces what is there (the same bytes, by its name).
                        client.RenameFile(tmp, dest, isPosix: true);
                    }
                    catch
                    {
                        TryDelete(client, tmp);
                        throw;
                    }
                }
            },
            cancellationToken
        );

    public Task GetAsync(string path, Stream destination, Action<int> onBytes, CancellationToken cancellationToken) =>
        WithClientAsync(
            async client =>
            {
                ulong told = 0;
                try
                {
                    using var registration = cancellationToken.Register(client.Disconnect);
                    await Task.Run(
                            () =>
                                client.DownloadFile(
                                    Full(path),
                                    destination,
                                    downloaded =>
                                    {
                                        onBytes((int)(downloaded - told));
                                        told = downloaded;
                                    }
                                ),
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                }
                catch (SftpPathNotFoundException e)
                {
                    throw new RemoteObjectMissingException(path, e);
                }
            },
            cancellationToken
        );

    public async ValueTask DisposeAsync()
    {
        List<SftpClient> all;
        lock (_lock)
        {
            all = [.. _all];
            _all.Clear();
        }

        foreach (var client in all)
        {
            client.Dispose();
        }

        _slots.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async Task WithClientAsync(Func<SftpClient, Task> work, CancellationToken cancellationToken) =>
        await WithClientAsync<bool>(
                async c =>
                {
                    await work(c).ConfigureAwait(false);
                    return true;
                },
                cancellationToken
            )
            .ConfigureAwait(false);

    private async Task<T> WithClientAsync<T>(Func<SftpClient, Task<T>> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        SftpClient? client = null;
        try
        {
            client = _idle.TryTake(out var idle) ? idle : await ConnectAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await work(client).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException && !IsMissing(e))
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Unreachable(e);
            }
        }
        finally
        {
            if (client is { IsConnected: true })
            {
                _idle.Add(client);
            }

            _slots.Release();
        }
    }

    private static bool IsMissing(Exception e) => e is SftpPathNotFoundException;

    private async Task<SftpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var methods = new List<AuthenticationMethod>();
        var keys = new List<IPrivateKeySource>();
        foreach (var file in settings.KeyFiles)
        {
            try
            {
                keys.Add(new PrivateKeyFile(file));
            }
            catch (SshPassPhraseNullOrEmptyException)
            {
                // An encrypted key needs its passphrase, which GitExp does not ask for: ssh-agent is the way for those.
            }
            catch (Exception e) when (e is SshException or InvalidOperationException or ArgumentException or IOException)
            {
                throw new ExpException(ExitCode.Remote, $"SSH key file '{file}' could not be read: {e.Message}");
            }
        }

        if (keys.Count > 0)
        {
            methods.Add(new PrivateKeyAuthenticationMethod(settings.User, [.. keys]));
        }

        if (settings.Password is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(settings.User, password));
        }

        if (methods.Count == 0)
        {
            throw new ExpException(
                ExitCode.Remote,
                $"remote '{remoteName}': no SSH key or password for {settings.Display}: add an IdentityFile for the host to ~/.ssh/config, "
                    + $"or run 'dotnet exp remote modify {remoteName} keyfile <path>' (kept in .exp/config.local.yaml)"
            );
        }

        var info = new ConnectionInfo(settings.Host, settings.Port, settings.User, [.. methods])
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var known = settings.KnownKeys();
        var knownTypes = known.Where(k => !k.Revoked).Select(k => k.Type).ToHashSet(StringComparer.Ordinal);
        if (knownTypes.Count > 0)
        {
            // As OpenSSH's client does: ask the server for a kind of host key known_hosts has, so the check can succeed.
            foreach (var algorithm in info.HostKeyAlgorithms.Keys.ToList())
            {
                if (!knownTypes.Contains(KeyTypeOf(algorithm)))
                {
                    info.HostKeyAlgorithms.Remove(algorithm);
                }
            }
        }

        string? refused = null;
        var client = new SftpClient(info) { BufferSize = RequestSize, OperationTimeout = TimeSpan.FromMinutes(2) };
        client.HostKeyReceived += (_, e) =>
        {
            var blob = e.HostKey;
            if (known.Any(k => k.Revoked && k.Key.AsSpan().SequenceEqual(blob)))
            {
                refused = "is revoked in known_hosts";
            }
            else if (known.Any(k => !k.Revoked && k.Key.AsSpan().SequenceEqual(blob)))
            {
                e.CanTrust = true;
                return;
            }
            else
            {
                refused =
                    known.Count == 0
                        ? $"is not in {string.Join(" or ", settings.KnownHostsFiles)}; connect once with 'ssh -p {settings.Port} {settings.User}@{settings.Host}' to check and add it"
                        : $"does not match the one in known_hosts (SHA256:{e.FingerPrintSHA256}): the server changed, or someone is in between";
            }

            e.CanTrust = false;
        };

        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or SocketException or ProxyException or TimeoutException)
        {
            client.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            if (refused is not null)
            {
                throw new ExpException(ExitCode.Remote, $"remote '{remoteName}': the host key of {settings.Display} {refused}");
            }

            throw Unreachable(e);
        }

        lock (_lock)
        {
            _all.Add(client);
        }

        return client;
    }

    private static string KeyTypeOf(string algorithm) => algorithm is "rsa-sha2-512" or "rsa-sha2-256" ? "ssh-rsa" : algorithm;

    private ExpException Unreachable(Exception e) =>
        new(
            ExitCode.Remote,
            e is SshAuthenticationException
                ? $"remote '{remoteName}': {settings.Display} refused the SSH key or password ({e.Message.TrimEnd('.')})"
                : $"remote '{remoteName}': {settings.Display} could not be reached or dropped the connection ({e.Message.TrimEnd('.')})",
            e
        );

    private void EnsureFolder(SftpClient client, string dir)
    {
        if (_madeFolders.ContainsKey(dir))
        {
            return;
        }

        // Parents first; one that exists (or that another job just made) is fine.
        var parts = dir.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var path = dir.StartsWith('/') ? "" : ".";
        foreach (var part in parts)
        {
            path += "/" + part;
            if (_madeFolders.ContainsKey(path))
            {
                continue;
            }

            try
            {
                if (!client.Exists(path))
                {
                    client.CreateDirectory(path);
                }
            }
            catch (SshException) when (client.Exists(path)) { }

            _madeFolders[path] = true;
        }
    }

    private static void TryDelete(SftpClient client, string path)
    {
        try
        {
            if (client.IsConnected)
            {
                client.DeleteFile(path);
            }
        }
        catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException) { }
    }

    private string Full(string path) => settings.Root.TrimEnd('/') + "/" + path;
}
