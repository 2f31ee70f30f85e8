using GitExp.Core.Cache;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

/// <summary>
/// A folder's hash remembered by the state table against its files' names, sizes, mtimes and inodes (DVC's rule):
/// an unchanged folder is not read again, and any file rewritten, replaced, added or removed is noticed.
/// </summary>
public sealed class FolderStateTests : IDisposable
{
    // Well in the past, so a rewrite now always gets a different mtime, however coarse the file system's clock.
    private static readonly DateTime Old = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string StatePath => _tmp.Combine(".exp", "tmp", "state-md5");

    private ContentCache Cache() => new(_tmp.Combine("cache"), LinkTypes.Parse("copy"), StateTable.Open(StatePath, HashKind.Md5));

    private string Folder()
    {
        for (var i = 0; i < 20; i++)
        {
            var file = _tmp.Write($"data/d{i % 3}/f{i:D2}.bin", $"content {i:D2}");
            File.SetLastWriteTimeUtc(file, Old);
        }

        return _tmp.Combine("data");
    }

    private (ContentHash Hash, ContentCache Cache) HashAndReopen(string folder)
    {
        var first = Cache();
        var hash = first.Hash(folder);
        Assert.Equal(20, first.FilesHashed);
        first.State.Save();
        return (hash, Cache());
    }

    [Fact]
    public void Unchanged_folder_is_known_from_one_remembered_entry_after_reopening_the_table()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);

        Assert.Equal(1, cache.State.FolderCount);
        Assert.Equal(hash, cache.Hash(folder));
        Assert.Equal(0, cache.FilesHashed);
        Assert.Equal(20, hash.NFiles);
    }

    [Fact]
    public void Unchanged_folder_is_known_without_parsing_the_files_entries_and_they_load_on_the_first_file_look_up()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);

        Assert.Equal(hash, cache.Hash(folder));
        Assert.False(cache.State.FilesParsed);

        var file = Path.Combine(folder, "d0", "f00.bin");
        Assert.True(cache.State.TryGet(file, out var sha));
        Assert.True(cache.State.FilesParsed);
        Assert.Equal(20, cache.State.Count);
        Assert.Equal(Cache().Hash(file).Sha256, sha);
    }

    [Fact]
    public void Folder_large_enough_to_be_stat_ed_on_several_threads_hashes_as_its_files_in_order()
    {
        for (var i = 0; i < 2500; i++)
        {
            File.SetLastWriteTimeUtc(_tmp.Write($"big/d{i % 7}/f{i:D4}.txt", $"content {i}"), Old);
        }

        var folder = _tmp.Combine("big");
        var cache = Cache();
        var hash = cache.Hash(folder);
        cache.State.Save();
        Assert.Equal(2500, hash.NFiles);
        var fresh = Cache();
        Assert.Equal(hash, fresh.Hash(folder));
        Assert.Equal(0, fresh.FilesHashed);
        File.WriteAllText(Path.Combine(folder, "d3", "f0003.txt"), "changed");
        var changed = Cache();
        Assert.NotEqual(hash, changed.Hash(folder));
        Assert.Equal(1, changed.FilesHashed);
    }

    [Fact]
    public void File_rewritten_with_new_content_gets_a_new_mtime_and_is_rehashed()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);

        File.WriteAllText(Path.Combine(folder, "d1", "f04.bin"), "CONTENT 04"); // same size, new bytes, mtime now

        var after = cache.Hash(folder);
        Assert.NotEqual(hash, after);
        Assert.Equal(1, cache.FilesHashed);
        Assert.Equal(Cache().Hash(folder), after);
    }

    [Fact]
    public void File_replaced_by_another_with_the_same_size_and_mtime_is_rehashed_by_its_new_inode()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);
        var other = _tmp.Write("elsewhere.bin", "CONTENT 07");
        File.SetLastWriteTimeUtc(other, Old);

        File.Move(other, Path.Combine(folder, "d1", "f07.bin"), overwrite: true);

        Assert.NotEqual(hash, cache.Hash(folder));
        Assert.Equal(1, cache.FilesHashed);
    }

    [Fact]
    public void File_edited_in_place_with_its_size_and_mtime_put_back_is_not_noticed_as_in_dvc()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);
        var file = Path.Combine(folder, "d2", "f05.bin");

        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Write("CONTENT 05"u8);
        }

        File.SetLastWriteTimeUtc(file, Old);

        // Same inode, size and mtime: the remembered hash stands (DVC's state db decides the same way).
        Assert.Equal(hash, cache.Hash(folder));
        Assert.Equal(0, cache.FilesHashed);
    }

    [Fact]
    public void Files_added_removed_or_renamed_change_the_folder_hash_and_only_new_names_are_read()
    {
        var folder = Folder();
        var (hash, cache) = HashAndReopen(folder);

        var added = _tmp.Write("data/d0/new.bin", "new");
        var withAdded = cache.Hash(folder);
        Assert.NotEqual(hash, withAdded);
        Assert.Equal(21, withAdded.NFiles);
        Assert.Equal(1, cache.FilesHashed);

        File.Delete(added);
        Assert.Equal(hash, cache.Hash(folder));

        File.Move(Path.Combine(folder, "d0", "f00.bin"), Path.Combine(folder, "d0", "renamed.bin"));
        var renamed = cache.Hash(folder);
        Assert.NotEqual(hash, renamed);
        Assert.Equal(20, renamed.NFiles);
        Assert.Equal(2, cache.FilesHashed); // the renamed file is new to the table; the other 19 are not read
    }

    [Fact]
    public void Mode_change_to_executable_changes_the_remembered_folder_of_a_sha256_cache()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folder = Folder();
        var sha = new ContentCache(_tmp.Combine("cache"), LinkTypes.Parse("copy"), StateTable.Open(_tmp.Combine("state")));
        var before = sha.Hash(folder);
        var file = Path.Combine(folder, "d0", "f03.bin");

        File.SetUnixFileMode(file, File.GetUnixFileMode(file) | UnixFileMode.UserExecute);

        Assert.NotEqual(before, sha.Hash(folder)); // the SHA-256 manifest records "isexec"
    }

    [Fact]
    public void A_table_written_before_folders_were_remembered_still_loads_its_files()
    {
        var folder = Folder();
        var (hash, _) = HashAndReopen(folder);
        var state = StateTable.Open(StatePath, HashKind.Md5);
        Assert.Equal(1, state.FolderCount);

        // Cut the folders' section off: what a table written by an earlier version holds.
        var bytes = File.ReadAllBytes(StatePath);
        var filesEnd = FilesSectionLength(bytes, state.Count);
        File.WriteAllBytes(StatePath, bytes[..filesEnd]);

        var cache = Cache();
        Assert.Equal(0, cache.State.FolderCount);
        Assert.Equal(20, cache.State.Count);
        Assert.Equal(hash, cache.Hash(folder));
        Assert.Equal(0, cache.FilesHashed);
    }

    // Magic, count, then per entry: 7-bit-length string, three int64s and a 16-byte MD5.
    private static int FilesSectionLength(byte[] bytes, int count)
    {
        var at = 12;
        for (var i = 0; i < count; i++)
        {
            int length = 0,
                shift = 0;
            byte b;
            do
            {
                b = bytes[at++];
                length |= (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);

            at += length + 24 + 16;
        }

        return at;
    }
}
