using System.Buffers;
using System.Buffers.Binary;
using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text;

namespace GitExp.Core.Cache;

/// <summary>A file under a folder being hashed or saved: its path relative to the folder (forward slashes) and its stat.</summary>
internal sealed record ListedFile(string FullPath, string RelativePath, Posix.FileStat Stat);

/// <summary>
/// Lists a folder's files with one stat each, and fingerprints that listing: what the state table keys a folder's
/// hash by, so an unchanged folder is recognised without a lookup per file (DVC keys a folder by its files' mtimes
/// and sizes the same way).
/// </summary>
internal static class DirectoryFingerprint
{
    public const int Length = 32;

    // Below this many files, starting threads costs more than the stats they would share.
    private const int ParallelStatFiles = 2000;

    // Debris of an interrupted link into the workspace; never part of an out.
    private const string WorkspaceTempSuffix = ".exptmp";

    private static readonly EnumerationOptions AllFiles = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = 0, // the default skips dot-files, which are ordinary outputs here
        IgnoreInaccessible = false,
    };

    /// <summary>The paths of the files under <paramref name="dir"/> (a full path), not yet stat'ed.</summary>
    public static List<string> ListPaths(string dir) =>
        new FileSystemEnumerable<string>(dir, static (ref FileSystemEntry e) => e.ToFullPath(), AllFiles)
        {
            ShouldIncludePredicate = static (ref FileSystemEntry e) =>
                !e.IsDirectory && !e.FileName.EndsWith(WorkspaceTempSuffix, StringComparison.Ordinal),
        }.ToList();

    /// <summary>The files under <paramref name="dir"/> (a full path), each stat'ed once, sorted by relative path (ordinal, as manifests are).</summary>
    public static List<ListedFile> List(string dir)
    {
        var root = Path.TrimEndingDirectorySeparator(dir).Length + 1;
        var paths = ListPaths(dir);
        // Stat'ing is most of the cost of an unchanged folder (one system call per file): a large folder's files are
        // stat'ed on all cores, a small one's on this thread alone.
        ListedFile ListOne(string full)
        {
            var stat = Posix.Stat(full) ?? throw new FileNotFoundException("file vanished while hashing", full);
            var relative = full[root..];
            return new ListedFile(full, Path.DirectorySeparatorChar == '/' ? relative : relative.Replace('\\', '/'), stat);
        }

        var files =
            paths.Count >= ParallelStatFiles
                ? new List<ListedFile>(ContentCache.InParallel(paths, ListOne))
                : paths.ConvertAll(ListOne);
        files.Sort(static (a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    /// <summary>SHA-256 over every file's relative path, size, mtime, inode and executable bit, in order.</summary>
    public static byte[] Of(IReadOnlyList<ListedFile> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var used = 0;
            foreach (var file in files)
            {
                var needed = Encoding.UTF8.GetMaxByteCount(file.RelativePath.Length) + 26;
                if (used + needed > buffer.Length)
                {
                    hash.AppendData(buffer, 0, used);
                    used = 0;
                    if (needed > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(needed);
                    }
                }

                var span = buffer.AsSpan(used);
                var n = Encoding.UTF8.GetBytes(file.RelativePath, span);
                span[n++] = 0;
                BinaryPrimitives.WriteInt64LittleEndian(span[n..], file.Stat.Size);
                BinaryPrimitives.WriteInt64LittleEndian(span[(n + 8)..], file.Stat.MtimeTicks);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(n + 16)..], file.Stat.Inode);
                span[n + 24] = file.Stat.IsExecutable ? (byte)1 : (byte)0;
                used += n + 25;
            }

            hash.AppendData(buffer, 0, used);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return hash.GetHashAndReset();
    }
}
