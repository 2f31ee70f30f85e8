using System.Text;

namespace GitExp.Core.Cache;

/// <summary>Remembers each file's SHA-256 by (path, size, mtime, inode) so unchanged files are never hashed twice.</summary>
/// <remarks>
/// File format (little-endian): the 8 bytes <c>EXPSTAT1</c>, an int32 entry count, then per entry
/// the full path (BinaryWriter string: 7-bit length + UTF-8), int64 size, int64 mtime in 100 ns
/// ticks since the Unix epoch, uint64 inode and the 32 raw bytes of the SHA-256 (a table of MD5s, for DVC
/// projects, starts <c>EXPSTMD5</c> and holds 16 raw bytes). The inode comes
/// from statx on Linux, so a file replaced by another of the same size and mtime (a rename over
/// it, a new link from the cache) is still noticed; elsewhere it is 0 and size + mtime decide.
/// The file is only a cache: anything unreadable gives an empty table. Safe to share between
/// threads (parallel stage workers in one process); between processes the last Save wins.
/// </remarks>
public sealed class StateTable
{
    private static readonly byte[] Sha256Magic = "EXPSTAT1"u8.ToArray();
    private static readonly byte[] Md5Magic = "EXPSTMD5"u8.ToArray();

    private readonly string _path;
    private readonly HashKind _kind;
    private readonly Dictionary<string, Entry> _entries;
    private readonly Lock _lock = new();
    private bool _dirty;

    private StateTable(string path, HashKind kind, Dictionary<string, Entry> entries)
    {
        _path = path;
        _kind = kind;
        _entries = entries;
    }

    /// <summary>The kind of hash this table remembers.</summary>
    public HashKind Kind => _kind;

    /// <summary>Number of remembered files.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public static StateTable Open(string stateFilePath, HashKind kind = HashKind.Sha256)
    {
        ArgumentNullException.ThrowIfNull(stateFilePath);
        var full = Path.GetFullPath(stateFilePath);
        return new StateTable(full, kind, Load(full, kind));
    }

    public bool TryGet(string fullPath, out string sha256)
    {
        sha256 = "";
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(fullPath, out entry))
            {
                return false;
            }
        }

        var stat = Posix.Stat(fullPath);
        if (stat is not { } s || s.Size != entry.Size || s.MtimeTicks != entry.MtimeTicks || s.Inode != entry.Inode)
        {
            return false;
        }

        sha256 = entry.Sha256;
        return true;
    }

    public void Set(string fullPath, string sha256)
    {
        var stat = Posix.Stat(fullPath);
        lock (_lock)
        {
            if (stat is not { } s)
            {
                _dirty |= _entries.Remove(fullPath);
                return;
            }

            var entry = new Entry(s.Size, s.MtimeTicks, s.Inode, sha256);
            if (_entries.TryGetValue(fullPath, out var old) && old == entry)
            {
                return;
            }

            _entries[fullPath] = entry;
            _dirty = true;
        }
    }

    /// <summary>Adds an entry without touching the disk, so tests can build large tables quickly.</summary>
    internal void SetForTest(string fullPath, long size, long mtimeTicks, ulong inode, string sha256)
    {
        lock (_lock)
        {
            _entries[fullPath] = new Entry(size, mtimeTicks, inode, sha256);
            _dirty = true;
        }
    }

    /// <summary>The remembered entry for a path as stored, without checking the disk; for tests of the file format.</summary>
    internal (long Size, long MtimeTicks, ulong Inode, string Sha256)? EntryForTest(string fullPath)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(fullPath, out var e) ? (e.Size, e.MtimeTicks, e.Inode, e.Sha256) : null;
        }
    }

    public void Save()
    {
        lock (_lock)
        {
            SaveLocked();
        }
    }

    private void SaveLocked()
    {
        if (!_dirty)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        // A unique temp name per writer and a rename: concurrent writers never interleave bytes,
        // and the last rename wins with a whole file.
        var tmp = $"{_path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(MagicOf(_kind));
                writer.Write(_entries.Count);
                Span<byte> raw = stackalloc byte[_kind.HexLength() / 2];
                foreach (var (path, e) in _entries)
                {
                    writer.Write(path);
                    writer.Write(e.Size);
                    writer.Write(e.MtimeTicks);
                    writer.Write(e.Inode);
                    Convert.FromHexString(e.Sha256, raw, out _, out _);
                    writer.Write(raw);
                }
            }

            File.Move(tmp, _path, overwrite: true);
            _dirty = false;
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static byte[] MagicOf(HashKind kind) => kind == HashKind.Md5 ? Md5Magic : Sha256Magic;

    private static Dictionary<string, Entry> Load(string path, HashKind kind)
    {
        var magic = MagicOf(kind);
        var digestBytes = kind.HexLength() / 2;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (!reader.ReadBytes(magic.Length).AsSpan().SequenceEqual(magic))
            {
                return new(StringComparer.Ordinal);
            }

            var count = reader.ReadInt32();
            if (count < 0 || count > stream.Length / (24 + digestBytes))
            {
                return new(StringComparer.Ordinal);
            }

            var entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var p = reader.ReadString();
                var size = reader.ReadInt64();
                var mtime = reader.ReadInt64();
                var inode = reader.ReadUInt64();
                var sha = Convert.ToHexStringLower(reader.ReadBytes(digestBytes));
                if (sha.Length != kind.HexLength())
                {
                    return new(StringComparer.Ordinal);
                }

                entries[p] = new Entry(size, mtime, inode, sha);
            }

            return entries;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            // Missing, truncated or garbled: the table is only a cache, start empty.
            return new(StringComparer.Ordinal);
        }
    }

    private readonly record struct Entry(long Size, long MtimeTicks, ulong Inode, string Sha256);
}
