using System.Text.Json.Nodes;
using GitExp.Core.Pipeline;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Pipeline;

public sealed class LockFileTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    private static StageLock Train() =>
        new(
            "train",
            "python train.py --out \"model dir\"",
            [new HashedPath("ml/data", "ab12.dir", 2048, 3), new HashedPath("shared/train.py", "cd34", 100, null)],
            new Dictionary<string, IReadOnlyDictionary<string, JsonNode?>>
            {
                ["ml/params.yaml"] = new Dictionary<string, JsonNode?>
                {
                    ["train.lr"] = JsonValue.Create(0.001),
                    ["name"] = JsonValue.Create("true"),
                    ["layers"] = new JsonArray(64, 32),
                    ["opt"] = new JsonObject { ["kind"] = "adam, fast", ["beta"] = 0.9 },
                    ["tag"] = null,
                },
            },
            [new HashedPath("ml/model.pt", "ef56", 10, null)]
        );

    [Theory]
    [InlineData("exp.yaml", "exp.lock")]
    [InlineData("dvc.yaml", "dvc.lock")]
    [InlineData("other/x.yaml", "other/x.lock")]
    [InlineData("./a/pipeline", "a/pipeline.lock")]
    public void Lock_path_sits_beside_the_pipeline_file(string pipeline, string expected) =>
        Assert.Equal(expected, LockFile.PathFor(pipeline));

    [Fact]
    public void Lock_file_writes_paths_relative_to_its_folder()
    {
        var lockFile = LockFile.Parse("", "ml/exp.yaml");
        lockFile.Set(Train());
        Assert.Equal(
            """
            schema: '1.0'
            stages:
              train:
                cmd: python train.py --out "model dir"
                deps:
                - path: data
                  sha256: ab12.dir
                  size: 2048
                  nfiles: 3
                - path: ../shared/train.py
                  sha256: cd34
                  size: 100
                params:
                  params.yaml:
                    layers: [64, 32]
                    name: "true"
                    opt: {kind: "adam, fast", beta: 0.9}
                    tag: null
                    train.lr: 0.001
                outs:
                - path: model.pt
                  sha256: ef56
                  size: 10

            """.ReplaceLineEndings("\n"),
            lockFile.Serialize()
        );
    }

    [Fact]
    public void Lock_file_round_trips_through_text_with_repo_relative_paths()
    {
        var lockFile = LockFile.Parse("", "ml/exp.yaml");
        lockFile.Set(Train());
        var text = lockFile.Serialize();
        var back = LockFile.Parse(text, "ml/exp.yaml");
        var stage = back.Stages["train"];
        var original = Train();
        Assert.Equal(original.Command, stage.Command);
        Assert.Equal(original.Deps, stage.Deps);
        Assert.Equal(original.Outs, stage.Outs);
        var values = Assert.Single(stage.Params);
        Assert.Equal("ml/params.yaml", values.Key);
        foreach (var (key, value) in original.Params["ml/params.yaml"])
        {
            Assert.True(JsonNode.DeepEquals(value, values.Value[key]), key);
        }
        Assert.Equal(text, back.Serialize());
    }

    [Fact]
    public void Lock_file_orders_stages_by_pipeline_then_insertion()
    {
        var lockFile = LockFile.Parse("", "exp.yaml");
        foreach (var name in new[] { "c", "b", "a" })
        {
            lockFile.Set(
                new StageLock(name, "run " + name, [], new Dictionary<string, IReadOnlyDictionary<string, JsonNode?>>(), [])
            );
        }
        Assert.Equal(["c", "b", "a"], LockFile.Parse(lockFile.Serialize(), "exp.yaml").Stages.Keys);
        lockFile.StageOrder = ["a", "b"];
        Assert.Equal(["a", "b", "c"], LockFile.Parse(lockFile.Serialize(), "exp.yaml").Stages.Keys);
        lockFile.Remove("b");
        Assert.Equal(["c", "a"], lockFile.Stages.Keys);
    }

    [Fact]
    public void Lock_file_saves_and_loads_beside_the_pipeline()
    {
        Assert.Empty(LockFile.Load(dir.Path, "sub/exp.yaml").Stages);
        var lockFile = LockFile.Load(dir.Path, "sub/exp.yaml");
        lockFile.Set(
            new StageLock(
                "s",
                "echo",
                [],
                new Dictionary<string, IReadOnlyDictionary<string, JsonNode?>>(),
                [new HashedPath("sub/o", "11", 1, null)]
            )
        );
        lockFile.Save(dir.Path);
        Assert.Contains("- path: o\n", dir.Read("sub/exp.lock"));
        Assert.Equal("sub/o", LockFile.Load(dir.Path, "sub/exp.yaml").Stages["s"].Outs[0].Path);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "sub")));
    }

    [Fact]
    public void Malformed_lock_names_file_line_and_key()
    {
        var e = Assert.Throws<ExpException>(() =>
            LockFile.Parse("schema: '1.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: o\n      size: big\n", "exp.yaml")
        );
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.Equal("exp.lock:7:13: stage 'a': 'outs': 'size' must be a whole number", e.Message);
    }

    // 18kimn/asmr's dvc.lock (cloud versioning on a GCS remote, a dep DVC could not hash) and
    // iterative/sagemaker-pipeline's (an https dep with its server's checksum): DVC's keys GitExp does not act on
    // are read and written back unchanged.
    [Fact]
    public void Dvc_lock_keeps_cloud_versions_and_url_deps_as_dvc_wrote_them()
    {
        const string text = """
            schema: '2.0'
            stages:
              get_oxgraph:
                cmd: python src/get_oxgraph.py
                deps:
                - path: https://example.com/data/bank-additional.zip
                  hash: md5
                  checksum: '"7e1251f64f0853895d094700448216ee"'
                  size: 432828
                - path: outputs/filtered_queryable_points.csv
                outs:
                - path: outputs/oxgraph.csv
                  hash: md5
                  md5: 123bb4cf60bef4f76bf69eb2805ede63
                  size: 306194
                  isexec: true
                  cloud:
                    gcp:
                      etag: 0897a3a2c9b1ef84031001
                      version_id: '1710269284258199'

            """;

        var lockFile = LockFile.Parse(text, "sub/dvc.yaml");

        var stage = lockFile.Stages["get_oxgraph"];
        // An http(s) dep's ETag (DVC's 'checksum') is its hash: status compares it with what its server says now.
        Assert.Equal(
            new HashedPath("https://example.com/data/bank-additional.zip", "\"7e1251f64f0853895d094700448216ee\"", 432828, null),
            stage.Deps[0]
        );
        Assert.Equal("sub/outputs/oxgraph.csv", stage.Outs[0].Path);
        Assert.Equal(new HashedPath("sub/outputs/filtered_queryable_points.csv", "", -1, null), stage.Deps[1]);
        var written = lockFile.Serialize();
        Assert.Contains(
            "- path: \"https://example.com/data/bank-additional.zip\"\n      hash: md5\n      checksum: \"\\\"7e1251f64f0853895d094700448216ee\\\"\"\n      size: 432828\n",
            written,
            StringComparison.Ordinal
        );
        Assert.Contains("      isexec: true\n", written, StringComparison.Ordinal);
        Assert.Contains(
            "      cloud: {gcp: {etag: 0897a3a2c9b1ef84031001, version_id: \"1710269284258199\"}}\n",
            written,
            StringComparison.Ordinal
        );
        Assert.Equal(written, LockFile.Parse(written, "sub/dvc.yaml").Serialize());
    }

    // AndreaVidali/dvc-dag's stages/data/dvc.yaml runs its stages with 'wdir: ../..': DVC's lock names their paths
    // from there, and keeps a dep outside the repository as written (absolute, or '../' from the wdir).
    [Fact]
    public void A_dvc_lock_names_paths_from_the_stages_wdir_and_keeps_paths_outside_the_repository()
    {
        var pipeline = PipelineParser.Parse(
            "stages:\n  s:\n    cmd: x\n    wdir: ../..\n    deps: [data/a.json, ../src/cli.py, /mnt/efs/meta]\n    outs:\n    - data/b.json\n",
            "stages/data/dvc.yaml"
        );
        const string Text = """
            schema: '2.0'
            stages:
              s:
                cmd: x
                deps:
                - path: ../src/cli.py
                  hash: md5
                  md5: 83b85e42328ffa5454f1028cd11a11d1
                  size: 4841
                - path: /mnt/efs/meta
                  hash: md5
                  md5: 7ac49b54aa3ff0b49d3875a8a2c4b4e7.dir
                  size: 81707590807
                  nfiles: 52
                - path: data/a.json
                  hash: md5
                  md5: 46bd3f2d79b13039872e64e593e9c3e3
                  size: 728
                outs:
                - path: data/b.json
                  hash: md5
                  md5: 883f519e639de66f776c40a6486dd76b
                  size: 741

            """;

        var read = LockFile.Parse(Text.ReplaceLineEndings("\n"), "stages/data/dvc.yaml", pipeline.Stages);

        var stage = read.Stages["s"];
        Assert.Equal(["../src/cli.py", "/mnt/efs/meta", "data/a.json"], stage.Deps.Select(d => d.Path));
        Assert.Equal(
            pipeline.Stages[0].Deps.Order(StringComparer.Ordinal),
            stage.Deps.Select(d => d.Path).Order(StringComparer.Ordinal)
        );
        Assert.Equal("data/b.json", stage.Outs[0].Path);
        Assert.Equal(Text.ReplaceLineEndings("\n"), read.Serialize());
    }

    // nesterione/dvc-pipelines commits DVC 1's lock: stages at the top level, no schema. DVC 2 read it and wrote
    // it as 2.0 on its next write (DVC 3 refuses it).
    [Fact]
    public void A_dvc_1_lock_file_is_read_and_written_back_as_schema_2_0()
    {
        var read = LockFile.Parse(
            """
            step_1:
              cmd: python -m scripts.action_a
              deps:
              - path: data/raw.txt
                md5: 7ad3d6a8f356ab26a5a908a98afbf4bf
              params:
                params.yaml:
                  lr: 0.1
              outs:
              - path: output/step_1.txt
                md5: 20d46f66f60d266d39b380b41c615a76
            step_2:
              cmd: python -m scripts.action_c
              deps:
              - path: output/step_1.txt
                md5: 20d46f66f60d266d39b380b41c615a76
            """,
            "sub/dvc.yaml"
        );

        Assert.Equal(["step_1", "step_2"], read.Stages.Keys);
        var step1 = read.Stages["step_1"];
        Assert.Equal("python -m scripts.action_a", step1.Command);
        Assert.Equal(new HashedPath("sub/data/raw.txt", "7ad3d6a8f356ab26a5a908a98afbf4bf", -1, null), step1.Deps[0]);
        Assert.Equal("0.1", step1.Params["sub/params.yaml"]["lr"]!.ToJsonString());
        Assert.Equal("sub/output/step_1.txt", step1.Outs[0].Path);
        Assert.Equal(
            """
            schema: '2.0'
            stages:
              step_1:
                cmd: python -m scripts.action_a
                deps:
                - path: data/raw.txt
                  hash: md5
                  md5: 7ad3d6a8f356ab26a5a908a98afbf4bf
                params:
                  params.yaml:
                    lr: 0.1
                outs:
                - path: output/step_1.txt
                  hash: md5
                  md5: 20d46f66f60d266d39b380b41c615a76
              step_2:
                cmd: python -m scripts.action_c
                deps:
                - path: output/step_1.txt
                  hash: md5
                  md5: 20d46f66f60d266d39b380b41c615a76

            """.ReplaceLineEndings("\n"),
            read.Serialize()
        );
    }
}
