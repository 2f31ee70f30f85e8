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
    /// SFTP read and write requests of 64 KiB, several in flight: twice SSH.NET's default, and below the large object
    /// heap's 85,000 bytes (224 KiB requests cost a third more CPU for no gain; see bench/README.md, <c>remote</c>).
    /// </summary>
    internal const uint RequestSize = 64 * 1024;

    private readonly ConcurrentBag<SftpClient> _idle = [];
    private readonly List<SftpClient> _all = [];
    private readonly SemaphoreSlim _slots = new(Math.Max(1, connections));
    private readonly Lock _lock = new();

    /// <summary>
    /// Listings share the first connection, many requests in flight at once (SFTP pipelines them): a push with nothing
    /// new asks for ~257 folders and opens no other connection.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListAsync(string folder, CancellationToken cancellationToken)
    {
        var client = await PrimaryAsync(cancellationToken).ConfigureAwait(false);
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
        catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw Unreachable(e);
        }
    }

    private Task<SftpClient>? _primary;

    private Task<SftpClient> PrimaryAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _primary ??= ConnectAsync(cancellationToken);
        }
    }

    public Task PutAsync(string localFile, string path, Action<int> onBytes, CancellationToken cancellationToken) =>
        WithClientAsync(
            async client =>
            {
                var dest = Full(path);
                var dir = dest[..dest.LastIndexOf('/')];
                var tmp = $"{dir}/.{dest[(dir.Length + 1)..]}.{Guid.NewGuid():N}.tmp";
                var source = new FileStream(
                    localFile,
                    FileMode.Open,
                    FileAccess.Read,
                    FileShare.Read,
                    (int)RequestSize,
                    FileOptions.Asynchronous | FileOptions.SequentialScan
                );
                await using (source.ConfigureAwait(false))
                {
                    ulong told = 0;
                    var progress = new Callback<UploadFileProgressReport>(r =>
                    {
                        onBytes((int)(r.TotalBytesUploaded - told));
                        told = r.TotalBytesUploaded;
                    });
                    try
                    {
                        try
                        {
                            await client.UploadFileAsync(source, tmp, true, progress, cancellationToken).ConfigureAwait(false);
                        }
                        catch (SftpPathNotFoundException)
                        {
                            // The first object of its two-digit folder: make the folder (and its parents).
                            await MakeFolderAsync(client, dir, cancellationToken).ConfigureAwait(false);
                            source.Position = 0;
                            told = 0;
                            await client.UploadFileAsync(source, tmp, true, progress, cancellationToken).ConfigureAwait(false);
                        }

                        try
                        {
                            // SFTP's rename never replaces: the object appears whole, or it was there already.
                            await client.RenameFileAsync(tmp, dest, cancellationToken).ConfigureAwait(false);
                        }
                        catch (SshException)
                        {
                            if (!await client.ExistsAsync(dest, cancellationToken).ConfigureAwait(false))
                            {
                                throw;
                            }

                            // Another push stored it meanwhile: the same bytes, by its name.
                            await client.DeleteFileAsync(tmp, cancellationToken).ConfigureAwait(false);
                        }
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
                    await client
                        .DownloadFileAsync(
                            Full(path),
                            destination,
                            new Callback<DownloadFileProgressReport>(r =>
                            {
                                onBytes((int)(r.TotalBytesDownloaded - told));
                                told = r.TotalBytesDownloaded;
                            }),
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

    /// <summary>Progress told on the transferring thread (<see cref="Progress{T}"/> would post it elsewhere, late).</summary>
    private sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

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
            client =
                _idle.TryTake(out var idle) ? idle
                : TakePrimary() is { } primary ? await primary.ConfigureAwait(false)
                : await ConnectAsync(cancellationToken).ConfigureAwait(false);
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

    private bool _primaryTaken;

    /// <summary>The listing connection, once, as the first of the transfer pool: a transfer opens one fewer.</summary>
    private Task<SftpClient>? TakePrimary()
    {
        lock (_lock)
        {
            if (_primaryTaken)
            {
                return null;
            }

            _primaryTaken = true;
            return _primary ??= ConnectAsync(CancellationToken.None);
        }
    }

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
            using (Diagnostics.ExpTrace.Start($"ssh: connect to {settings.Display}"))
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
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

    private static async Task MakeFolderAsync(SftpClient client, string dir, CancellationToken cancellationToken)
    {
        // Parents first; one that exists (or that another job just made) is fine.
        var path = dir.StartsWith('/') ? "" : ".";
        foreach (var part in dir.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            try
            {
                await client.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (SshException)
            {
                if (!await client.ExistsAsync(path, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
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
