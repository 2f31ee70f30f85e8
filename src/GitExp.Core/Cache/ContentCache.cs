using System.Text.Json;
using GitExp.Core.Diagnostics;

namespace GitExp.Core.Cache;

/// <summary>The content-addressed store under <c>.exp/cache</c>: saves outputs into it and links them back into the workspace.</summary>
/// <remarks>
/// Objects live at <c>sha256/ab/cdef…</c> (for DVC projects, MD5 at <c>files/md5/ab/cdef…</c>, as DVC 3 keeps
/// them; the <see cref="HashKind"/> is the state table's) and are read-only; a directory is a JSON manifest object
/// named by its hash plus <c>.dir</c>. Every object appears by a rename from <c>tmp/</c>, so an
/// object path never holds a partial file. Hashes go through the <see cref="StateTable"/>; the
/// caller saves it when done. Safe to share between threads; separate processes may share the
/// cache folder, since every write is a rename of a complete file.
/// </remarks>
public sealed class ContentCache
{
    private const string WorkspaceTempSuffix = ".exptmp";

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    private readonly IReadOnlyList<LinkType> _linkOrder;
    private readonly StateTable _state;
    private bool _reflinkUnsupported;
    private int _filesHashed;

    public ContentCache(string cacheDir, IReadOnlyList<LinkType> linkOrder, StateTable state)
    {
        ArgumentNullException.ThrowIfNull(cacheDir);
        ArgumentNullException.ThrowIfNull(linkOrder);
        ArgumentNullException.ThrowIfNull(state);
        if (linkOrder.Count == 0)
        {
            throw new ArgumentException("at least one link type is needed", nameof(linkOrder));
        }

        CacheDir = Path.GetFullPath(cacheDir);
        _linkOrder = linkOrder;
        _state = state;
    }

    public string CacheDir { get; }

    public IReadOnlyList<LinkType> LinkOrder => _linkOrder;

    /// <summary>The state table hashes go through; save it when a command is done.</summary>
    public StateTable State => _state;

    /// <summary>How this cache hashes and names its objects (the state table's kind).</summary>
    public HashKind Kind => _state.Kind;

    /// <summary>How many files this instance actually read and hashed (state-table misses).</summary>
    internal int FilesHashed => _filesHashed;

    private string TempDir => Path.Combine(CacheDir, "tmp");

    public string ObjectPath(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        var length = Kind.HexLength();
        if (
            sha256.Length < length
            || sha256.AsSpan(0, length).ContainsAnyExcept(HexDigits)
            || (sha256.Length > length && sha256[length..] != ContentHash.DirSuffix)
        )
        {
            throw new ArgumentException($"'{sha256}' is not a {Kind} object name", nameof(sha256));
        }

        return Path.Combine(CacheDir, Kind.ObjectFolder(), sha256[..2], sha256[2..]);
    }

    /// <param name="progress">Told the files and bytes that must be read (those the state table does not know) as they are.</param>
    public ContentHash Hash(string fullPath, FileProgress? progress = null)
    {
        fullPath = Path.GetFullPath(fullPath);
        if (Directory.Exists(fullPath))
        {
            return HashDirectory(fullPath, progress);
        }

        if (File.Exists(fullPath))
        {
            var stat = Posix.Stat(fullPath) ?? throw new FileNotFoundException("file vanished while hashing", fullPath);
            var (sha, _) = HashOne(fullPath, stat, progress);
            return new ContentHash(sha, stat.Size, null);
        }

        throw new ExpException(ExitCode.NotFound, $"'{fullPath}' does not exist");
    }

