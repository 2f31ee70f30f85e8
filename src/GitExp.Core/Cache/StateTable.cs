using System.Buffers.Binary;
using System.Text;
using GitExp.Core.Diagnostics;

namespace GitExp.Core.Cache;

/// <summary>Remembers each file's SHA-256 by (path, size, mtime, inode) so unchanged files are never hashed twice.</summary>
/// <remarks>
/// File format (little-endian): the 8 bytes <c>EXPSTAT1</c>, an int32 entry count, then per entry
/// the full path (BinaryWriter string: 7-bit length + UTF-8), int64 size, int64 mtime in 100 ns
/// ticks since the Unix epoch, uint64 inode and the 32 raw bytes of the SHA-256 (a table of MD5s, for DVC
/// projects, starts <c>EXPSTMD5</c> and holds 16 raw bytes). Then, optionally (older tables end before it), the
/// folders: an int32 count, then per folder its full path, the 32-byte fingerprint of its files (see
/// <see cref="DirectoryFingerprint"/>), int64 total size, int32 file count and the raw digest of its manifest.
/// The inode comes from statx on Linux, so a file replaced by another of the same size and mtime (a rename over
/// it, a new link from the cache) is still noticed; elsewhere it is 0 and size + mtime decide. These are DVC's
/// rules (its state db keys files by inode, mtime and size, and a folder by its files' mtimes and sizes): a file
/// edited in place with its size kept and its old mtime put back is not noticed.
/// The file is only a cache: anything unreadable gives an empty table. Safe to share between
/// threads (parallel stage workers in one process); between processes the last Save wins.
/// </remarks>
public sealed class StateTable
{
    private static readonly byte[] Sha256Magic = "EXPSTAT1"u8.ToArray();
    private static readonly byte[] Md5Magic = "EXPSTMD5"u8.ToArray();

    private readonly string _path;
    private readonly HashKind _kind;
    private readonly Dictionary<string, FolderEntry> _folders;
    private readonly Lock _lock = new();
    private Dictionary<string, Entry>? _entries;
    private bool _dirty;

    // The files' section of the table as read, parsed on the first look-up of a file: an unchanged folder is
    // recognised by its fingerprint alone, so a command that finds every folder unchanged never parses it.
    private byte[]? _raw;
    private int _filesStart;
    private int _filesCount;

    private StateTable(string path, HashKind kind, Dictionary<string, FolderEntry> folders)
    {
        _path = path;
        _kind = kind;
        _folders = folders;
    }

    // Callers hold _lock.
    private Dictionary<string, Entry> Entries => _entries ??= ParseFiles();

