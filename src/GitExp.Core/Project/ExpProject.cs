using GitExp.Core.Cache;
using GitExp.Core.Git;

namespace GitExp.Core.Project;

/// <summary>A Git work tree used by GitExp: where its files live and how they are set up.</summary>
public sealed class ExpProject
{
    private ExpConfig? _config;

    private readonly string? _cacheDirectory;
    private readonly string? _givenDvcCacheDirectory;
    private string? _dvcCacheDirectory;

    private ExpProject(GitRepository git, string? cacheDirectory, string? dvcCacheDirectory, string? originRoot)
    {
        Git = git;
        OriginRoot = originRoot ?? git.Root;
        _cacheDirectory = cacheDirectory;
        _givenDvcCacheDirectory = dvcCacheDirectory;
        _dvcCacheDirectory = dvcCacheDirectory;
        // Facts about Git objects live with them, in the git directory: never in the work tree, and there
        // from the first command in a fresh clone.
        var facts = Path.Combine(git.GitDir, "gitexp");
        git.CommitFactsCache = new FactsFile(Path.Combine(facts, "commits"));
        ValuesCache = new FactsFile(Path.Combine(facts, "values"));
    }

    public GitRepository Git { get; }

    public string Root => Git.Root;

    /// <summary>
    /// What a path above the repository's root (a dep <c>../data</c>, decision 37) is relative to: <see cref="Root"/>,
    /// or for an isolated workspace under <c>.exptmp/</c> the main workspace it was made from, so a queued or temp
    /// run reads the same file a workspace run does.
    /// </summary>
    public string OriginRoot { get; }

    /// <summary><c>.exp/</c>: config (in Git), cache, run store and scratch files (ignored).</summary>
    public string ExpDirectory => Path.Combine(Root, ".exp");

    /// <summary>The content cache; an isolated workspace under <c>.exptmp/</c> shares its main workspace's.</summary>
    public string CacheDirectory => _cacheDirectory ?? Path.Combine(ExpDirectory, "cache");

    /// <summary>
    /// The cache of dvc.yaml pipelines' MD5 objects (<c>files/md5/…</c>): DVC's own cache when the repository has
    /// <c>.dvc/</c> (its <c>cache.dir</c> setting, else <c>.dvc/cache</c>), so <c>dvc checkout</c> finds what GitExp
    /// stored; else <see cref="CacheDirectory"/>.
    /// </summary>
    public string DvcCacheDirectory => _dvcCacheDirectory ??= FindDvcCacheDirectory();

    /// <summary><c>.exptmp/</c>: isolated workspaces of queued and temporary runs.</summary>
    public string WorkspacesDirectory => Path.Combine(Root, ".exptmp");

    /// <summary><c>.exp/tmp/queue/</c>: leases, logs and results of queue entries.</summary>
    public string QueueDirectory => Path.Combine(TempDirectory, "queue");

    public string TempDirectory => Path.Combine(ExpDirectory, "tmp");

    public string LogDirectory => Path.Combine(TempDirectory, "logs");

    /// <summary>The params and metrics of commits as read before (<c>.git/gitexp/values</c>).</summary>
    public FactsFile ValuesCache { get; }

    /// <summary>The pipelines as first read by this command (see <c>PipelineIndex.LoadAsync</c>).</summary>
    internal Execution.PipelineIndex? PipelineIndexCache { get; set; }

    public ExpConfig Config => _config ??= ExpConfig.Load(Path.Combine(ExpDirectory, "config.yaml"));

    public static async Task<ExpProject> OpenAsync(
        string directory,
        CancellationToken cancellationToken = default,
        string? cacheDirectory = null,
        string? dvcCacheDirectory = null,
        string? originRoot = null
    ) =>
        new(
            await GitRepository.DiscoverAsync(directory, cancellationToken).ConfigureAwait(false),
            cacheDirectory,
            dvcCacheDirectory,
            originRoot
        );

    /// <summary>Creates <c>.exp/</c> and the ignore files that keep GitExp's own files out of Git.</summary>
    /// <remarks>The user's own .gitignore is never touched for these: each folder ignores its own contents.</remarks>
    public void EnsureInitialized()
    {
        Directory.CreateDirectory(ExpDirectory);
        WriteIfMissing(Path.Combine(ExpDirectory, ".gitignore"), "cache/\nruns.db*\ntmp/\n");
        Directory.CreateDirectory(WorkspacesDirectory);
        WriteIfMissing(Path.Combine(WorkspacesDirectory, ".gitignore"), "*\n");
        Directory.CreateDirectory(TempDirectory);
        Directory.CreateDirectory(QueueDirectory);
        if (DvcCacheDirectory != CacheDirectory && _givenDvcCacheDirectory is null)
        {
            Directory.CreateDirectory(DvcCacheDirectory);
            if (DvcCacheDirectory.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                // DVC's own .dvc/.gitignore keeps its cache out of Git; a .dvc/ without it must not record the cache.
                WriteIfMissing(Path.Combine(DvcCacheDirectory, ".gitignore"), "*\n");
            }
        }
    }

    /// <summary>Writes a default <c>.exp/config.yaml</c> when there is none; returns whether it wrote one.</summary>
    public bool WriteDefaultConfig() => WriteIfMissing(Path.Combine(ExpDirectory, "config.yaml"), ExpConfig.DefaultText);

    /// <summary>The cache for the state table's kind of hash (see <see cref="DvcCacheDirectory"/>).</summary>
    public ContentCache OpenCache(StateTable state) =>
        new(state.Kind == HashKind.Md5 ? DvcCacheDirectory : CacheDirectory, Config.LinkOrder, state);

    public StateTable OpenStateTable(HashKind kind = HashKind.Sha256) =>
        StateTable.Open(Path.Combine(TempDirectory, kind == HashKind.Md5 ? "state-md5" : "state"), kind);

    /// <summary>The caches of both kinds of pipeline, opened as needed; save them when the command is done.</summary>
    public CacheSet OpenCaches() => new(this);

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

    /// <summary>The full path of a pipeline path: repo-relative, above the root (against <see cref="OriginRoot"/>) or absolute.</summary>
    public string FullPath(string repoPath) =>
        repoPath.Length == 0 ? Root
        : repoPath == ".." || repoPath.StartsWith("../", StringComparison.Ordinal)
            ? Path.GetFullPath(Path.Combine(OriginRoot, repoPath))
        : Path.Combine(Root, repoPath);

    private string FindDvcCacheDirectory()
    {
        var dvc = Path.Combine(Root, ".dvc");
        return !Directory.Exists(dvc) ? CacheDirectory : DvcConfig.Load(dvc).CacheDir ?? Path.Combine(dvc, "cache");
    }

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
