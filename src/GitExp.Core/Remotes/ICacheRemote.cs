namespace GitExp.Core.Remotes;

/// <summary>
/// Storage that holds the cache's layout (<c>sha256/ab/cdef…</c>, <c>files/md5/ab/cdef…</c>, <c>runs/ab/cdef…</c>)
/// somewhere else. Paths are relative, with '/'. Every implementation writes an object under a temporary name and
/// renames it into place, so an object path never holds a partial file, whoever writes and whenever it stops.
/// </summary>
public interface ICacheRemote : IAsyncDisposable
{
    /// <summary>The names of the files in <paramref name="folder"/>; empty when the folder does not exist.</summary>
    Task<IReadOnlyList<string>> ListAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Stores the local file at <paramref name="path"/> (temp name, then rename), telling bytes as they go.</summary>
    Task PutAsync(string localFile, string path, Action<int> onBytes, CancellationToken cancellationToken);

    /// <summary>Writes the file at <paramref name="path"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="RemoteObjectMissingException">The remote has no such file.</exception>
    Task GetAsync(string path, Stream destination, Action<int> onBytes, CancellationToken cancellationToken);
}

/// <summary>The remote has no file at the path asked for.</summary>
public sealed class RemoteObjectMissingException(string path, Exception? inner = null)
    : Exception($"'{path}' does not exist on the remote", inner)
{
    public string RemotePath { get; } = path;
}

/// <summary>Where a remote's URL points: a folder, or a folder on an SSH server.</summary>
public abstract record RemoteLocation
{
    /// <summary>A local path (absolute, relative to <paramref name="baseDirectory"/>, or <c>file://</c>) or <c>ssh://[user@]host[:port]/path</c>.</summary>
    public static RemoteLocation Parse(string url, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            {
                throw new ExpException(ExitCode.Usage, $"url '{url}': expected ssh://[user@]host[:port]/path");
            }

            var path = Uri.UnescapeDataString(uri.AbsolutePath);
            return new SshLocation(
                uri.UserInfo.Length == 0 ? null : Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]),
                uri.Host,
                uri.IsDefaultPort || uri.Port <= 0 ? null : uri.Port,
                path.Length == 0 ? "/" : path
            );
        }

        if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return new FolderLocation(new Uri(url).LocalPath);
        }

        if (url.Contains("://", StringComparison.Ordinal))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"url '{url}': this kind of remote is not supported (expected a folder path or ssh://[user@]host[:port]/path)"
            );
        }

        return new FolderLocation(Path.GetFullPath(Path.Combine(baseDirectory, url)));
    }
}

/// <summary>A folder on a local disk or a mounted share (NFS, SMB).</summary>
public sealed record FolderLocation(string Root) : RemoteLocation;

/// <summary>A folder on an SSH server, reached over SFTP.</summary>
public sealed record SshLocation(string? User, string Host, int? Port, string Root) : RemoteLocation;
