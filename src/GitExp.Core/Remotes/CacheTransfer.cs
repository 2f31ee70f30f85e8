using System.Collections.Concurrent;
using System.Diagnostics;
using GitExp.Core.Cache;
using GitExp.Core.Execution;
using GitExp.Core.Project;

namespace GitExp.Core.Remotes;

/// <summary>What a push or pull of cache objects did.</summary>
/// <param name="Transferred">Objects sent (push) or fetched and verified (pull).</param>
/// <param name="Skipped">Objects the receiving side already had: not sent again.</param>
/// <param name="NotInCache">Outs a push could not send because the local cache lacks them (their paths).</param>
/// <param name="RunCacheEntries">Run-cache entries transferred (with --run-cache).</param>
public sealed record CacheTransferSummary(
    string Remote,
    int Transferred,
    long Bytes,
    int Skipped,
    IReadOnlyList<string> NotInCache,
    int RunCacheEntries,
    TimeSpan Elapsed
);

/// <summary>Where one cached out stands between the local cache and a cache remote.</summary>
public sealed record CacheStatusEntry(string Path, bool InCache, bool OnRemote);

/// <summary>
/// Moves cache objects between the project's caches and a cache remote: only what the other side lacks, <c>jobs</c>
/// at a time, with progress. A fetched object enters the cache only when its bytes hash to its name; a folder's
/// manifest goes last on a push, after every file it names, as do run-cache entries after their outs.
/// </summary>
public sealed class CacheTransfer(
    ExpProject project,
    CacheRemoteSettings settings,
    ICacheRemote remote,
    int jobs,
    IRunEvents events
)
{
    /// <summary>Opens the remote a setting names (closing it is the caller's, with the transfer).</summary>
    public static ICacheRemote Open(CacheRemoteSettings settings, int jobs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return RemoteLocation.Parse(settings.Url, settings.BaseDirectory) switch
        {
            FolderLocation folder => new FolderRemote(folder.Root),
            // A connection's encryption runs on one core: one per core at most, the jobs share them (SFTP pipelines).
            SshLocation ssh => new SftpRemote(
                SshSettings.Resolve(ssh, settings),
                settings.Name,
                Math.Clamp(jobs, 1, Math.Max(2, Environment.ProcessorCount))
            ),
            _ => throw new InvalidOperationException("unknown remote kind"),
        };
    }

    /// <summary>
    /// The jobs a transfer runs: -j, else the remote's <c>jobs</c> option, else 4 (DVC's is 4 × cores; measured here, more
    /// requests in flight on SSH.NET's connections cost CPU and gained nothing: bench/README.md, <c>remote</c>).
    /// </summary>
    public static int Jobs(int? given, CacheRemoteSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return given is { } j ? Math.Max(1, j)
            : settings.Option("jobs") is { } o ? int.Parse(o, System.Globalization.CultureInfo.InvariantCulture)
            : 4;
    }

    private sealed record Item(string Name, HashKind Kind, long Size, string For)
    {
        public string RemotePath => $"{Kind.ObjectFolder().Replace('\\', '/')}/{Name[..2]}/{Name[2..]}";

        public bool IsManifest => Name.EndsWith(ContentHash.DirSuffix, StringComparison.Ordinal);
    }

    private readonly CacheSet _caches = project.OpenCaches();

    /// <summary>Sends the objects of <paramref name="outs"/> the remote lacks, and the run-cache's entries when asked.</summary>
    public async Task<CacheTransferSummary> PushAsync(
        IReadOnlyList<CachedOut> outs,
        bool runCache,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(outs);
        var started = Stopwatch.GetTimestamp();
        var notInCache = new List<string>();
        var items = new List<Item>();
        foreach (var o in outs)
        {
            items.AddRange(LocalObjects(o.Path, o.Hash, notInCache));
        }

        var entries = new List<string>();
        if (runCache)
        {
            var runs = new RunCache(project.CacheDirectory);
            foreach (var key in runs.Keys())
            {
                if (!runs.TryGet(key, out var recorded))
                {
                    continue;
                }

                var missing = new List<string>();
                var objects = recorded.SelectMany(r => LocalObjects(r.Path, r.Hash, missing)).ToList();
                // An entry whose outs are gone from this cache would restore nothing elsewhere: it stays here.
                if (missing.Count == 0)
                {
                    items.AddRange(objects);
                    entries.Add(key);
                }
            }
        }

        items = items.DistinctBy(i => i.Name).ToList();
        var present = await PresentAsync(items.Select(i => i.RemotePath).Concat(entries.Select(RunPath)), cancellationToken)
            .ConfigureAwait(false);
        var toSend = items.Where(i => !present.Contains(i.RemotePath)).ToList();
        var entriesToSend = entries.Where(e => !present.Contains(RunPath(e))).ToList();
        var progress = new FileProgress(FileWork.Uploading, settings.Name, events.Progress);
        progress.AddSkipped(items.Count - toSend.Count + entries.Count - entriesToSend.Count);
        progress.AddTotal(toSend.Count + entriesToSend.Count, toSend.Sum(i => i.Size));
        long bytes = 0;

        async Task SendAsync(string local, string path, long size)
        {
            var (onRead, done) = progress.ForFile(size);
            await remote.PutAsync(local, path, onRead, cancellationToken).ConfigureAwait(false);
            done();
            Interlocked.Add(ref bytes, size);
        }

        // Files first, then the manifests that name them, then the run-cache entries that name those: whatever the
        // remote has of a push that stopped half-way is usable.
        await ForEachAsync(
                toSend.Where(i => !i.IsManifest),
                i => SendAsync(Cache(i.Kind).ObjectPath(i.Name), i.RemotePath, i.Size),
                cancellationToken
            )
            .ConfigureAwait(false);
        await ForEachAsync(
                toSend.Where(i => i.IsManifest),
                i => SendAsync(Cache(i.Kind).ObjectPath(i.Name), i.RemotePath, i.Size),
                cancellationToken
            )
            .ConfigureAwait(false);
        var runs2 = new RunCache(project.CacheDirectory);
        await ForEachAsync(
                entriesToSend,
                key => SendAsync(runs2.EntryFile(key), RunPath(key), new FileInfo(runs2.EntryFile(key)).Length),
                cancellationToken
            )
            .ConfigureAwait(false);
        progress.Finish();
        return new CacheTransferSummary(
            settings.Name,
            toSend.Count,
            bytes,
            items.Count - toSend.Count,
            notInCache,
            entriesToSend.Count,
            Stopwatch.GetElapsedTime(started)
        );
    }

    /// <summary>
    /// Fetches the objects of <paramref name="outs"/> the cache lacks (and the run-cache's entries when asked). An
    /// object the remote does not have, or whose bytes do not match its name, fails the pull with one line naming it,
    /// after the others are in.
    /// </summary>
    public async Task<CacheTransferSummary> PullAsync(
        IReadOnlyList<CachedOut> outs,
        bool runCache,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(outs);
        var started = Stopwatch.GetTimestamp();
        var progress = new FileProgress(FileWork.Downloading, settings.Name, events.Progress);
        var missing = new ConcurrentBag<Item>();
        long bytes = 0;
        var fetched = 0;
        var skipped = 0;

        async Task FetchAsync(IEnumerable<Item> wanted)
        {
            var list = wanted.DistinctBy(i => i.Name).ToList();
            var need = list.Where(i => !InCache(i)).ToList();
            progress.AddSkipped(list.Count - need.Count);
            Interlocked.Add(ref skipped, list.Count - need.Count);
            progress.AddTotal(need.Count, need.Sum(i => Math.Max(0, i.Size)));
            await ForEachAsync(
                    need,
                    async item =>
                    {
                        var (onRead, done) = progress.ForFile(Math.Max(0, item.Size));
                        long got = 0;
                        bool intact;
                        try
                        {
                            intact = await Cache(item.Kind)
                                .ReceiveAsync(
                                    item.Name,
                                    stream =>
                                        remote.GetAsync(
                                            item.RemotePath,
                                            stream,
                                            n =>
                                            {
                                                got += n;
                                                onRead(n);
                                            },
                                            cancellationToken
                                        ),
                                    cancellationToken
                                )
                                .ConfigureAwait(false);
                        }
                        catch (RemoteObjectMissingException)
                        {
                            missing.Add(item);
                            return;
                        }

                        if (!intact)
                        {
                            throw new ExpException(
                                ExitCode.Remote,
                                $"object {item.Name} of '{item.For}' on remote {settings.Display} is damaged: its content does not match its name; it was not taken into the cache"
                            );
                        }

                        done();
                        Interlocked.Add(ref bytes, got);
                        Interlocked.Increment(ref fetched);
                    },
                    cancellationToken
                )
                .ConfigureAwait(false);
        }

        var all = outs.Select(o => ItemOf(o.Path, o.Hash)).ToList();
        var entries = 0;
        if (runCache)
        {
            var runs = new RunCache(project.CacheDirectory);
            var keys = (await ListAllAsync("runs", cancellationToken).ConfigureAwait(false))
                .Where(k => !File.Exists(runs.EntryFile(k)))
                .ToList();
            var received = new ConcurrentBag<(string Key, IReadOnlyList<(string Path, ContentHash Hash)> Outs)>();
            await ForEachAsync(
                    keys,
                    async key =>
                    {
                        using var buffer = new MemoryStream();
                        await remote.GetAsync(RunPath(key), buffer, _ => { }, cancellationToken).ConfigureAwait(false);
                        if (RunCache.TryParse(buffer.ToArray(), out var recorded))
                        {
                            received.Add((key, recorded));
                        }
                    },
                    cancellationToken
                )
                .ConfigureAwait(false);
            foreach (var (key, recorded) in received)
            {
                all.AddRange(recorded.Select(r => ItemOf(r.Path, r.Hash)));
            }

            // Entries after their outs, as on a push; an entry whose outs are missing is a miss for the run, no harm.
            await FetchObjectsAsync(all).ConfigureAwait(false);
            foreach (var (key, recorded) in received)
            {
                runs.Put(key, recorded);
                entries++;
            }
        }
        else
        {
            await FetchObjectsAsync(all).ConfigureAwait(false);
        }

        progress.Finish();
        _caches.Save();
        if (!missing.IsEmpty)
        {
            var first = missing.OrderBy(m => m.For, StringComparer.Ordinal).First();
            var others = missing.Count > 1 ? $" (and {missing.Count - 1} more)" : "";
            throw new ExpException(
                ExitCode.NotFound,
                $"object {first.Name} of '{first.For}' is missing on remote {settings.Display}{others}; push it from a clone that has it ('dotnet exp cache push' or 'dotnet exp push')"
            );
        }

        return new CacheTransferSummary(settings.Name, fetched, bytes, skipped, [], entries, Stopwatch.GetElapsedTime(started));

        async Task FetchObjectsAsync(List<Item> items)
        {
            // Manifests first: what a folder holds is known only once its manifest is here (and verified).
            await FetchAsync(items.Where(i => i.IsManifest)).ConfigureAwait(false);
            var files = items.Where(i => !i.IsManifest).ToList();
            foreach (var manifest in items.Where(i => i.IsManifest).DistinctBy(i => i.Name))
            {
                if (Cache(manifest.Kind).Contains(new ContentHash(manifest.Name, -1, null)) || InCache(manifest))
                {
                    files.AddRange(
                        Cache(manifest.Kind)
                            .ReadManifest(manifest.Name)
                            .Select(e => new Item(e.Sha256, manifest.Kind, e.Size, $"{manifest.For}/{e.RelativePath}"))
                    );
                }
            }

            await FetchAsync(files).ConfigureAwait(false);
        }
    }

    /// <summary>For every out: is it in the local cache, and on the remote (whole, with every file of a folder)?</summary>
    public async Task<IReadOnlyList<CacheStatusEntry>> StatusAsync(
        IReadOnlyList<CachedOut> outs,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(outs);
        var perOut = new List<(CachedOut Out, List<Item> Items, bool Local)>();
        foreach (var o in outs)
        {
            var notInCache = new List<string>();
            var items = LocalObjects(o.Path, o.Hash, notInCache);
            if (o.Hash.IsDirectory && notInCache.Count > 0 && !InCache(ItemOf(o.Path, o.Hash)))
            {
                items = [ItemOf(o.Path, o.Hash)];
            }

            perOut.Add((o, items, notInCache.Count == 0));
        }

        var present = await PresentAsync(perOut.SelectMany(p => p.Items).Select(i => i.RemotePath), cancellationToken)
            .ConfigureAwait(false);
        return perOut
            .Select(p => new CacheStatusEntry(p.Out.Path, p.Local, p.Items.All(i => present.Contains(i.RemotePath))))
            .ToList();
    }

    private ContentCache Cache(HashKind kind) => _caches.Of(kind);

    private static Item ItemOf(string path, ContentHash hash) =>
        new(
            hash.Sha256,
            HashKinds.OfObjectName(hash.Sha256)
                ?? throw new ExpException(ExitCode.InvalidProject, $"'{path}': '{hash.Sha256}' is not a content hash"),
            hash.IsDirectory ? -1 : hash.Size,
            path
        );

    private bool InCache(Item item) =>
        Posix.Stat(Cache(item.Kind).ObjectPath(item.Name)) is { } s && (item.Size < 0 || s.Size == item.Size);

    /// <summary>The objects of one out that the local cache has (a folder: its manifest and files); the rest are named in <paramref name="notInCache"/>.</summary>
    private List<Item> LocalObjects(string path, ContentHash hash, List<string> notInCache)
    {
        var item = ItemOf(path, hash);
        var cache = Cache(item.Kind);
        if (!hash.IsDirectory)
        {
            if (InCache(item))
            {
                return [item with { Size = Posix.Stat(cache.ObjectPath(item.Name))!.Value.Size }];
            }

            notInCache.Add(path);
            return [];
        }

        if (!InCache(item))
        {
            notInCache.Add(path);
            return [];
        }

        var items = new List<Item> { item with { Size = Posix.Stat(cache.ObjectPath(item.Name))!.Value.Size } };
        var complete = true;
        foreach (var entry in cache.ReadManifest(hash.Sha256))
        {
            var file = new Item(entry.Sha256, item.Kind, entry.Size, $"{path}/{entry.RelativePath}");
            if (Posix.Stat(cache.ObjectPath(file.Name)) is { } stat)
            {
                items.Add(file with { Size = stat.Size });
            }
            else
            {
                complete = false;
            }
        }

        if (!complete)
        {
            notInCache.Add(path);
        }

        return items;
    }

    private static string RunPath(string key) => $"runs/{key[..2]}/{key[2..]}";

    /// <summary>
    /// Which of <paramref name="paths"/> the remote has: one listing of each top folder (which two-digit folders
    /// exist), then one of each of those the paths fall in, <c>jobs</c> at a time.
    /// </summary>
    private async Task<HashSet<string>> PresentAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        using var trace = Diagnostics.ExpTrace.Start("remote: list what it has");
        var byFolder = paths
            .Distinct(StringComparer.Ordinal)
            .GroupBy(p => p[..p.LastIndexOf('/')], StringComparer.Ordinal)
            .ToList();
        var tops = new ConcurrentDictionary<string, HashSet<string>>(StringComparer.Ordinal);
        await ForEachAsync(
                byFolder.Select(g => g.Key[..g.Key.LastIndexOf('/')]).Distinct(StringComparer.Ordinal),
                async top =>
                    tops[top] = (await remote.ListAsync(top, cancellationToken).ConfigureAwait(false)).ToHashSet(
                        StringComparer.Ordinal
                    ),
                cancellationToken
            )
            .ConfigureAwait(false);
        var present = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        await ForEachAsync(
                byFolder.Where(g => tops[g.Key[..g.Key.LastIndexOf('/')]].Contains(g.Key[(g.Key.LastIndexOf('/') + 1)..])),
                async group =>
                {
                    var names = (await remote.ListAsync(group.Key, cancellationToken).ConfigureAwait(false)).ToHashSet(
                        StringComparer.Ordinal
                    );
                    foreach (var path in group.Where(p => names.Contains(p[(p.LastIndexOf('/') + 1)..])))
                    {
                        present[path] = true;
                    }
                },
                ListingsInFlight,
                cancellationToken
            )
            .ConfigureAwait(false);
        return present.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Every <c>xx/rest</c> name under a top folder of the remote (the run-cache's keys).</summary>
    private async Task<List<string>> ListAllAsync(string top, CancellationToken cancellationToken)
    {
        var prefixes = (await remote.ListAsync(top, cancellationToken).ConfigureAwait(false)).Where(p => p.Length == 2).ToList();
        var keys = new ConcurrentBag<string>();
        await ForEachAsync(
                prefixes,
                async prefix =>
                {
                    foreach (var name in await remote.ListAsync($"{top}/{prefix}", cancellationToken).ConfigureAwait(false))
                    {
                        if (RunCache.IsKey(prefix + name))
                        {
                            keys.Add(prefix + name);
                        }
                    }
                },
                ListingsInFlight,
                cancellationToken
            )
            .ConfigureAwait(false);
        return [.. keys];
    }

    private Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> work, CancellationToken cancellationToken) =>
        ForEachAsync(items, work, jobs, cancellationToken);

    /// <summary>Listings are small requests: many in flight hide the round trips (SFTP pipelines them on one connection).</summary>
    private const int ListingsInFlight = 32;

    private static Task ForEachAsync<T>(
        IEnumerable<T> items,
        Func<T, Task> work,
        int parallel,
        CancellationToken cancellationToken
    ) =>
        Parallel.ForEachAsync(
            items,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = cancellationToken },
            async (item, _) => await work(item).ConfigureAwait(false)
        );
}
