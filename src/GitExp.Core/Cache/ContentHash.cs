namespace GitExp.Core.Cache;

/// <summary>The identity of a cached file or directory: SHA-256 (with a <c>.dir</c> suffix for directories), total size and file count.</summary>
public sealed record ContentHash(string Sha256, long Size, int? NFiles)
{
    /// <summary>The suffix that marks the hash of a directory manifest.</summary>
    public const string DirSuffix = ".dir";

    public bool IsDirectory => Sha256.EndsWith(DirSuffix, StringComparison.Ordinal);
}