    /// <summary>
    /// A folder's hash: one stat per file, and when the files are those the state table last saw for this folder,
    /// its remembered hash; otherwise each file's (hashing, in parallel, those the table does not know).
    /// </summary>
    private ContentHash HashDirectory(string fullPath, FileProgress? progress)
    {
        List<ListedFile> files;
        byte[] fingerprint;
        using (ExpTrace.Start($"hash: list and stat '{fullPath}'"))
        {
            files = DirectoryFingerprint.List(fullPath);
            fingerprint = DirectoryFingerprint.Of(files);
        }

        if (_state.TryGetFolder(fullPath, fingerprint, out var known))
        {
            return known;
        }

        // What the table knows costs nothing more; the rest is read, on all cores, and counted as the work to do.
        var shas = new string[files.Count];
        var unknown = new List<int>();
        for (var i = 0; i < files.Count; i++)
        {
            if (!_state.TryGet(files[i].FullPath, files[i].Stat, out shas[i]))
            {
                unknown.Add(i);
            }
        }

        progress?.AddTotal(unknown.Count, unknown.Sum(i => files[i].Stat.Size));
        bool[] unchanged;
        using (ExpTrace.Start($"hash: {unknown.Count} of {files.Count} files read"))
        {
            // The hashing threads share nothing but counters: what they learn goes into the table in one batch.
            unchanged = InParallel(
                unknown,
                i =>
                {
                    var f = files[i];
                    var (sha, same) = Tracked(progress, f.Stat.Size, onRead => Read(f.FullPath, f.Stat, onRead, remember: false));
                    shas[i] = sha;
                    return same;
                }
            );
        }

        _state.SetMany(unknown.Where((_, k) => unchanged[k]).Select(i => (files[i].FullPath, files[i].Stat, shas[i])));
        var stable = unchanged.All(u => u);

        var entries = files
            .Select((f, i) => new ManifestEntry(f.RelativePath, shas[i], f.Stat.Size, f.Stat.IsExecutable))
            .ToList();
        var hash = DirectoryHash(entries, Kind, out _);
        if (stable)
        {
            // Only a folder none of whose files changed while it was read: the fingerprint is of what was hashed.
            _state.SetFolder(fullPath, fingerprint, hash);
        }

        return hash;
    }

