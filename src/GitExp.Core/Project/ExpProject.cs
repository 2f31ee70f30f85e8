using GitExp.Core.Cache;
using GitExp.Core.Git;

namespace GitExp.Core.Project;

/// <summary>A Git work tree used by GitExp: where its files live and how they are set up.</summary>
public sealed class ExpProject
{
    private ExpConfig? _config;

    private ExpProject(GitRepository git) => Git = git;

    public GitRepository Git { get; }

    public string Root => Git.Root;

    /// <summary><c>.exp/</c>: config (in Git), cache, run store and scratch files (ignored).</summary>
    public string ExpDirectory => Path.Combine(Root, ".exp");

    public string CacheDirectory => Path.Combine(ExpDirectory, "cache");

    public string TempDirectory => Path.Combine(ExpDirectory, "tmp");

    public string LogDirectory => Path.Combine(TempDirectory, "logs");

    public ExpConfig Config => _config ??= ExpConfig.Load(Path.Combine(ExpDirectory, "config.yaml"));

    public static async Task<ExpProject> OpenAsync(string directory, CancellationToken cancellationToken = default) =>
        new(await GitRepository.DiscoverAsync(directory, cancellationToken).ConfigureAwait(false));

    /// <summary>Creates <c>.exp/</c> and the ignore files that keep GitExp's own files out of Git.</summary>
    /// <remarks>The user's own .gitignore is never touched for these: each folder ignores its own contents.</remarks>
    public void EnsureInitialized()
    {
        Directory.CreateDirectory(ExpDirectory);
        WriteIfMissing(Path.Combine(ExpDirectory, ".gitignore"), "cache/\nruns.db*\ntmp/\n");
        var workspaces = Path.Combine(Root, ".exptmp");
        Directory.CreateDirectory(workspaces);
        WriteIfMissing(Path.Combine(workspaces, ".gitignore"), "*\n");
        Directory.CreateDirectory(TempDirectory);
    }

    /// <summary>Writes a default <c>.exp/config.yaml</c> when there is none; returns whether it wrote one.</summary>
    public bool WriteDefaultConfig() => WriteIfMissing(Path.Combine(ExpDirectory, "config.yaml"), ExpConfig.DefaultText);

    public ContentCache OpenCache(StateTable state) => new(CacheDirectory, Config.LinkOrder, state);

    public StateTable OpenStateTable() => StateTable.Open(Path.Combine(TempDirectory, "state"));

    /// <summary>Converts an absolute or current-directory-relative path to a repo-relative one with forward slashes.</summary>
    public string ToRepoPath(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Root, full).Replace('\\', '/');
        if (relative == ".")
        {
            return "";
        }

        if (relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative))
        {
            throw new ExpException(ExitCode.Usage, $"'{path}' is outside the repository '{Root}'");
        }

        return relative;
    }

    public string FullPath(string repoPath) => repoPath.Length == 0 ? Root : Path.Combine(Root, repoPath);

    private static bool WriteIfMissing(string path, string content)
    {
        if (File.Exists(path))
        {
            return false;
        }

        File.WriteAllText(path, content);
        return true;
    }
}