    /// <summary>Whether the files' section has been parsed (a file was looked up or remembered); for tests.</summary>
    internal bool FilesParsed
    {
        get
        {
            lock (_lock)
            {
                return _entries is not null;
            }
        }
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
                return Entries.Count;
            }
        }
    }

    /// <summary>Number of remembered folders.</summary>
    internal int FolderCount
    {
        get
        {
            lock (_lock)
            {
                return _folders.Count;
            }
        }
    }

    public static StateTable Open(string stateFilePath, HashKind kind = HashKind.Sha256)
    {
        ArgumentNullException.ThrowIfNull(stateFilePath);
        var full = Path.GetFullPath(stateFilePath);
        using var span = ExpTrace.Start("state: load " + full);
        var table = new StateTable(full, kind, new Dictionary<string, FolderEntry>(StringComparer.Ordinal));
        table.Load();
        return table;
    }

    public bool TryGet(string fullPath, out string sha256)
    {
        sha256 = "";
        return Posix.Stat(fullPath) is { } stat && TryGet(fullPath, stat, out sha256);
    }

    /// <summary>The remembered hash of the file, when <paramref name="stat"/> (taken by the caller) is the version it was taken of.</summary>
    internal bool TryGet(string fullPath, in Posix.FileStat stat, out string sha256)
    {
        sha256 = "";
        Entry entry;
        lock (_lock)
        {
            if (!Entries.TryGetValue(fullPath, out entry))
            {
                return false;
            }
        }

        if (!stat.IsSameVersion(new Posix.FileStat(entry.Size, entry.MtimeTicks, entry.Inode, 0, false)))
        {
            return false;
        }

        sha256 = entry.Sha256;
        return true;
    }

    public void Set(string fullPath, string sha256)
    {
        if (Posix.Stat(fullPath) is { } stat)
        {
            Set(fullPath, stat, sha256);
            return;
        }

        lock (_lock)
        {
            _dirty |= Entries.Remove(fullPath);
        }
    }

    /// <summary>Remembers <paramref name="sha256"/> for the version of the file <paramref name="stat"/> describes.</summary>
    internal void Set(string fullPath, in Posix.FileStat stat, string sha256)
    {
        var entry = new Entry(stat.Size, stat.MtimeTicks, stat.Inode, sha256);
        lock (_lock)
        {
            if (Entries.TryGetValue(fullPath, out var old) && old == entry)
            {
                return;
            }

            Entries[fullPath] = entry;
            _dirty = true;
        }
    }

    /// <summary>Remembers many files at once (a folder's worth, hashed on several threads) under one lock.</summary>
    internal void SetMany(IEnumerable<(string FullPath, Posix.FileStat Stat, string Sha256)> files)
    {
        lock (_lock)
        {
            foreach (var (path, stat, sha) in files)
            {
                var entry = new Entry(stat.Size, stat.MtimeTicks, stat.Inode, sha);
                if (!Entries.TryGetValue(path, out var old) || old != entry)
                {
                    Entries[path] = entry;
                    _dirty = true;
                }
            }
        }
    }

    /// <summary>
    /// The remembered hash of a folder whose files are exactly those <paramref name="fingerprint"/> was made of
    /// (same names, sizes, mtimes and inodes): DVC's folder rule, so an unchanged folder costs one stat per file.
    /// </summary>
    internal bool TryGetFolder(
        string fullPath,
        ReadOnlySpan<byte> fingerprint,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ContentHash? hash
    )
    {
        lock (_lock)
        {
            if (_folders.TryGetValue(fullPath, out var entry) && fingerprint.SequenceEqual(entry.Fingerprint))
            {
                hash = entry.Hash;
                return true;
            }
        }

        hash = null;
        return false;
    }

    /// <summary>Remembers a folder's hash for the files <paramref name="fingerprint"/> was made of.</summary>
    internal void SetFolder(string fullPath, byte[] fingerprint, ContentHash hash)
    {
        if (hash.NFiles is null || !hash.IsDirectory)
        {
            throw new ArgumentException("a folder's hash names its manifest and counts its files", nameof(hash));
        }

        lock (_lock)
        {
            if (
                _folders.TryGetValue(fullPath, out var old)
                && old.Hash == hash
                && old.Fingerprint.AsSpan().SequenceEqual(fingerprint)
            )
            {
                return;
            }

            _folders[fullPath] = new FolderEntry(fingerprint, hash);
            _dirty = true;
        }
    }

    /// <summary>Adds an entry without touching the disk, so tests can build large tables quickly.</summary>
    internal void SetForTest(string fullPath, long size, long mtimeTicks, ulong inode, string sha256)
    {
        lock (_lock)
        {
            Entries[fullPath] = new Entry(size, mtimeTicks, inode, sha256);
            _dirty = true;
        }
    }

    /// <summary>The remembered entry for a path as stored, without checking the disk; for tests of the file format.</summary>
    internal (long Size, long MtimeTicks, ulong Inode, string Sha256)? EntryForTest(string fullPath)
    {
        lock (_lock)
        {
            return Entries.TryGetValue(fullPath, out var e) ? (e.Size, e.MtimeTicks, e.Inode, e.Sha256) : null;
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

        var entries = Entries;
        using var span = ExpTrace.Start($"state: save {entries.Count} entries");
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
                writer.Write(entries.Count);
                Span<byte> raw = stackalloc byte[_kind.HexLength() / 2];
                foreach (var (path, e) in entries)
                {
                    writer.Write(path);
                    writer.Write(e.Size);
                    writer.Write(e.MtimeTicks);
                    writer.Write(e.Inode);
                    Convert.FromHexString(e.Sha256, raw, out _, out _);
                    writer.Write(raw);
                }

                writer.Write(_folders.Count);
                foreach (var (path, f) in _folders)
                {
                    writer.Write(path);
                    writer.Write(f.Fingerprint);
                    writer.Write(f.Hash.Size);
                    writer.Write(f.Hash.NFiles!.Value);
                    Convert.FromHexString(f.Hash.Sha256.AsSpan(0, raw.Length * 2), raw, out _, out _);
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

    // Reads the whole file, checks the files' section by its lengths alone and parses the folders' section.
    private void Load()
    {
        var magic = MagicOf(_kind);
        var digestBytes = _kind.HexLength() / 2;
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // missing or unreadable: the table is only a cache, start empty
        }

        if (raw.Length < magic.Length + 4 || !raw.AsSpan(0, magic.Length).SequenceEqual(magic))
        {
            return;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(magic.Length));
        var at = magic.Length + 4;
        if (count < 0 || count > (raw.Length - at) / (25 + digestBytes))
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            if (ReadLength(raw, ref at) is not { } length || (long)at + length + 24 + digestBytes > raw.Length)
            {
                return; // truncated or garbled: start empty
            }

            at += length + 24 + digestBytes;
        }

        if (!LoadFolders(raw, at, _kind, _folders))
        {
            _folders.Clear();
            return;
        }

        _raw = raw;
        _filesStart = magic.Length + 4;
        _filesCount = count;
    }

    // The 7-bit encoded length BinaryWriter writes before a string; null when it runs past the end or overflows.
    private static int? ReadLength(byte[] raw, ref int at)
    {
        var length = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (at >= raw.Length)
            {
                return null;
            }

            var b = raw[at++];
            length |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return length >= 0 ? length : null;
            }
        }

        return null;
    }

    private Dictionary<string, Entry> ParseFiles()
    {
        var entries = new Dictionary<string, Entry>(_filesCount, StringComparer.Ordinal);
        if (_raw is not { } raw)
        {
            return entries;
        }

        using var span = ExpTrace.Start($"state: parse {_filesCount} files");
        var digestBytes = _kind.HexLength() / 2;
        var at = _filesStart;
        for (var i = 0; i < _filesCount; i++)
        {
            // Load checked every length, so none of these reads runs past the end.
            var length = ReadLength(raw, ref at)!.Value;
            var p = Encoding.UTF8.GetString(raw, at, length);
            at += length;
            var size = BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(at));
            var mtime = BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(at + 8));
            var inode = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(at + 16));
            var sha = Convert.ToHexStringLower(raw, at + 24, digestBytes);
            at += 24 + digestBytes;
            entries[p] = new Entry(size, mtime, inode, sha);
        }

        _raw = null;
        return entries;
    }

    // The folders' section follows the files'; a table written before it existed simply ends there. False when garbled.
    private static bool LoadFolders(byte[] raw, int at, HashKind kind, Dictionary<string, FolderEntry> folders)
    {
        if (at == raw.Length)
        {
            return true;
        }

        var digestBytes = kind.HexLength() / 2;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(raw, at, raw.Length - at, writable: false), Encoding.UTF8);
            var count = reader.ReadInt32();
            if (count < 0 || count > (raw.Length - at) / (DirectoryFingerprint.Length + 12 + digestBytes))
            {
                return true; // as before: an implausible folder count leaves the files' section usable
            }

            for (var i = 0; i < count; i++)
            {
                var p = reader.ReadString();
                var fingerprint = reader.ReadBytes(DirectoryFingerprint.Length);
                var size = reader.ReadInt64();
                var files = reader.ReadInt32();
                var digest = reader.ReadBytes(digestBytes);
                if (fingerprint.Length != DirectoryFingerprint.Length || digest.Length != digestBytes)
                {
                    folders.Clear();
                    return true;
                }

                folders[p] = new FolderEntry(
                    fingerprint,
                    new ContentHash(Convert.ToHexStringLower(digest) + ContentHash.DirSuffix, size, files)
                );
            }

            return true;
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private readonly record struct Entry(long Size, long MtimeTicks, ulong Inode, string Sha256);

    private sealed record FolderEntry(byte[] Fingerprint, ContentHash Hash);
}