    /// <summary>
    /// Maps every item on all cores (hashing is CPU-bound once the bytes are in the page cache), keeping the order;
    /// the first failure is thrown as itself, not wrapped.
    /// </summary>
    internal static TOut[] InParallel<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map)
    {
        // Plain threads taking the next item, not the thread pool: its idle workers spin (sched_yield), which on a
        // busy machine hands the core to someone else; this thread works too, so one core costs no thread at all.
        var results = new TOut[items.Count];
        var next = -1;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;

        void Work()
        {
            try
            {
                for (int i; (i = Interlocked.Increment(ref next)) < items.Count; )
                {
                    results[i] = map(items[i]);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e), null);
                Volatile.Write(ref next, items.Count); // the others stop before their next item
            }
        }

        var helpers = new List<Thread>();
        for (var t = 1; t < Math.Min(Environment.ProcessorCount, items.Count); t++)
        {
            var thread = new Thread(Work) { IsBackground = true, Name = "GitExp hashing" };
            thread.Start();
            helpers.Add(thread);
        }

        Work();
        foreach (var thread in helpers)
        {
            thread.Join();
        }

        failure?.Throw();
        return results;
    }

    /// <param name="progress">Told every file and its bytes as they are stored.</param>
    public ContentHash Save(string fullPath, FileProgress? progress = null) => Save(fullPath, SaveFile, progress);

    /// <summary>
    /// Stores a copy of a file or folder and leaves the workspace copy exactly as it is (same inode,
    /// same mode): for checkpoints, taken while the stage still has its outs open and goes on writing.
    /// </summary>
    public ContentHash SaveCopy(string fullPath, FileProgress? progress = null) => Save(fullPath, CopyFile, progress);

    private ContentHash Save(
        string fullPath,
        Func<string, Action<int>?, (string Sha, long Size, bool Exec)> saveFile,
        FileProgress? progress
    )
    {
        fullPath = Path.GetFullPath(fullPath);
        if (Directory.Exists(fullPath))
        {
            // Listed before saving: linking drops temp files into the folders being walked.
            var files = DirectoryFingerprint.List(fullPath);
            progress?.AddTotal(files.Count, files.Sum(f => f.Stat.Size));
            var entries = InParallel(
                    files,
                    f =>
                    {
                        var (sha, size, exec) = Tracked(progress, f.Stat.Size, onRead => saveFile(f.FullPath, onRead));
                        return new ManifestEntry(f.RelativePath, sha, size, exec);
                    }
                )
                .ToList();
            var hash = DirectoryHash(entries, Kind, out var manifest);
            var obj = ObjectPath(hash.Sha256);
            if (!IsIntact(hash.Sha256))
            {
                WriteObject(obj, manifest);
                _state.Set(obj, hash.Sha256[..Kind.HexLength()]);
            }

            return hash;
        }

        if (File.Exists(fullPath))
        {
            var size = Posix.Stat(fullPath)?.Size ?? 0;
            progress?.AddTotal(1, size);
            var (sha, saved, _) = Tracked(progress, size, r => saveFile(fullPath, r));
            return new ContentHash(sha, saved, null);
        }

        throw new ExpException(ExitCode.NotFound, $"'{fullPath}' does not exist");
    }

    public bool Contains(ContentHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (!hash.IsDirectory)
        {
            // The size check also rejects an object truncated by a file system without atomic rename.
            return Posix.Stat(ObjectPath(hash.Sha256)) is { } s && (hash.Size < 0 || s.Size == hash.Size);
        }

        var manifest = TryReadManifest(hash.Sha256);
        // DVC's manifest has no sizes (-1): there the object's presence is the check.
        return manifest is not null
            && manifest.All(e => Posix.Stat(ObjectPath(e.Sha256)) is { } s && (e.Size < 0 || s.Size == e.Size));
    }

    /// <summary>
    /// Stores an object received from elsewhere (a cache remote): <paramref name="receive"/> writes its bytes into a
    /// file under <c>tmp/</c>, hashed as they come, and only bytes that hash to <paramref name="name"/> are renamed
    /// into place; anything else is deleted. False when the bytes were not what the name says.
    /// </summary>
    public async Task<bool> ReceiveAsync(string name, Func<Stream, Task> receive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receive);
        var obj = ObjectPath(name);
        Directory.CreateDirectory(TempDir);
        var tmp = Path.Combine(TempDir, Guid.NewGuid().ToString("N"));
        try
        {
            string actual;
            var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            await using (file.ConfigureAwait(false))
            {
                using var hashing = new FileHasher.HashingStream(file, Kind);
                await receive(hashing).ConfigureAwait(false);
                actual = hashing.Hex();
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (actual != name[..Kind.HexLength()])
            {
                return false;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
            SetReadOnly(tmp, exec: false);
            File.Move(tmp, obj, overwrite: true);
            _state.Set(obj, actual);
            return true;
        }
        catch (IOException e) when (DiskFull.AsUserError(e, obj) is { } full)
        {
            throw full;
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    public void Checkout(ContentHash hash, string fullPath)
    {
        ArgumentNullException.ThrowIfNull(hash);
        fullPath = Path.GetFullPath(fullPath);
        if (!hash.IsDirectory)
        {
            var obj = ObjectPath(hash.Sha256);
            if (!File.Exists(obj))
            {
                throw Missing(hash.Sha256, fullPath);
            }

            Verify(hash.Sha256, fullPath);
            if (Directory.Exists(fullPath) && new FileInfo(fullPath).LinkTarget is null)
            {
                RemoveOutput(fullPath);
            }

            Link(obj, fullPath, wantExec: null);
            _state.Set(fullPath, hash.Sha256);
            return;
        }

        if (File.Exists(ObjectPath(hash.Sha256)))
        {
            Verify(hash.Sha256, fullPath);
        }

        var entries = TryReadManifest(hash.Sha256) ?? throw Missing(hash.Sha256, fullPath);
        // Check everything first so a missing or damaged object leaves the workspace untouched.
        foreach (var e in entries)
        {
            if (!File.Exists(ObjectPath(e.Sha256)))
            {
                throw Missing(e.Sha256, Path.Combine(fullPath, e.RelativePath));
            }

            Verify(e.Sha256, Path.Combine(fullPath, e.RelativePath));
        }

        RemoveOutput(fullPath);
        Directory.CreateDirectory(fullPath);
        foreach (var e in entries)
        {
            var dest = Path.Combine(fullPath, e.RelativePath);
            Link(ObjectPath(e.Sha256), dest, e.IsExecutable);
            _state.Set(dest, e.Sha256);
        }
    }

    public IReadOnlyList<(string RelativePath, string Sha256, long Size)> ReadManifest(string dirSha256) =>
        (
            TryReadManifest(dirSha256)
            ?? throw new ExpException(ExitCode.NotFound, $"cache object {dirSha256} is missing or unreadable")
        )
            .Select(e => (e.RelativePath, e.Sha256, e.Size))
            .ToList();

    /// <summary>
    /// Turns a linked out (hardlink or symlink into the cache) into a private writable copy, so a
    /// stage that goes on writing it (a persistent or checkpoint out) can never change a cache object.
    /// </summary>
    public static void Detach(string fullPath)
    {
        if (Directory.Exists(fullPath) && new DirectoryInfo(fullPath).LinkTarget is null)
        {
            foreach (var file in Directory.EnumerateFiles(fullPath, "*", SearchOption.AllDirectories))
            {
                Detach(file);
            }

            return;
        }

        var info = new FileInfo(fullPath);
        var linked = info.LinkTarget is not null || (info.Exists && Posix.Stat(fullPath) is { Nlink: > 1 });
        if (!linked || !File.Exists(fullPath))
        {
            return;
        }

        var tmp = fullPath + ".exp-detach-" + Guid.NewGuid().ToString("N")[..8];
        File.Copy(fullPath, tmp); // follows a symlink: the copy holds the content
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(tmp, File.GetAttributes(tmp) & ~FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(tmp, File.GetUnixFileMode(tmp) | UnixFileMode.UserWrite);
        }
        File.Delete(fullPath);
        File.Move(tmp, fullPath);
    }

    /// <summary>Deletes a workspace file, symlink or directory tree, even when it is read-only.</summary>
    public static void RemoveOutput(string fullPath)
    {
        var info = new FileInfo(fullPath);
        if (info.LinkTarget is not null || info.Exists)
        {
            if (OperatingSystem.IsWindows() && info.Exists)
            {
                info.Attributes = FileAttributes.Normal;
            }

            info.Delete();
            return;
        }

        if (!Directory.Exists(fullPath))
        {
            return;
        }

        try
        {
            Directory.Delete(fullPath, recursive: true);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // A read-only folder (or, on Windows, a read-only file) blocks deletion: open it up and retry.
            MakeDeletable(new DirectoryInfo(fullPath));
            Directory.Delete(fullPath, recursive: true);
        }
    }

    private static void MakeDeletable(DirectoryInfo dir)
    {
        if (!OperatingSystem.IsWindows())
        {
            dir.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        foreach (var child in dir.EnumerateFileSystemInfos())
        {
            if (child.LinkTarget is not null)
            {
                continue;
            }

            if (child is DirectoryInfo sub)
            {
                MakeDeletable(sub);
            }
            else if (OperatingSystem.IsWindows())
            {
                child.Attributes = FileAttributes.Normal;
            }
        }
    }

    private static ExpException Missing(string sha, string path) =>
        new(ExitCode.NotFound, $"cache object {sha} for '{path}' is missing");

    /// <summary>
    /// True when the object exists and its bytes hash to its name. Checked once per object and remembered in the
    /// state table (by size, mtime and inode), so a later use costs a stat; an object replaced or edited is read again.
    /// </summary>
    private bool IsIntact(string name)
    {
        var obj = ObjectPath(name);
        var sha = name[..Kind.HexLength()];
        if (_state.TryGet(obj, out var known))
        {
            return known == sha;
        }

        if (!File.Exists(obj))
        {
            return false;
        }

        var actual = FileHasher.HashFile(obj, Kind);
        Interlocked.Increment(ref _filesHashed);
        _state.Set(obj, actual);
        return actual == sha;
    }

    /// <summary>Refuses an object whose bytes do not hash to its name: nothing of it reaches the workspace.</summary>
    private void Verify(string name, string forPath)
    {
        if (!IsIntact(name))
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"cache object {name} for '{forPath}' is damaged: its content does not match its name (written into the cache by something other than GitExp?); delete '{ObjectPath(name)}' and run 'dotnet exp run' to store it again"
            );
        }
    }

    private static ContentHash DirectoryHash(List<ManifestEntry> entries, HashKind kind, out byte[] manifest)
    {
        entries.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        if (kind == HashKind.Md5)
        {
            manifest = DvcManifest.Serialize(entries.Select(e => (e.RelativePath, e.Sha256)));
            return new ContentHash(
                FileHasher.HashBytes(manifest, kind) + ContentHash.DirSuffix,
                entries.Sum(e => e.Size),
                entries.Count
            );
        }

        using (var stream = new MemoryStream())
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartArray();
                foreach (var e in entries)
                {
                    json.WriteStartObject();
                    json.WriteString("relpath", e.RelativePath);
                    json.WriteString("sha256", e.Sha256);
                    json.WriteNumber("size", e.Size);
                    if (e.IsExecutable)
                    {
                        json.WriteBoolean("isexec", true);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            manifest = stream.ToArray();
        }

        return new ContentHash(FileHasher.HashBytes(manifest) + ContentHash.DirSuffix, entries.Sum(e => e.Size), entries.Count);
    }

    private List<ManifestEntry>? TryReadManifest(string dirSha256)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(ObjectPath(dirSha256)));
            var list = new List<ManifestEntry>();
            var isDvc = Kind == HashKind.Md5;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                var rel = item.GetProperty("relpath").GetString()!;
                // A manifest names paths under the output; never let one escape it.
                if (rel.Length == 0 || Path.IsPathRooted(rel) || rel.Split('/').Contains(".."))
                {
                    return null;
                }

                list.Add(
                    isDvc
                        ? new ManifestEntry(rel, item.GetProperty("md5").GetString()!, -1, false)
                        : new ManifestEntry(
                            rel,
                            item.GetProperty("sha256").GetString()!,
                            item.GetProperty("size").GetInt64(),
                            item.TryGetProperty("isexec", out var x) && x.GetBoolean()
                        )
                );
            }

            return list;
        }
        catch (Exception e)
            when (e
                    is IOException
                        or UnauthorizedAccessException
                        or JsonException
                        or InvalidOperationException
                        or KeyNotFoundException
                        or FormatException
            )
        {
            return null;
        }
    }

    /// <summary>Runs the work on one file of <paramref name="size"/> bytes, telling <paramref name="progress"/> its bytes as they go and the file when done.</summary>
    private static T Tracked<T>(FileProgress? progress, long size, Func<Action<int>?, T> work)
    {
        if (progress is null)
        {
            return work(null);
        }

        var (onRead, done) = progress.ForFile(size);
        var result = work(onRead);
        done();
        return result;
    }

    /// <param name="fresh">True when the bytes were read now, false when the state table gave the hash.</param>
    private (string Sha, long Size, bool Exec) HashOne(string file, Action<int>? onRead, out bool fresh)
    {
        var stat = Posix.Stat(file) ?? throw new FileNotFoundException("file vanished while hashing", file);
        fresh = !_state.TryGet(file, stat, out var known);
        var sha = fresh ? Read(file, stat, onRead).Sha : known;
        return (sha, stat.Size, stat.IsExecutable);
    }

    /// <summary>
    /// The hash of the version of <paramref name="file"/> that <paramref name="stat"/> describes: the state table's,
    /// or read now and remembered when the file was still that version after the read (Unchanged false otherwise).
    /// </summary>
    private (string Sha, bool Unchanged) HashOne(string file, Posix.FileStat stat, FileProgress? progress)
    {
        if (_state.TryGet(file, stat, out var sha))
        {
            return (sha, true);
        }

        // Only files that must be read count as work to do.
        progress?.AddTotal(1, stat.Size);
        return Tracked(progress, stat.Size, onRead => Read(file, stat, onRead));
    }

    /// <summary>
    /// Hashes the file's bytes; Unchanged when the file is still the version of <paramref name="stat"/> afterwards,
    /// and then remembered (unless the caller remembers a batch itself).
    /// </summary>
    private (string Sha, bool Unchanged) Read(string file, Posix.FileStat stat, Action<int>? onRead, bool remember = true)
    {
        var sha = FileHasher.HashFile(file, Kind, onRead);
        Interlocked.Increment(ref _filesHashed);
        if (Posix.Stat(file) is { } after && after.IsSameVersion(stat))
        {
            if (remember)
            {
                _state.Set(file, stat, sha);
            }

            return (sha, true);
        }

        return (sha, false);
    }

    private (string Sha, long Size, bool Exec) SaveFile(string file, Action<int>? onRead)
    {
        var h = HashOne(file, onRead, out var fresh);
        if (!IsIntact(h.Sha) && !fresh)
        {
            // About to store these bytes under the state table's word alone: read them, so the name is theirs.
            var sha = FileHasher.HashFile(file, Kind, onRead);
            Interlocked.Increment(ref _filesHashed);
            _state.Set(file, sha);
            h = (sha, h.Size, h.Exec);
        }

        var obj = ObjectPath(h.Sha);
        // A missing object, or one whose bytes are not what its name says (never linked to): store these.
        if (!IsIntact(h.Sha))
        {
            Store(file, obj, h.Exec);
            _state.Set(obj, h.Sha);
        }

        Link(obj, file, h.Exec);
        _state.Set(file, h.Sha);
        return h;
    }

    private (string Sha, long Size, bool Exec) CopyFile(string file, Action<int>? onRead)
    {
        // Known and stored already: nothing to read.
        if (_state.TryGet(file, out var known) && Posix.Stat(ObjectPath(known)) is { } stored && IsIntact(known))
        {
            var current = Posix.Stat(file) ?? throw new FileNotFoundException("file vanished while hashing", file);
            if (stored.Size == current.Size)
            {
                return (known, current.Size, current.IsExecutable);
            }
        }

        // One pass: the copy into tmp/ is hashed as it is written, so the object holds exactly the bytes
        // its name says (the file is read once, not once to hash and once to copy).
        Directory.CreateDirectory(TempDir);
        var tmp = Path.Combine(TempDir, Guid.NewGuid().ToString("N"));
        try
        {
            var before = Posix.Stat(file) ?? throw new FileNotFoundException("file vanished while hashing", file);
            var (sha, size) = Writing(tmp, () => FileHasher.CopyAndHash(file, tmp, Kind, onRead));
            Interlocked.Increment(ref _filesHashed);
            // Remembered only when the file did not change while it was read.
            if (Posix.Stat(file) is { } after && after.Size == size && after.IsSameVersion(before))
            {
                _state.Set(file, sha);
            }

            var obj = ObjectPath(sha);
            // The copy holds exactly the bytes its name says; it replaces a damaged object of that name.
            if (!IsIntact(sha))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
                SetReadOnly(tmp, before.IsExecutable);
                File.Move(tmp, obj, overwrite: true);
                _state.Set(obj, sha);
            }

            return (sha, size, before.IsExecutable);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    // A copy that fails for want of space names the file it was writing (File.Copy's error does not);
    // the caller deletes the partial file.
    private static T Writing<T>(string path, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (IOException e) when (DiskFull.AsUserError(e, path) is { } full)
        {
            throw full;
        }
    }

    private static void Writing(string path, Action write) =>
        Writing(
            path,
            () =>
            {
                write();
                return 0;
            }
        );

    private void Store(string file, string obj, bool exec)
    {
        Directory.CreateDirectory(TempDir);
        Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
        var tmp = Path.Combine(TempDir, Guid.NewGuid().ToString("N"));
        try
        {
            // A hard link moves no bytes and leaves the workspace whole at every moment; the
            // workspace name is replaced by a proper link right after. Only a file with no other
            // names qualifies, or making the object read-only would touch the user's other copies.
            var isPlainFile = new FileInfo(file).LinkTarget is null && Posix.Stat(file) is { Nlink: 1 };
            if (!isPlainFile || Posix.Link(file, tmp) != 0)
            {
                Writing(tmp, () => File.Copy(file, tmp));
            }

            SetReadOnly(tmp, exec);
            File.Move(tmp, obj, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private void WriteObject(string obj, byte[] content)
    {
        Directory.CreateDirectory(TempDir);
        Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
        var tmp = Path.Combine(TempDir, Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(tmp, content);
            SetReadOnly(tmp, exec: false);
            File.Move(tmp, obj, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>Replaces <paramref name="dest"/> with a link to <paramref name="obj"/> by the first link type that works.</summary>
    private LinkType Link(string obj, string dest, bool? wantExec)
    {
        var objStat = Posix.Stat(obj) ?? throw new FileNotFoundException("cache object vanished", obj);
        var exec = wantExec ?? objStat.IsExecutable;
        var dir = Path.GetDirectoryName(dest)!;
        Directory.CreateDirectory(dir);
        var destIsSymlink = new FileInfo(dest).LinkTarget is not null;
        var destStat = Posix.Stat(dest);

        foreach (var type in _linkOrder)
        {
            // Already linked as asked: nothing to do (and renaming a hard link over another name of
            // the same inode would be a silent no-op that leaves the temp name behind).
            if (type == LinkType.Hardlink && !destIsSymlink && objStat.Inode != 0 && destStat?.Inode == objStat.Inode)
            {
                return type;
            }

            if (type == LinkType.Symlink && destIsSymlink && new FileInfo(dest).LinkTarget == obj)
            {
                return type;
            }

            var tmp = Path.Combine(dir, $".{Path.GetFileName(dest)}.{Guid.NewGuid():N}{WorkspaceTempSuffix}");
            try
            {
                // A full disk is reported as the out it could not restore, not its temporary name.
                if (Writing(dest, () => TryCreate(type, obj, tmp, exec, objStat.IsExecutable, _linkOrder[^1] == type)))
                {
                    if (OperatingSystem.IsWindows())
                    {
                        RemoveOutput(dest); // Windows refuses to rename over a read-only file
                    }

                    File.Move(tmp, dest, overwrite: true);
                    return type;
                }
            }
            finally
            {
                if (File.Exists(tmp) || new FileInfo(tmp).LinkTarget is not null)
                {
                    File.Delete(tmp);
                }
            }
        }

        throw new IOException(
            $"could not place '{dest}' from the cache with any link type of {string.Join(",", _linkOrder).ToLowerInvariant()}"
        );
    }

    private bool TryCreate(LinkType type, string obj, string tmp, bool exec, bool objExec, bool isLast)
    {
        switch (type)
        {
            case LinkType.Reflink:
            {
                if (_reflinkUnsupported)
                {
                    return false;
                }

                int err;
                using (var src = File.OpenHandle(obj, FileMode.Open, FileAccess.Read, FileShare.Read))
                using (var dst = File.OpenHandle(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    err = Posix.Clone(src, dst);
                }

                if (err == 0)
                {
                    SetWritable(tmp, exec);
                    return true;
                }

                File.Delete(tmp);
                if (err is Posix.EOPNOTSUPP or Posix.EINVAL or Posix.ENOTTY or Posix.ENOSYS)
                {
                    _reflinkUnsupported = true; // the file system cannot clone; don't ask again per file
                    return false;
                }

                return err == Posix.EXDEV ? false : throw new IOException($"cloning '{obj}' failed with errno {err}");
            }

            case LinkType.Hardlink:
            {
                // The mode is shared with the object, so a hard link cannot honour a different
                // executable bit; try the next type, but as the last resort a link whose bit follows
                // the object beats failing the stage.
                if (exec != objExec && !isLast)
                {
                    return false;
                }

                var err = Posix.Link(obj, tmp);
                return err switch
                {
                    0 => true,
                    Posix.EXDEV or Posix.EPERM or Posix.EMLINK => false, // EMLINK: ext4 caps an inode at 65,000 names
                    _ => throw new IOException($"hard-linking '{obj}' failed with errno {err}"),
                };
            }

            case LinkType.Symlink:
                try
                {
                    File.CreateSymbolicLink(tmp, obj);
                    return true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return false; // e.g. Windows without the symlink privilege
                }

            case LinkType.Copy:
                File.Copy(obj, tmp);
                SetWritable(tmp, exec);
                return true;

            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void SetReadOnly(string path, bool exec)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.ReadOnly);
            return;
        }

        var mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(path, exec ? mode | ExecBits : mode);
    }

    private static void SetWritable(string path, bool exec)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.Normal);
            return;
        }

        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(path, exec ? mode | ExecBits : mode);
    }

    private const UnixFileMode ExecBits = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private sealed record ManifestEntry(string RelativePath, string Sha256, long Size, bool IsExecutable);
}
