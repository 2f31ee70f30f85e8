namespace GitExp.Core.Git;

/// <summary>
/// Paths of a work tree that only GitExp or Git write: the cache, run store and scratch files under <c>.exp/</c>,
/// the isolated workspaces under <c>.exptmp/</c>, and anything named <c>.git</c>. A tree of an experiment (which may
/// come from anyone, through <c>exp pull</c>) must never write them: a file under <c>.exp/cache</c> would become a
/// cache object whose bytes no one checked.
/// </summary>
public static class ToolPaths
{
    /// <summary>The only files under <c>.exp/</c> that belong in Git (see <c>exp init</c>).</summary>
    private static readonly string[] Committed = ["config.yaml", ".gitignore"];

    /// <summary>True when a repo-relative path (with '/') is one a tree must never write.</summary>
    public static bool IsInternal(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('/');
        if (parts.Any(p => p.Equals(".git", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // Case-insensitive: on macOS and Windows '.EXP/cache' is the same folder.
        if (parts[0].Equals(".exptmp", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return parts[0].Equals(".exp", StringComparison.OrdinalIgnoreCase)
            && !(parts.Length == 2 && Committed.Contains(parts[1], StringComparer.Ordinal));
    }

    /// <summary>The first path of <paramref name="paths"/> that <see cref="IsInternal"/>, or null.</summary>
    public static string? FirstInternal(IEnumerable<string> paths) => paths.FirstOrDefault(IsInternal);
}
