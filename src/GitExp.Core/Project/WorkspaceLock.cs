namespace GitExp.Core.Project;

/// <summary>An exclusive lock on a workspace so two runs never write the same files at once.</summary>
public static class WorkspaceLock
{
    public static FileLock Acquire(ExpProject project)
    {
        project.EnsureInitialized();
        var path = Path.Combine(project.TempDirectory, "workspace.lock");
        return FileLock.TryAcquire(path)
            ?? throw new ExpException(
                ExitCode.Conflict,
                $"another 'dotnet exp' command is running in this workspace (it holds '{Path.GetRelativePath(project.Root, path)}'); wait for it to finish"
            );
    }
}
