namespace GitExp.Core.Pipeline;

/// <summary>Repo-relative path arithmetic shared by the pipeline and lock files.</summary>
internal static class RepoPath
{
    /// <summary>Normalizes a repo-relative path; returns null when it is absolute or leaves the repository.</summary>
    public static string? Normalize(string path)
    {
        var p = path.Replace('\\', '/');
        if (p.StartsWith('/') || (p.Length >= 2 && p[1] == ':' && char.IsAsciiLetter(p[0])))
        {
            return null;
        }
        var parts = new List<string>();
        foreach (var part in p.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Resolves <paramref name="relative"/> against the repo-relative directory <paramref name="baseDir"/>.</summary>
    public static string? Combine(string baseDir, string relative)
    {
        var r = relative.Replace('\\', '/');
        if (r.StartsWith('/') || (r.Length >= 2 && r[1] == ':' && char.IsAsciiLetter(r[0])))
        {
            return null;
        }
        return Normalize(baseDir.Length == 0 ? r : baseDir + "/" + r);
    }

    /// <summary>
    /// Normalizes a path that may lie outside the repository, as DVC accepts for a dep (and an uncached out): inside,
    /// the repo-relative form; above the root, with its leading "../" kept; absolute, as an absolute path with '/'.
    /// </summary>
    public static string NormalizeAny(string path)
    {
        var p = path.Replace('\\', '/');
        var prefix =
            p.StartsWith('/') ? "/"
            : p.Length >= 2 && p[1] == ':' && char.IsAsciiLetter(p[0]) ? p[..2] + "/"
            : "";
        var parts = new List<string>();
        foreach (var part in p[(prefix.Length == 3 ? 2 : 0)..].Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".." || prefix.Length == 0)
            {
                // Above an absolute path's root there is only the root.
                parts.Add(part);
            }
        }

        return prefix + string.Join('/', parts);
    }

    /// <summary>Resolves <paramref name="relative"/> (or an absolute path) against <paramref name="baseDir"/>, inside the repository or not.</summary>
    public static string CombineAny(string baseDir, string relative) =>
        IsAbsolute(relative.Replace('\\', '/')) || baseDir.Length == 0
            ? NormalizeAny(relative)
            : NormalizeAny(baseDir + "/" + relative.Replace('\\', '/'));

    /// <summary>True for a path <see cref="NormalizeAny"/> left outside the repository: above its root, or absolute.</summary>
    public static bool IsOutside(string path) =>
        path == ".." || path.StartsWith("../", StringComparison.Ordinal) || IsAbsolute(path);

    /// <summary>True for an <c>http://</c> or <c>https://</c> URL: DVC's HTTP dependency, kept as written.</summary>
    public static bool IsHttpUrl(string path) =>
        path.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static bool IsAbsolute(string path) =>
        path.StartsWith('/') || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]));

    public static string DirectoryOf(string repoRelativeFile)
    {
        var i = repoRelativeFile.LastIndexOf('/');
        return i < 0 ? "" : repoRelativeFile[..i];
    }

    /// <summary>The path of <paramref name="target"/> as seen from directory <paramref name="fromDir"/>, using ".." where needed.</summary>
    public static string RelativeTo(string fromDir, string target)
    {
        if (fromDir.Length == 0)
        {
            return target;
        }
        var from = fromDir.Split('/');
        var to = target.Length == 0 ? [] : target.Split('/');
        var common = 0;
        while (common < from.Length && common < to.Length && from[common] == to[common])
        {
            common++;
        }
        var parts = Enumerable.Repeat("..", from.Length - common).Concat(to.Skip(common)).ToList();
        return parts.Count == 0 ? "." : string.Join('/', parts);
    }

    /// <summary>True when <paramref name="inner"/> lies strictly inside directory <paramref name="outer"/>.</summary>
    public static bool IsInside(string inner, string outer) =>
        outer.Length == 0
            ? inner.Length > 0
            : inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal) && inner[outer.Length] == '/';

    /// <summary>The proper ancestors of a path, nearest first, excluding the root.</summary>
    public static IEnumerable<string> Ancestors(string path)
    {
        for (var i = path.LastIndexOf('/'); i > 0; i = path.LastIndexOf('/', i - 1))
        {
            yield return path[..i];
        }
    }

    public static string ToFull(string repoRoot, string repoRelative) =>
        repoRelative.Length == 0
            ? Path.GetFullPath(repoRoot)
            : Path.GetFullPath(Path.Combine(repoRoot, repoRelative.Replace('/', Path.DirectorySeparatorChar)));

    /// <summary>Writes through a temp file in the same directory and a rename, so readers never see half a file.</summary>
    public static void WriteAtomic(string fullPath, string text)
    {
        var dir = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text, new System.Text.UTF8Encoding(false));
            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
