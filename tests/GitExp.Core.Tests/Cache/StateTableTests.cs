using GitExp.Core.Cache;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

public sealed class StateTableTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string StatePath => _tmp.Combine(".exp", "tmp", "state");

    [Fact]
    public void Unchanged_file_is_not_rehashed_after_reopening_the_table()
    {
        var file = _tmp.Write("data.csv", "a,b\n1,2\n");
        var first = new ContentCache(_tmp.Combine("cache"), LinkTypes.Default, StateTable.Open(StatePath));
        var hash = first.Hash(file);
        Assert.Equal(1, first.FilesHashed);
        var state = StateTable.Open(StatePath);
        Assert.Equal(0, state.Count); // nothing is persisted until Save
        StateTableOf(first).Save();

        var second = new ContentCache(_tmp.Combine("cache"), LinkTypes.Default, StateTable.Open(StatePath));
        Assert.Equal(hash, second.Hash(file));
        Assert.Equal(0, second.FilesHashed);
    }

    [Fact]
    public void Remembered_hash_is_trusted_while_size_mtime_and_inode_match()
    {
        // Proves the table is consulted: same size, same inode, mtime put back, different bytes.
        var file = _tmp.Write("f.txt", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(file);
        var state = StateTable.Open(StatePath);
        var cache = new ContentCache(_tmp.Combine("cache"), LinkTypes.Default, state);
        var before = cache.Hash(file);

        using (var s = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            s.Write("bbbb"u8);
        }

        File.SetLastWriteTimeUtc(file, mtime);

        Assert.Equal(before, cache.Hash(file));
        Assert.Equal(1, cache.FilesHashed);
    }

    [Fact]
    public void Changed_mtime_is_detected()
    {
        var file = _tmp.Write("f.txt", "aaaa");
        var state = StateTable.Open(StatePath);
        var cache = new ContentCache(_tmp.Combine("cache"), LinkTypes.Default, state);
        var before = cache.Hash(file);
        var mtime = File.GetLastWriteTimeUtc(file);

        using (var s = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            s.Write("bbbb"u8);
        }

        File.SetLastWriteTimeUtc(file, mtime.AddSeconds(1));

        Assert.False(state.TryGet(file, out _));
        Assert.NotEqual(before, cache.Hash(file));
        Assert.Equal(FileHasher.HashBytes("bbbb"u8), cache.Hash(file).Sha256);
        Assert.Equal(2, cache.FilesHashed);
    }

    [Fact]
    public void File_replaced_by_another_inode_is_detected()
    {
        var file = _tmp.Write("f.txt", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(file);
        var state = StateTable.Open(StatePath);
        state.Set(file, FileHasher.HashFile(file));

        var other = _tmp.Write("g.txt", "bbbb");
        File.SetLastWriteTimeUtc(other, mtime);
        File.Move(other, file, overwrite: true);

        Assert.False(state.TryGet(file, out _));
    }

    [Fact]
    public void Corrupt_or_missing_state_file_gives_an_empty_table()
    {
        Assert.Equal(0, StateTable.Open(StatePath).Count);
        _tmp.Write(Path.Combine(".exp", "tmp", "state"), "EXPSTAT1\u0005\0\0\0garbage");
        Assert.Equal(0, StateTable.Open(StatePath).Count);
        File.WriteAllBytes(StatePath, new byte[] { 1, 2, 3 });
        Assert.Equal(0, StateTable.Open(StatePath).Count);
    }

    [Fact]
    public void Save_without_changes_does_not_write()
    {
        var file = _tmp.Write("f.txt", "x");
        var state = StateTable.Open(StatePath);
        state.Save();
        Assert.False(File.Exists(StatePath));

        state.Set(file, FileHasher.HashFile(file));
        state.Save();
        var written = File.GetLastWriteTimeUtc(StatePath);
        File.SetLastWriteTimeUtc(StatePath, written.AddDays(-1));
        state.Set(file, FileHasher.HashFile(file)); // same stat, same hash: not a change
        state.Save();

        Assert.Equal(written.AddDays(-1), File.GetLastWriteTimeUtc(StatePath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(StatePath)!, "*.tmp"));
    }

    // How fast this loads is measured by bench/ ('state'), not here: a test must pass on a busy machine.
    [Fact]
    public void Ten_thousand_entries_load_back_exactly_as_saved()
    {
        var file = _tmp.Write("f.txt", "x");
        var sha = FileHasher.HashFile(file);
        var state = StateTable.Open(StatePath);
        state.Set(file, sha);
        for (var i = 0; i < 10_000; i++)
        {
            state.SetForTest(EntryPath(i), 100 + i, 638_000_000_000_000_000 + i, (ulong)i, $"{i:x64}");
        }

        state.Save();

        var loaded = StateTable.Open(StatePath);

        Assert.Equal(10_001, loaded.Count);
        Assert.True(loaded.TryGet(file, out var remembered));
        Assert.Equal(sha, remembered);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal((100 + i, 638_000_000_000_000_000 + i, (ulong)i, $"{i:x64}"), loaded.EntryForTest(EntryPath(i)));
        }
    }

    private string EntryPath(int i) => _tmp.Combine("d", $"file-{i:D5}.bin");

    private static StateTable StateTableOf(ContentCache cache) => cache.State;
}
