using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>TOML and JSON params files, read and edited on real-shaped files (see Corpus/SOURCES.md).</summary>
public sealed class ParamsFormatTests
{
    private static string Corpus(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Pipeline", "Corpus", name));

    private static ParamAssignment Set(string key, string value) => new(null, key, value);

    [Fact]
    public void Toml_params_read_by_table_and_key()
    {
        var p = ParamsFile.Parse(Corpus("delta-data-control.params.toml"), "params.toml");
        var values = p.Flatten().ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString() ?? "null");
        Assert.Equal("3", values["clustering.n_clusters"]);
        Assert.Equal("\"viridis\"", values["visualization.colormap"]);
        Assert.Equal("[\"TMAX\",\"TMIN\"]", values["data.dataTypes"]);
        Assert.Equal("data.url", p.Flatten()[0].Key);
    }

    [Fact]
    public void Toml_set_replaces_only_the_value_keeping_comments_and_order()
    {
        var text = Corpus("delta-data-control.params.toml");
        var edited = ParamsFile.SetValuesInText(
            text,
            "params.toml",
            [Set("clustering.n_clusters", "5"), Set("data.dataTypes", "[TMAX]")]
        );
        var expected = text.Replace("n_clusters = 3", "n_clusters = 5", StringComparison.Ordinal)
            .Replace("dataTypes = [\"TMAX\", \"TMIN\"]", "dataTypes = [\"TMAX\"]", StringComparison.Ordinal);
        Assert.Equal(expected, edited);
    }

    [Fact]
    public void Toml_new_key_goes_under_its_table()
    {
        var text = "# top\nseed = 1\n\n[train]\nlr = 0.1 # rate\n\n[eval]\nbatch = 8\n";
        var edited = ParamsFile.SetValuesInText(text, "p.toml", [Set("train.epochs", "10"), Set("learning_rate", "0.0001")]);
        Assert.Equal(
            "# top\nseed = 1\nlearning_rate = 0.0001\n\n[train]\nlr = 0.1 # rate\nepochs = 10\n\n[eval]\nbatch = 8\n",
            edited
        );
    }

    [Fact]
    public void Toml_inline_tables_and_dotted_keys_are_edited_in_place()
    {
        var text = "opt = { name = \"adam\", lr = 0.1 }\nmodel.depth = 3\n";
        var edited = ParamsFile.SetValuesInText(text, "p.toml", [Set("opt.lr", "0.01"), Set("model.depth", "4")]);
        Assert.Equal("opt = { name = \"adam\", lr = 0.01 }\nmodel.depth = 4\n", edited);
    }

