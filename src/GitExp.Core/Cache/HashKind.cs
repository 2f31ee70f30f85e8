namespace GitExp.Core.Cache;

/// <summary>How a content hash is computed and how the cache lays out its objects.</summary>
/// <remarks>See docs/decisions/0022-md5-for-dvc-projects.md.</remarks>
public enum HashKind
{
    /// <summary>exp.yaml projects: SHA-256, objects at <c>sha256/ab/cdef…</c>, GitExp's manifest for directories.</summary>
    Sha256,

    /// <summary>dvc.yaml projects: DVC 3's plain MD5, objects at <c>files/md5/ab/cdef…</c>, DVC's <c>.dir</c> manifest.</summary>
    Md5,
}

/// <summary>Facts about each <see cref="HashKind"/>.</summary>
public static class HashKinds
{
    /// <summary>Hex digits of a hash of this kind.</summary>
    public static int HexLength(this HashKind kind) => kind == HashKind.Md5 ? 32 : 64;

    /// <summary>The folder of the cache that holds objects of this kind (DVC 3's layout for MD5).</summary>
    public static string ObjectFolder(this HashKind kind) => kind == HashKind.Md5 ? Path.Combine("files", "md5") : "sha256";

    /// <summary>
    /// The kind of a recorded object name (a hash, or a directory's hash plus <c>.dir</c>) by its length; null
    /// when it is neither: for readers of run records, which keep the hash but not the pipeline it came from.
    /// </summary>
    public static HashKind? OfObjectName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var length = name.EndsWith(ContentHash.DirSuffix, StringComparison.Ordinal)
            ? name.Length - ContentHash.DirSuffix.Length
            : name.Length;
        return length switch
        {
            32 => HashKind.Md5,
            64 => HashKind.Sha256,
            _ => null,
        };
    }
}
