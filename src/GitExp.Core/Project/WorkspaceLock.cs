namespace GitExp.Core.Project;

/// <summary>An exclusive lock on a workspace so two runs never write the same files at once.</summary>
/// <remarks>The OS releases the lock when the process dies, so a killed run never leaves a stale lock behind.</remarks>
public sealed class WorkspaceLock : IDisposable
{
    private readonly FileStream _stream;

    private WorkspaceLock(FileStream stream) => _stream = stream;

    public static WorkspaceLock Acquire(ExpProject project)
    {
        project.EnsureInitialized();
        var path = Path.Combine(project.TempDirectory, "workspace.lock");
        try
        {
            return new WorkspaceLock(
                new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose)
            );
        }
        catch (IOException)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"another 'dotnet exp' command is running in this workspace (it holds '{Path.GetRelativePath(project.Root, path)}'); wait for it to finish"
            );
        }
    }

    public void Dispose() => _stream.Dispose();
}
