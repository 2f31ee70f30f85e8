namespace GitExp.Core.Cache;

/// <summary>How a cached object is placed into the workspace, in the order they are tried.</summary>
public enum LinkType
{
    /// <summary>Copy-on-write clone (btrfs, XFS); falls back when the file system cannot clone.</summary>
    Reflink,

    /// <summary>A second name for the cached file; the workspace copy is read-only.</summary>
    Hardlink,

    /// <summary>A symbolic link to the cached file.</summary>
    Symlink,

    /// <summary>A full, writable copy.</summary>
    Copy,
}

/// <summary>Parses the <c>cache.type</c> config value into a link order.</summary>
public static class LinkTypes
{
    /// <summary>The order used when the project does not configure one.</summary>
    public static IReadOnlyList<LinkType> Default { get; } = [LinkType.Reflink, LinkType.Hardlink, LinkType.Copy];

    /// <summary>Parses a comma list such as <c>reflink,hardlink,copy</c> (case-insensitive, spaces allowed).</summary>
    public static IReadOnlyList<LinkType> Parse(string commaList)
    {
        ArgumentNullException.ThrowIfNull(commaList);
        var result = new List<LinkType>();
        foreach (var part in commaList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            LinkType type = part.ToLowerInvariant() switch
            {
                "reflink" => LinkType.Reflink,
                "hardlink" => LinkType.Hardlink,
                "symlink" => LinkType.Symlink,
                "copy" => LinkType.Copy,
                _ => throw new ExpException(
                    ExitCode.InvalidProject,
                    $"unknown cache link type '{part}' in '{commaList}'; expected reflink, hardlink, symlink or copy"
                ),
            };
            if (!result.Contains(type))
            {
                result.Add(type);
            }
        }

        if (result.Count == 0)
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                $"cache link type list '{commaList}' is empty; expected e.g. 'reflink,hardlink,copy'"
            );
        }

        return result;
    }
}
