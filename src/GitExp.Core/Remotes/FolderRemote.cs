namespace GitExp.Core.Remotes;

/// <summary>A cache remote in a folder: a local disk, or an NFS or SMB mount.</summary>
public sealed class FolderRemote(string root) : ICacheRemote
{
    private const int BufferSize = 1 << 20;

    public string Root { get; } = Path.GetFullPath(root);

    public Task<IReadOnlyList<string>> ListAsync(string folder, CancellationToken cancellationToken)
    {
        var full = Full(folder);
        IReadOnlyList<string> names = Directory.Exists(full)
            ? Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).OfType<string>().ToList()
            : [];
        return Task.FromResult(names);
    }

    public Task PutAsync(string localFile, string path, Action<int> onBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onBytes);
        var dest = Full(path);
        var dir = Path.GetDirectoryName(dest)!;
        Directory.CreateDirectory(dir);
        // In the object's own folder: the rename stays on one file system, even on a share.
        var tmp = Path.Combine(dir, $".{Path.GetFileName(dest)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // File.Copy lets the kernel move the bytes (copy_file_range, a reflink where the file system has them).
            File.Copy(localFile, tmp);
            cancellationToken.ThrowIfCancellationRequested();
            onBytes((int)Math.Min(int.MaxValue, new FileInfo(tmp).Length));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            File.Move(tmp, dest, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }

        return Task.CompletedTask;
    }

    public async Task GetAsync(string path, Stream destination, Action<int> onBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(onBytes);
        FileStream source;
        try
        {
            source = new FileStream(
                Full(path),
                FileMode.Open,
                FileAccess.Read,
                FileShare.Read,
                BufferSize,
                FileOptions.SequentialScan
            );
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RemoteObjectMissingException(path, e);
        }

        await using (source.ConfigureAwait(false))
        {
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                onBytes(read);
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string Full(string path) => Path.Combine(Root, path.Replace('/', Path.DirectorySeparatorChar));
}
