namespace GitExp.Client.Tests;

[Collection(nameof(RunEnvironmentCollection))]
public sealed class ExpParamsTests
{
    [Fact]
    public void Reads_dotted_keys_list_indexes_and_typed_values()
    {
        using var run = new RunEnvironment(inRun: false);
        File.WriteAllText(
            "params.yaml",
            "train:\n  lr: 0.01 # rate\n  epochs: 5\n  shuffle: true\n  layers: [64, 32]\nname: base\n"
        );

        var parameters = ExpParams.Load();

        Assert.Equal(0.01, parameters.GetDouble("train.lr"));
        Assert.Equal(5, parameters.GetInt("train.epochs"));
        Assert.True(parameters.GetBool("train.shuffle"));
        Assert.Equal(32, parameters.GetInt("train.layers[1]"));
        Assert.Equal("base", parameters.Get("name"));
        Assert.Null(parameters.Find("train.momentum"));
    }

    [Fact]
    public void A_missing_key_names_the_key_and_the_file()
    {
        using var run = new RunEnvironment(inRun: false);
        File.WriteAllText("params.yaml", "train:\n  lr: 0.01\n");

        var error = Assert.Throws<KeyNotFoundException>(() => ExpParams.Load().Get("train.epochs"));

        Assert.Equal("params.yaml: no param 'train.epochs'", error.Message);
    }
}
