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
        Assert.Equal("config.ini: params files must be YAML (.yaml, .yml), JSON (.json) or TOML (.toml)", e.Message);
    }
}
