using GitExp.Core.Cache;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

public sealed class RunCacheTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Stored_outs_come_back_for_the_same_key()
    {
        var runs = new RunCache(_tmp.Combine("cache"));
        var key = RunCache.Key("cmd: python train.py\ndeps: data.csv=abc\nparams: lr=0.1");
        IReadOnlyList<(string, ContentHash)> outs =
        [
            ("model.bin", new ContentHash(new string('a', 64), 10, null)),
            ("plots", new ContentHash(new string('b', 64) + ".dir", 20, 3)),
        ];

        Assert.False(runs.TryGet(key, out _));
        runs.Put(key, outs);

        Assert.True(new RunCache(_tmp.Combine("cache")).TryGet(key, out var back));
        Assert.Equal(outs, back);
        Assert.True(File.Exists(_tmp.Combine("cache", "runs", key[..2], key[2..])));
    }

    [Fact]
    public void Key_is_the_sha256_of_the_canonical_text()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", RunCache.Key("abc"));
    }

    [Fact]
    public void Unreadable_entry_is_a_miss()
    {
        var runs = new RunCache(_tmp.Combine("cache"));
        var key = RunCache.Key("x");
        _tmp.Write(Path.Combine("cache", "runs", key[..2], key[2..]), "{\"outs\":[{\"path\":");

        Assert.False(runs.TryGet(key, out var outs));
        Assert.Empty(outs);
    }
}
