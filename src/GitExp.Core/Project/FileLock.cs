namespace GitExp.Core.Project;

/// <summary>An exclusive advisory lock on a file, released by the OS when the process dies.</summary>
/// <remarks>
/// Lock files are never deleted by waiters: a file deleted while someone holds it could be recreated
/// and locked twice. Callers that delete one do so only while holding it and after the state it guards
/// says there is nothing left to do.
/// </remarks>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static FileLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        try
        {
            return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1), path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryAcquire(path) is { } acquired)
            {
                return acquired;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether some process (this one included) holds the lock now.</summary>
    public static bool IsHeld(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = TryAcquire(path);
        return probe is null;
    }

    public void Dispose() => _stream.Dispose();
}
