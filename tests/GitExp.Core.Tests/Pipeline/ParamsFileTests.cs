using System.Text.Json.Nodes;
using GitExp.Core.Pipeline;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Pipeline;

public sealed class ParamsFileTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    private const string Yaml = """
        # training parameters
        seed: 42   # fixed for reproducibility
        train:
          lr: 0.001  # learning rate
          epochs: 10
          optimizer: adam
          layers: [64, 32]
          schedule:
            - {step: 10, lr: 0.1}
            - step: 20
              lr: 0.01
        name: "007"
        flags:
          debug: false
          tag: ~

        # evaluation
        eval:
          batch: 128
        """;

    [Fact]
    public void Dotted_keys_reach_nested_values_and_list_items()
    {
        var p = ParamsFile.Parse(Yaml, "params.yaml");
        Assert.True(p.TryGet("train.lr", out var lr));
        Assert.Equal(0.001, lr!.GetValue<double>());
        Assert.True(p.TryGet("train.layers[1]", out var layer));
        Assert.Equal(32, layer!.GetValue<long>());
        Assert.True(p.TryGet("train.schedule[1].lr", out var slr));
        Assert.Equal(0.01, slr!.GetValue<double>());
        Assert.True(p.TryGet("name", out var name));
        Assert.Equal("007", name!.GetValue<string>());
        Assert.True(p.TryGet("flags.tag", out var tag));
        Assert.Null(tag);
        Assert.True(p.TryGet("flags.debug", out var debug));
        Assert.False(debug!.GetValue<bool>());
        Assert.False(p.TryGet("train.missing", out _));
        Assert.False(p.TryGet("train.layers[5]", out _));
        Assert.False(p.TryGet("seed.x", out _));
    }

    [Fact]
    public void Flatten_lists_leaves_in_file_order_keeping_scalar_lists_whole()
    {
        var p = ParamsFile.Parse(Yaml, "params.yaml");
        var flat = p.Flatten().Select(kv => $"{kv.Key}={kv.Value?.ToJsonString() ?? "null"}");
        Assert.Equal(
            [
                "seed=42",
                "train.lr=0.001",
                "train.epochs=10",
                "train.optimizer=\"adam\"",
                "train.layers=[64,32]",
                "train.schedule[0].step=10",
                "train.schedule[0].lr=0.1",
                "train.schedule[1].step=20",
                "train.schedule[1].lr=0.01",
                "name=\"007\"",
                "flags.debug=false",
                "flags.tag=null",
                "eval.batch=128",
            ],
            flat
        );
    }

    [Fact]
    public void Yaml_scalars_follow_the_core_schema()
    {
        var p = ParamsFile.Parse("a: 1e-3\nb: 'true'\nc: True\nd: 0x1F\ne: .inf\nf: 1.5\ng: -7\nh: null\n", "p.yaml");
        var values = p.Flatten().ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString() ?? "null");
        Assert.Equal("0.001", values["a"]);
        Assert.Equal("\"true\"", values["b"]);
        Assert.Equal("true", values["c"]);
        Assert.Equal("31", values["d"]);
        Assert.Equal("\".inf\"", values["e"]);
        Assert.Equal("1.5", values["f"]);
        Assert.Equal("-7", values["g"]);
        Assert.Equal("null", values["h"]);
    }

    [Fact]
    public void Json_params_files_load_by_extension()
    {
        var full = dir.Write("conf/model.json", """{"model": {"layers": [{"units": 8}], "dropout": 0.5}}""");
        var p = ParamsFile.Load(full, "conf/model.json");
        Assert.True(p.TryGet("model.layers[0].units", out var units));
        Assert.Equal(8, units!.GetValue<int>());
        Assert.Equal(["model.layers[0].units", "model.dropout"], p.Flatten().Select(kv => kv.Key));
    }

    [Fact]
    public void Missing_file_is_not_found_and_bad_json_names_line_and_column()
    {
        var e = Assert.Throws<ExpException>(() => ParamsFile.Load(Path.Combine(dir.Path, "params.yaml"), "params.yaml"));
        Assert.Equal(ExitCode.NotFound, e.Code);
        Assert.Equal("params.yaml: params file not found", e.Message);
        var bad = Assert.Throws<ExpException>(() => ParamsFile.Parse("{\n  \"a\": 1,\n  \"b\" 2\n}", "p.json"));
        Assert.Equal(ExitCode.InvalidProject, bad.Code);
        Assert.StartsWith("p.json:3:", bad.Message);
        Assert.DoesNotContain('\n', bad.Message);
    }

    [Fact]
    public void Params_rewrite_keeps_comments_and_key_order()
    {
        var full = dir.Write("params.yaml", Yaml);
        ParamsFile.SetValues(
            full,
            "params.yaml",
            [
                ParamAssignment.Parse("train.lr=0.01"),
                ParamAssignment.Parse("train.layers[0]=128"),
                ParamAssignment.Parse("seed=7"),
                ParamAssignment.Parse("flags.tag=v2"),
            ]
        );
        var expected = Yaml.Replace("seed: 42   #", "seed: 7   #")
            .Replace("lr: 0.001  #", "lr: 0.01  #")
            .Replace("[64, 32]", "[128, 32]")
            .Replace("tag: ~", "tag: v2");
        Assert.Equal(expected, dir.Read("params.yaml"));
    }

    [Fact]
    public void Params_rewrite_quotes_values_that_must_stay_text()
    {
        var full = dir.Write("params.yaml", "a: 1\nb: x\nc: [1, 2]\n");
        ParamsFile.SetValues(
            full,
            "params.yaml",
            // YAML texts as the writer gets them (-S itself needs quotes around '#' and ',': Hydra's grammar).
            [
                new ParamAssignment(null, "a", "x: y"),
                new ParamAssignment(null, "b", "v # not a comment"),
                new ParamAssignment(null, "c[1]", "p,q"),
            ]
        );
        Assert.Equal("a: \"x: y\"\nb: \"v # not a comment\"\nc: [1, \"p,q\"]\n", dir.Read("params.yaml"));
    }

    [Fact]
    public void Params_rewrite_replaces_whole_lists_and_block_values()
    {
        var full = dir.Write("params.yaml", "layers:\n- 64\n- 32\n# kept\nnote: |\n  long\n  text\nend: 1\n");
        ParamsFile.SetValues(full, "params.yaml", [ParamAssignment.Parse("layers=[8, 8]"), ParamAssignment.Parse("note=short")]);
        Assert.Equal("layers: [8, 8]\n# kept\nnote: short\nend: 1\n", dir.Read("params.yaml"));
    }

    [Fact]
    public void Params_rewrite_adds_new_keys_under_their_existing_parent()
    {
        var full = dir.Write("params.yaml", "train:\n  lr: 0.1  # rate\n\n# eval\neval:\n  batch: 1\nempty:\nflow: {a: 1}\n");
        ParamsFile.SetValues(
            full,
            "params.yaml",
            [
                ParamAssignment.Parse("train.momentum=0.9"),
                ParamAssignment.Parse("train.opt.name=sgd"),
                ParamAssignment.Parse("empty.x=1"),
                ParamAssignment.Parse("flow.b=2"),
                ParamAssignment.Parse("new.deep.key=true"),
            ]
        );
        Assert.Equal(
            "train:\n  lr: 0.1  # rate\n  momentum: 0.9\n  opt:\n    name: sgd\n\n# eval\neval:\n  batch: 1\nempty:\n  x: 1\nflow: {a: 1, b: 2}\nnew:\n  deep:\n    key: true\n",
            dir.Read("params.yaml")
        );
    }

    [Fact]
    public void Params_rewrite_adds_after_an_empty_value_and_into_an_empty_flow_map()
    {
        var full = dir.Write("params.yaml", "a:\n  x: 1\n  y:\nb: {}\n");
        ParamsFile.SetValues(full, "params.yaml", [ParamAssignment.Parse("a.z=2"), ParamAssignment.Parse("b.k=v")]);
        Assert.Equal("a:\n  x: 1\n  y:\n  z: 2\nb: {k: v}\n", dir.Read("params.yaml"));
    }

    [Fact]
    public void Params_rewrite_of_an_empty_file_appends_keys()
    {
        var full = dir.Write("params.yaml", "# nothing yet");
        ParamsFile.SetValues(full, "params.yaml", [ParamAssignment.Parse("a.b=1")]);
        Assert.Equal("# nothing yet\na:\n  b: 1\n", dir.Read("params.yaml"));
    }

    [Fact]
    public void Params_rewrite_refuses_to_add_list_items_or_go_through_scalars()
    {
        var full = dir.Write("params.yaml", "l: [1]\ns: 3\n");
        var e = Assert.Throws<ExpException>(() => ParamsFile.SetValues(full, "params.yaml", [ParamAssignment.Parse("l[3]=1")]));
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Equal("params.yaml: cannot set 'l[3]': 'l' has no list item 3 (list items can be changed, not added)", e.Message);
        e = Assert.Throws<ExpException>(() => ParamsFile.SetValues(full, "params.yaml", [ParamAssignment.Parse("s.x=1")]));
        Assert.Equal("params.yaml: cannot set 's.x': 's' is not a map", e.Message);
        Assert.Equal("l: [1]\ns: 3\n", dir.Read("params.yaml"));
    }

    [Fact]
    public void Json_params_rewrite_keeps_order_and_types()
    {
        var full = dir.Write("p.json", "{\"b\": 1, \"a\": {\"x\": [1, 2]}}");
        ParamsFile.SetValues(
            full,
            "p.json",
            [ParamAssignment.Parse("a.x[0]=5"), ParamAssignment.Parse("b=text"), ParamAssignment.Parse("a.y.z=true")]
        );
        Assert.Equal(
            // A one-line file stays one line.
            "{\"b\":\"text\",\"a\":{\"x\":[5,2],\"y\":{\"z\":true}}}",
            dir.Read("p.json")
        );
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Set_values_refuses_a_file_that_is_not_utf8_and_leaves_its_bytes_alone()
    {
        var path = dir.Combine("params.yaml");
        byte[] latin1 = [.. "lr: 0.1\nname: caf"u8, 0xE9, (byte)'\n'];
        File.WriteAllBytes(path, latin1);

        var e = Assert.Throws<ExpException>(() =>
            ParamsFile.SetValues(path, "params.yaml", [new ParamAssignment(null, "lr", "0.2")])
        );

        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.StartsWith("params.yaml: byte offset 17 is not valid UTF-8", e.Message);
        Assert.Equal(latin1, File.ReadAllBytes(path));
    }

    [Fact]
    public void Decoding_for_an_edit_skips_a_utf8_byte_order_mark() =>
        Assert.Equal("a: é\n", ParamsFile.DecodeForEdit([0xEF, 0xBB, 0xBF, .. "a: é\n"u8], "params.yaml"));

    [Fact]
    public void Yaml_merge_keys_read_as_dvc_reads_them_and_setting_a_merged_key_overrides_it_in_place()
    {
        const string text = "base: &base\n  lr: 0.1\n  epochs: 3\ntrain:\n  <<: *base\n  epochs: 5\n";
        var p = ParamsFile.Parse(text, "params.yaml");

        Assert.True(p.TryGet("train.lr", out var lr));
        Assert.Equal(0.1, lr!.GetValue<double>());
        Assert.True(p.TryGet("train.epochs", out var epochs));
        Assert.Equal(5, epochs!.GetValue<long>());
        // The key is written beside '<<', where it wins; the anchored map, which others may merge, stays.
        var set = ParamsFile.SetValuesInText(text, "params.yaml", [ParamAssignment.Parse("train.lr=0.2")]);
        var after = ParamsFile.Parse(set, "params.yaml");
        Assert.True(after.TryGet("train.lr", out var newLr));
        Assert.Equal(0.2, newLr!.GetValue<double>());
        Assert.True(after.TryGet("base.lr", out var baseLr));
        Assert.Equal(0.1, baseLr!.GetValue<double>());
    }
}
