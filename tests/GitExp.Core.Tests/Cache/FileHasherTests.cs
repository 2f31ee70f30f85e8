using System.Text;
using GitExp.Core.Cache;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

public sealed class FileHasherTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Empty_file_hashes_to_the_known_vector()
    {
        var file = _tmp.Write("empty", "");
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FileHasher.HashFile(file));
    }

    [Fact]
    public void Abc_hashes_to_the_known_vector()
    {
        var file = _tmp.Write("abc", "abc");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileHasher.HashFile(file));
        Assert.Equal(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            FileHasher.HashBytes(Encoding.ASCII.GetBytes("abc"))
        );
    }

    [Fact]
    public void File_hash_equals_bytes_hash_across_buffer_boundaries()
    {
        var data = new byte[(3 << 20) + 7];
        new Random(42).NextBytes(data);
        var file = _tmp.Combine("big.bin");
        File.WriteAllBytes(file, data);

        Assert.Equal(FileHasher.HashBytes(data), FileHasher.HashFile(file));
    }
}