    [Fact]
    public void Invalid_toml_names_file_line_and_column()
    {
        var e = Assert.Throws<ExpException>(() => ParamsFile.Parse("a = 1\nb = \n", "params.toml"));
        Assert.StartsWith("params.toml:2:", e.Message, StringComparison.Ordinal);
        Assert.Contains("invalid TOML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Toml_null_is_refused_in_one_line()
    {
        var e = Assert.Throws<ExpException>(() => ParamsFile.SetValuesInText("a = 1\n", "p.toml", [Set("a", "null")]));
        Assert.Equal("p.toml: cannot set 'a' to null: TOML has no null value", e.Message);
    }

    [Fact]
    public void Json_set_keeps_the_files_indentation_and_key_order()
    {
        var text =
            "{\n    \"train\": {\n        \"lr\": 0.1,\n        \"layers\": [\n            64,\n            32\n        ]\n    },\n    \"seed\": 1\n}\n";
        var edited = ParamsFile.SetValuesInText(text, "params.json", [Set("train.lr", "0.01")]);
        Assert.Equal(text.Replace("0.1,", "0.01,", StringComparison.Ordinal), edited);

        var tabs = "{\n\t\"a\": 1,\n\t\"b\": 2\n}";
        Assert.Equal("{\n\t\"a\": 5,\n\t\"b\": 2\n}", ParamsFile.SetValuesInText(tabs, "p.json", [Set("a", "5")]));
    }

    [Fact]
    public void Unsupported_extension_is_one_line_naming_the_file_and_formats()
    {
        var e = Assert.Throws<ExpException>(() => ParamsFile.Parse("a = 1", "config.ini"));
        Assert.Equal(
            "config.ini: params files must be YAML (.yaml, .yml), JSON (.json), TOML (.toml) or Python (.py)",
            e.Message
        );
    }

    [Fact]
    public void Python_params_read_module_and_class_constants_like_dvc()
    {
        var p = ParamsFile.Parse(Corpus("visium-iris.params.py"), "params.py");
        Assert.Equal(
            [
                "TEST_RATIO=0.4",
                "SEED=5",
                "MAX_TRAINING_ITERATIONS=500",
                "TrainModelParams.HIDDEN_LAYER_SIZE=100",
                "TrainModelParams.N_HIDDEN_LAYERS=3",
            ],
            p.Flatten().Select(kv => kv.Key + "=" + kv.Value!.ToJsonString())
        );
    }

    [Fact]
    public void Python_set_rewrites_the_literal_in_place()
    {
        var text = Corpus("visium-iris.params.py");
        var edited = ParamsFile.SetValuesInText(
            text,
            "params.py",
            [
                Set("SEED", "7"),
                Set("TrainModelParams.N_HIDDEN_LAYERS", "4"),
                Set("TrainModelParams.ACTIVATION", "relu"),
                Set("EPOCHS", "3"),
            ]
        );
        var expected =
            text.Replace("SEED = 5", "SEED = 7", StringComparison.Ordinal)
                .Replace("N_HIDDEN_LAYERS = 3\n", "N_HIDDEN_LAYERS = 4\n    ACTIVATION = \"relu\"\n", StringComparison.Ordinal)
            + "EPOCHS = 3\n";
        Assert.Equal(expected, edited);
    }

    [Fact]
    public void Python_literals_annotations_init_and_containers_follow_dvcs_rules()
    {
        const string text = """
            import os
            from dataclasses import dataclass

            DATA = os.path.join("data", "x")  # not a literal: skipped
            LR: float = 1e-3
            NAMES = ('a', "b",)  # a tuple
            OPT = {
                "name": "adam",
                "betas": [0.9, 0.999],
            }
            FLAGS = {1, 2}
            NEG = -2
            HEX = 0x1F
            BIG = 1_000
            TEXT = 'it\'s' " joined"
            NOTHING = None
            a = b = 3
            if True:
                INSIDE = 1


            @dataclass
            class Train:
                epochs: int = 10
                debug = False

                def __init__(self):
                    self.seed = 42
                    local = 1

                def step(self):
                    self.lr = 0.5
            """;
        var values = ParamsFile
            .Parse(text, "params.py")
            .Flatten()
            .ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString() ?? "null");
        Assert.Equal(
            [
                "LR",
                "NAMES",
                "OPT.name",
                "OPT.betas",
                "FLAGS",
                "NEG",
                "HEX",
                "BIG",
                "TEXT",
                "NOTHING",
                "Train.epochs",
                "Train.debug",
                "Train.seed",
            ],
            values.Keys
        );
        Assert.Equal("0.001", values["LR"]);
        Assert.Equal("[\"a\",\"b\"]", values["NAMES"]);
        Assert.Equal("[0.9,0.999]", values["OPT.betas"]);
        Assert.Equal("-2", values["NEG"]);
        Assert.Equal("31", values["HEX"]);
        Assert.Equal("1000", values["BIG"]);
        Assert.Equal("it's joined", ParamsFile.Parse(text, "params.py").Root!["TEXT"]!.GetValue<string>());
        Assert.Equal("null", values["NOTHING"]);
        Assert.Equal("42", values["Train.seed"]);

        var edited = ParamsFile.SetValuesInText(
            text,
            "params.py",
            [
                Set("OPT.betas[1]", "0.99"),
                Set("LR", "0.01"),
                Set("Train.seed", "1"),
                Set("Train.debug", "true"),
                Set("NOTHING", "x"),
            ]
        );
        var expected = text.Replace("0.999]", "0.99]", StringComparison.Ordinal)
            .Replace("LR: float = 1e-3", "LR: float = 0.01", StringComparison.Ordinal)
            .Replace("self.seed = 42", "self.seed = 1", StringComparison.Ordinal)
            .Replace("debug = False", "debug = True", StringComparison.Ordinal)
            .Replace("NOTHING = None", "NOTHING = \"x\"", StringComparison.Ordinal);
        Assert.Equal(expected, edited);
    }

    [Fact]
    public void Python_unknown_class_is_one_line()
    {
        var e = Assert.Throws<ExpException>(() => ParamsFile.SetValuesInText("A = 1\n", "params.py", [Set("Train.lr", "1")]));
        Assert.Equal("params.py: cannot set 'Train.lr': the file has no class or constant 'Train'", e.Message);
        e = Assert.Throws<ExpException>(() => ParamsFile.Parse("A = 'open\n", "params.py"));
        Assert.Equal("params.py:1: invalid Python: a string is not closed", e.Message);
    }

    [Fact]
    public void A_number_is_written_as_the_user_typed_it()
    {
        var edited = ParamsFile.SetValuesInText("lr = 0.1\n", "p.toml", [Set("lr", "1e-4")]);
        Assert.Equal("lr = 1e-4\n", edited);
        Assert.Equal("LR = 1E-4\n", ParamsFile.SetValuesInText("LR = 0.1\n", "p.py", [Set("LR", "1E-4")]));
    }

    [Theory]
    [InlineData("A = 1 \\\r")]
    [InlineData("A = '\\xZZ'\nB = 2\n")]
    [InlineData("A = 0x_\nB = 2\n")]
    [InlineData("A = 0xFFFFFFFFFFFFFFFFFFFF\nB = 2\n")]
    public void Python_odd_text_is_skipped_not_a_crash(string text)
    {
        // Before: the first hung (a backslash before a lone CR), the others threw past ExpException.
        var p = ParamsFile.Parse(text, "params.py");
        if (text.Contains("B = 2", StringComparison.Ordinal))
        {
            Assert.True(p.TryGet("B", out var b));
            Assert.Equal("2", b!.ToJsonString());
            Assert.False(p.TryGet("A", out _));
        }
    }

    [Fact]
    public void Toml_dates_read_as_their_text_and_arrays_of_tables_by_index()
    {
        var p = ParamsFile.Parse("when = 1979-05-27T07:32:00Z # c\n[[runs]]\nlr = 0.1\n[[runs]]\nlr = 0.2\n", "p.toml");
        var values = p.Flatten().ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString() ?? "null");
        Assert.Equal("\"1979-05-27T07:32:00Z\"", values["when"]);
        Assert.Equal("0.2", values["runs[1].lr"]);
    }
}
