using System.Text;
using GitExp.Core.Cache;
using GitExp.Core.Pipeline;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Cache;

/// <summary>
/// DVC 3's hashes, so a stage DVC recorded is up to date here and a dvc.lock GitExp writes is DVC's. The expected
/// values were computed with Python the way dvc-data does (hashlib.md5 of the bytes; for a directory the MD5 of
/// <c>json.dumps(sorted entries, sort_keys=True)</c>, plus ".dir"); see docs/formats.md.
/// </summary>
public sealed class DvcHashTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private ContentCache Md5Cache(string cacheFolder = "dvc-cache") =>
        new(_tmp.Combine(cacheFolder), LinkTypes.Parse("copy"), StateTable.Open(_tmp.Combine("state-md5"), HashKind.Md5));

    // Vector: five files, a space, a non-ASCII name and two names that sort differently by '-' and '.'.
    private void WriteVectorFolder(string folder)
    {
        _tmp.Write(folder + "/a.txt", "a\n");
        _tmp.Write(folder + "/a-b.txt", "x");
        _tmp.Write(folder + "/sub/b.txt", "b\n");
        _tmp.Write(folder + "/sub/c d.txt", "");
        _tmp.Write(folder + "/\u00e9t\u00e9.txt", "summer\n");
    }

    [Theory]
    [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("a\n", "60b725f10c9c85c70d97880dfe8191b3")]
    [InlineData("hello\r\nworld\r\n", "7ac062d8a84466e70d9b899c0821a51c")]
    public void A_file_hashes_to_the_plain_md5_of_its_bytes(string content, string md5)
    {
        _tmp.Write("f", content);

        var hash = Md5Cache().Hash(_tmp.Combine("f"));

        Assert.Equal(md5, hash.Sha256);
        Assert.Equal(Encoding.UTF8.GetByteCount(content), hash.Size);
        Assert.Null(hash.NFiles);
    }

    [Fact]
    public void The_dir_manifest_is_serialized_byte_for_byte_as_dvc_data_writes_it()
    {
        var bytes = DvcManifest.Serialize([
            ("a-b.txt", "9dd4e461268c8034f5c8564e155c67a6"),
            ("a.txt", "60b725f10c9c85c70d97880dfe8191b3"),
            ("sub/b.txt", "3b5d5c3712955042212316173ccf37be"),
            ("sub/c d.txt", "d41d8cd98f00b204e9800998ecf8427e"),
            ("\u00e9t\u00e9.txt", "e75e33e14332df297c9ef5ea0cdcd006"),
        ]);

        Assert.Equal(
            """[{"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "a-b.txt"}, {"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, {"md5": "3b5d5c3712955042212316173ccf37be", "relpath": "sub/b.txt"}, {"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "sub/c d.txt"}, {"md5": "e75e33e14332df297c9ef5ea0cdcd006", "relpath": "\u00e9t\u00e9.txt"}]""",
            Encoding.ASCII.GetString(bytes)
        );
        Assert.Equal("[]", Encoding.ASCII.GetString(DvcManifest.Serialize([])));
    }

    [Fact]
    public void A_directory_hashes_to_the_md5_of_its_dvc_manifest_with_the_dir_suffix()
    {
        WriteVectorFolder("data");

        var hash = Md5Cache().Hash(_tmp.Combine("data"));

        Assert.Equal("fda3e57c10d2e54f0f788ec6366f0851.dir", hash.Sha256);
        Assert.Equal(12, hash.Size);
        Assert.Equal(5, hash.NFiles);
    }

    [Fact]
    public void Saved_objects_go_where_dvc_keeps_them_and_check_out_again()
    {
        WriteVectorFolder("data");
        var cache = Md5Cache(".dvc/cache");

        var hash = cache.Save(_tmp.Combine("data"));

        // DVC 3's layout: files/md5/<2>/<30>, the .dir object holding the manifest itself.
        var manifest = _tmp.Combine(".dvc/cache/files/md5/fd/a3e57c10d2e54f0f788ec6366f0851.dir");
        Assert.Equal("fda3e57c10d2e54f0f788ec6366f0851", FileHasher.HashBytes(File.ReadAllBytes(manifest), HashKind.Md5));
        Assert.True(File.Exists(_tmp.Combine(".dvc/cache/files/md5/60/b725f10c9c85c70d97880dfe8191b3")));
        Directory.Delete(_tmp.Combine("data"), recursive: true);
        Assert.True(cache.Contains(hash));
        cache.Checkout(hash, _tmp.Combine("data"));
        Assert.Equal("summer\n", File.ReadAllText(_tmp.Combine("data/\u00e9t\u00e9.txt")));
        Assert.Equal(hash, cache.Hash(_tmp.Combine("data")));
    }

    [Fact]
    public void The_state_table_remembers_md5s_across_opens()
    {
        _tmp.Write("f", "a\n");
        var first = Md5Cache();
        first.Hash(_tmp.Combine("f"));
        first.State.Save();

        var second = Md5Cache();
        Assert.Equal("60b725f10c9c85c70d97880dfe8191b3", second.Hash(_tmp.Combine("f")).Sha256);
        Assert.Equal(0, second.FilesHashed);
    }

    [Fact]
    public void Dvc_lock_is_written_in_dvcs_format_and_read_back()
    {
        var lockFile = LockFile.Parse("", "ml/dvc.yaml");
        lockFile.Set(
            new StageLock(
                "train",
                "python prep.py\npython train.py",
                [new HashedPath("ml/data", "fda3e57c10d2e54f0f788ec6366f0851.dir", 12, 5)],
                new Dictionary<string, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>>
                {
                    ["ml/params.yaml"] = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
                    {
                        ["train.lr"] = System.Text.Json.Nodes.JsonValue.Create(0.2),
                    },
                },
                [new HashedPath("ml/model.pkl", "60b725f10c9c85c70d97880dfe8191b3", 2, null)]
            )
        );

        var text = lockFile.Serialize();

        Assert.Equal(
            """
            schema: '2.0'
            stages:
              train:
                cmd:
                - python prep.py
                - python train.py
                deps:
                - path: data
                  hash: md5
                  md5: fda3e57c10d2e54f0f788ec6366f0851.dir
                  size: 12
                  nfiles: 5
                params:
                  params.yaml:
                    train.lr: 0.2
                outs:
                - path: model.pkl
                  hash: md5
                  md5: 60b725f10c9c85c70d97880dfe8191b3
                  size: 2

            """.ReplaceLineEndings("\n"),
            text
        );
        var back = LockFile.Parse(text, "ml/dvc.yaml").Stages["train"];
        Assert.Equal("python prep.py\npython train.py", back.Command);
        Assert.Equal(lockFile.Stages["train"].Deps, back.Deps);
        Assert.Equal(lockFile.Stages["train"].Outs, back.Outs);
    }

    [Fact]
    public void A_dvc_2_lock_without_hash_or_size_is_read()
    {
        var text = """
            schema: '2.0'
            stages:
              train:
                cmd: python train.py
                deps:
                - path: train.py
                  md5: 60b725f10c9c85c70d97880dfe8191b3
                outs:
                - path: model.pkl
                  md5: d41d8cd98f00b204e9800998ecf8427e
                  size: 0
                  isexec: true
            """;

        var stage = LockFile.Parse(text, "dvc.yaml").Stages["train"];

        Assert.Equal(new HashedPath("train.py", "60b725f10c9c85c70d97880dfe8191b3", -1, null), stage.Deps[0]);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", stage.Outs[0].Sha256);
    }

    [Fact]
    public void A_dvc_lock_with_another_schema_names_the_file_and_the_schema()
    {
        var error = Assert.Throws<ExpException>(() => LockFile.Parse("schema: '1.0'\nstages: {}\n", "dvc.yaml"));
        Assert.Contains("dvc.lock", error.Message, StringComparison.Ordinal);
        Assert.Contains("'2.0'", error.Message, StringComparison.Ordinal);
    }
}
