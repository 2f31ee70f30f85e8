using GitExp.Core.Cache;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

// The tests check Unix file modes (read-only hard links, executable bits).
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ContentCacheTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<string> LinkOrders => new() { "copy", "hardlink", "symlink", "reflink,copy" };

    private ContentCache NewCache(string linkOrder = "reflink,hardlink,copy") =>
        new(_tmp.Combine(".exp", "cache"), LinkTypes.Parse(linkOrder), StateTable.Open(_tmp.Combine(".exp", "tmp", "state")));

    private static string Sha(string text) => FileHasher.HashBytes(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Directory_hash_is_stable_regardless_of_creation_order()
    {
        _tmp.Write("a/x.txt", "x");
        _tmp.Write("a/sub/y.txt", "y");
        _tmp.Write("a/.hidden", "h");
        _tmp.Write("b/.hidden", "h");
        _tmp.Write("b/sub/y.txt", "y");
        _tmp.Write("b/x.txt", "x");
        var cache = NewCache();

        var a = cache.Hash(_tmp.Combine("a"));
        var b = cache.Hash(_tmp.Combine("b"));

        Assert.Equal(a, b);
        Assert.True(a.IsDirectory);
        Assert.Equal(3, a.NFiles);
        Assert.Equal(3, a.Size);
    }

    [Fact]
    public void Directory_hash_changes_when_a_file_changes()
    {
        _tmp.Write("d/x.txt", "x");
        _tmp.Write("d/sub/y.txt", "y");
        var cache = NewCache();
        var before = cache.Hash(_tmp.Combine("d"));

        _tmp.Write("d/sub/y.txt", "yy");

        Assert.NotEqual(before.Sha256, cache.Hash(_tmp.Combine("d")).Sha256);
    }

    [Fact]
    public void Directory_hash_changes_when_a_file_is_renamed()
    {
        _tmp.Write("d/x.txt", "x");
        var cache = NewCache();
        var before = cache.Hash(_tmp.Combine("d"));

        File.Move(_tmp.Combine("d", "x.txt"), _tmp.Combine("d", "z.txt"));

        Assert.NotEqual(before.Sha256, cache.Hash(_tmp.Combine("d")).Sha256);
    }

    [Fact]
    public void Object_path_splits_the_hash_after_two_characters()
    {
        var sha = Sha("abc");
        Assert.Equal(_tmp.Combine(".exp", "cache", "sha256", sha[..2], sha[2..]), NewCache().ObjectPath(sha));
        Assert.EndsWith(".dir", NewCache().ObjectPath(sha + ".dir"), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NewCache().ObjectPath("../../etc/passwd"));
    }

    [Theory]
    [MemberData(nameof(LinkOrders))]
    public void Saved_file_is_restored_after_deletion(string linkOrder)
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache(linkOrder);

        var hash = cache.Save(file);
        Assert.Equal(new ContentHash(Sha("weights"), 7, null), hash);
        Assert.True(cache.Contains(hash));
        Assert.Equal("weights", File.ReadAllText(file));

        ContentCache.RemoveOutput(file);
        Assert.False(File.Exists(file));
        cache.Checkout(hash, file);

        Assert.Equal("weights", File.ReadAllText(file));
        Assert.Equal("weights", File.ReadAllText(cache.ObjectPath(hash.Sha256)));
        Assert.Equal(linkOrder == "symlink", new FileInfo(file).LinkTarget is not null);
    }

    [Theory]
    [MemberData(nameof(LinkOrders))]
    public void Saved_directory_is_restored_after_deletion(string linkOrder)
    {
        _tmp.Write("out/a.txt", "alpha");
        _tmp.Write("out/nested/deeper/b.txt", "beta");
        _tmp.Write("out/.c", "");
        var dir = _tmp.Combine("out");
        var cache = NewCache(linkOrder);

        var hash = cache.Save(dir);
        Assert.Equal(cache.Hash(dir), hash);
        Assert.True(hash.IsDirectory);
        Assert.Equal(3, hash.NFiles);
        Assert.True(cache.Contains(hash));
        Assert.Equal(
            [(".c", Sha(""), 0L), ("a.txt", Sha("alpha"), 5L), ("nested/deeper/b.txt", Sha("beta"), 4L)],
            cache.ReadManifest(hash.Sha256)
        );

        ContentCache.RemoveOutput(dir);
        Assert.False(Directory.Exists(dir));
        cache.Checkout(hash, dir);

        Assert.Equal("alpha", File.ReadAllText(Path.Combine(dir, "a.txt")));
        Assert.Equal("beta", File.ReadAllText(Path.Combine(dir, "nested", "deeper", "b.txt")));
        Assert.Equal("", File.ReadAllText(Path.Combine(dir, ".c")));
        Assert.Equal(3, Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Checkout_replaces_changed_files_and_removes_extra_ones()
    {
        _tmp.Write("out/a.txt", "alpha");
        var dir = _tmp.Combine("out");
        var cache = NewCache("hardlink");
        var hash = cache.Save(dir);

        ContentCache.RemoveOutput(Path.Combine(dir, "a.txt"));
        _tmp.Write("out/a.txt", "changed");
        _tmp.Write("out/extra.txt", "extra");
        cache.Checkout(hash, dir);

        Assert.Equal("alpha", File.ReadAllText(Path.Combine(dir, "a.txt")));
        Assert.False(File.Exists(Path.Combine(dir, "extra.txt")));
    }

    [Fact]
    public void Hardlinked_output_is_read_only_and_shares_the_cached_file()
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache("hardlink,copy");

        var hash = cache.Save(file);

        Assert.False(File.GetUnixFileMode(file).HasFlag(UnixFileMode.UserWrite));
        if (!Environment.IsPrivilegedProcess) // root writes through any mode
        {
            Assert.Throws<UnauthorizedAccessException>(() => File.WriteAllText(file, "tampered"));
        }

        var objectStat = Posix.Stat(cache.ObjectPath(hash.Sha256));
        Assert.Equal(objectStat!.Value.Inode, Posix.Stat(file)!.Value.Inode);
        Assert.Equal(2u, objectStat.Value.Nlink);
    }

    [Fact]
    public void Copied_output_is_writable_and_independent_of_the_cache()
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache("copy");
        var hash = cache.Save(file);

        File.WriteAllText(file, "changed");

        Assert.Equal("weights", File.ReadAllText(cache.ObjectPath(hash.Sha256)));
        Assert.False(File.GetUnixFileMode(cache.ObjectPath(hash.Sha256)).HasFlag(UnixFileMode.UserWrite));
    }

    [Fact]
    public void Reflink_falls_back_to_the_next_link_type_without_error()
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache("reflink,hardlink");

        var hash = cache.Save(file);
        ContentCache.RemoveOutput(file);
        cache.Checkout(hash, file);

        Assert.Equal("weights", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("copy")]
    [InlineData("hardlink")]
    public void Executable_bit_is_kept(string linkOrder)
    {
        var script = _tmp.Write("out/run.sh", "#!/bin/sh\necho hi\n");
        _tmp.Write("out/data.txt", "data");
        File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        var dir = _tmp.Combine("out");
        var cache = NewCache(linkOrder);

        var hash = cache.Save(dir);
        Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute));
        ContentCache.RemoveOutput(dir);
        cache.Checkout(hash, dir);

        Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(Path.Combine(dir, "data.txt")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void Executable_copy_of_non_executable_content_falls_back_from_hardlink_to_copy()
    {
        var plain = _tmp.Write("plain.sh", "echo hi\n");
        var script = _tmp.Write("script.sh", "echo hi\n");
        File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        var cache = NewCache("hardlink,copy");

        cache.Save(plain);
        cache.Save(script);

        Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(plain).HasFlag(UnixFileMode.UserExecute));
        Assert.NotEqual(Posix.Stat(plain)!.Value.Inode, Posix.Stat(script)!.Value.Inode);
    }

    [Fact]
    public void Hardlink_only_order_still_saves_content_whose_object_differs_in_executable_bit()
    {
        var plain = _tmp.Write("plain.sh", "echo hi\n");
        var script = _tmp.Write("script.sh", "echo hi\n");
        File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        var cache = NewCache("hardlink");

        cache.Save(plain);
        var hash = cache.Save(script);

        Assert.Equal("echo hi\n", File.ReadAllText(script));
        Assert.True(cache.Contains(hash));
    }

    [Fact]
    public void Parallel_saves_sharing_one_cache_store_every_file()
    {
        var files = Enumerable
            .Range(0, 200)
            .Select(i =>
                _tmp.Write($"out/f{i % 20}/{i}.txt", (i % 50).ToString(System.Globalization.CultureInfo.InvariantCulture))
            )
            .ToList();
        var cache = NewCache("hardlink,copy");

        var hashes = files.AsParallel().WithDegreeOfParallelism(4).Select(f => cache.Save(f)).ToList();

        Assert.All(hashes, h => Assert.True(cache.Contains(h)));
        // Each of the 200 files, and each of the 50 objects once verified against its name.
        Assert.Equal(200 + 50, cache.State.Count);
        Assert.Equal(50, Directory.GetFiles(_tmp.Combine(".exp", "cache", "sha256"), "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Save_is_idempotent()
    {
        var file = _tmp.Write("out/a.txt", "alpha");
        var dir = _tmp.Combine("out");
        var cache = NewCache("hardlink");

        var first = cache.Save(dir);
        var second = cache.Save(dir);

        Assert.Equal(first, second);
        Assert.Equal("alpha", File.ReadAllText(file));
        Assert.Single(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_tmp.Combine(".exp", "cache", "tmp")));
    }

    [Fact]
    public void Same_content_in_two_outputs_is_stored_once()
    {
        var a = _tmp.Write("a.txt", "same");
        var b = _tmp.Write("b.txt", "same");
        var cache = NewCache("copy");

        Assert.Equal(cache.Save(a), cache.Save(b));
        Assert.Single(Directory.GetFiles(_tmp.Combine(".exp", "cache", "sha256"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Torn_temp_file_in_the_cache_does_not_count_as_an_object()
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache("copy");
        var hash = cache.Hash(file);
        var obj = cache.ObjectPath(hash.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
        Directory.CreateDirectory(_tmp.Combine(".exp", "cache", "tmp"));
        File.WriteAllText(_tmp.Combine(".exp", "cache", "tmp", Guid.NewGuid().ToString("N")), "wei");
        File.WriteAllText(obj + ".tmp", "wei");

        Assert.False(cache.Contains(hash));

        File.WriteAllText(obj, "wei"); // a truncated object at the real name is not trusted either
        Assert.False(cache.Contains(hash));
    }

    [Fact]
    public void Directory_with_a_missing_file_object_is_not_contained()
    {
        _tmp.Write("out/a.txt", "alpha");
        _tmp.Write("out/b.txt", "beta");
        var cache = NewCache("copy");
        var hash = cache.Save(_tmp.Combine("out"));

        File.Delete(cache.ObjectPath(Sha("beta")));

        Assert.False(cache.Contains(hash));
    }

    [Fact]
    public void Checkout_of_a_missing_object_is_not_found_naming_the_path()
    {
        var cache = NewCache();
        var sha = Sha("never stored");
        var target = _tmp.Combine("model.bin");

        var e = Assert.Throws<ExpException>(() => cache.Checkout(new ContentHash(sha, 12, null), target));

        Assert.Equal(ExitCode.NotFound, e.Code);
        Assert.Equal($"cache object {sha} for '{target}' is missing", e.Message);
    }

    [Fact]
    public void Checkout_of_a_directory_with_a_missing_file_leaves_the_workspace_untouched()
    {
        _tmp.Write("out/a.txt", "alpha");
        _tmp.Write("out/b.txt", "beta");
        var dir = _tmp.Combine("out");
        var cache = NewCache("copy");
        var hash = cache.Save(dir);
        File.Delete(cache.ObjectPath(Sha("beta")));
        File.WriteAllText(Path.Combine(dir, "a.txt"), "mine");

        var e = Assert.Throws<ExpException>(() => cache.Checkout(hash, dir));

        Assert.Equal(ExitCode.NotFound, e.Code);
        Assert.Contains("b.txt", e.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "a.txt")));
    }

    [Fact]
    public void Checkout_replaces_a_read_only_file()
    {
        var file = _tmp.Write("model.bin", "weights");
        var cache = NewCache("hardlink");
        var hash = cache.Save(file);
        ContentCache.RemoveOutput(file);
        _tmp.Write("model.bin", "other");
        File.SetUnixFileMode(file, UnixFileMode.UserRead);

        cache.Checkout(hash, file);

        Assert.Equal("weights", File.ReadAllText(file));
        Assert.Empty(Directory.GetFiles(_tmp.Path, "*.exptmp"));
    }

    [Fact]
    public void Remove_output_deletes_read_only_trees()
    {
        _tmp.Write("out/sub/a.txt", "alpha");
        var cache = NewCache("hardlink");
        cache.Save(_tmp.Combine("out"));
        File.SetUnixFileMode(_tmp.Combine("out", "sub"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        ContentCache.RemoveOutput(_tmp.Combine("out"));

        Assert.False(Directory.Exists(_tmp.Combine("out")));
    }

    [Fact]
    public void Hashing_a_missing_path_is_not_found()
    {
        Assert.Equal(ExitCode.NotFound, Assert.Throws<ExpException>(() => NewCache().Hash(_tmp.Combine("nope"))).Code);
    }

    /// <summary>Puts bytes at an object's path as an outside writer would (a crafted checkout, a copied cache).</summary>
    private static void PlantObject(ContentCache cache, string name, string content)
    {
        var obj = cache.ObjectPath(name);
        Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
        File.WriteAllText(obj, content);
    }

    [Theory]
    [MemberData(nameof(LinkOrders))]
    public void Checkout_refuses_an_object_whose_bytes_do_not_match_its_name(string linkOrder)
    {
        var cache = NewCache(linkOrder);
        var name = Sha("the real model\n");
        PlantObject(cache, name, "poisoned model");
        var target = _tmp.Combine("model.bin");

        var e = Assert.Throws<ExpException>(() => cache.Checkout(new ContentHash(name, 15, null), target));

        Assert.Contains(name[..12], e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Checkout_of_a_folder_refuses_a_damaged_file_object_before_writing_anything()
    {
        _tmp.Write("d/a.txt", "a");
        _tmp.Write("d/b.txt", "b");
        var cache = NewCache("copy");
        var hash = cache.Save(_tmp.Combine("d"));
        var obj = cache.ObjectPath(Sha("b"));
        File.SetUnixFileMode(obj, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(obj, "x");
        Directory.Delete(_tmp.Combine("d"), recursive: true);

        var e = Assert.Throws<ExpException>(() => cache.Checkout(hash, _tmp.Combine("d")));

        Assert.Contains(Sha("b")[..12], e.Message);
        Assert.False(Directory.Exists(_tmp.Combine("d")));
    }

    [Fact]
    public void Save_never_links_a_new_out_to_a_damaged_object_of_the_same_name()
    {
        var cache = NewCache("hardlink,copy");
        PlantObject(cache, Sha("good"), "evil");
        var file = _tmp.Write("out.bin", "good");

        var hash = cache.Save(file);

        Assert.Equal(Sha("good"), hash.Sha256);
        Assert.Equal("good", File.ReadAllText(file));
        Assert.Equal("good", File.ReadAllText(cache.ObjectPath(hash.Sha256)));
    }

    [Fact]
    public void Save_stores_the_bytes_under_their_own_hash_when_the_state_table_is_stale()
    {
        var cache = NewCache("copy");
        var file = _tmp.Write("out.bin", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(file);
        Assert.Equal(Sha("aaaa"), cache.Hash(file).Sha256);
        // Same size, same inode, mtime put back: the state table still says "aaaa".
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Write("bbbb"u8);
        }

        File.SetLastWriteTimeUtc(file, mtime);

        var hash = cache.Save(file);

        Assert.Equal(Sha("bbbb"), hash.Sha256);
        Assert.Equal("bbbb", File.ReadAllText(cache.ObjectPath(Sha("bbbb"))));
        Assert.False(File.Exists(cache.ObjectPath(Sha("aaaa"))));
    }
}
