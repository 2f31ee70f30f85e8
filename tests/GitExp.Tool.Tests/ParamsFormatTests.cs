using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>TOML params files, as DVC's page shows them: <c>-S myparams.toml:learning_rate=0.0001</c>.</summary>
public sealed class ParamsFormatTests
{
    private const string Toml = """
        # Training parameters
        learning_rate = 0.001   # the one we sweep
        units = 64

        [data]
        split = 0.2

        """;

    [Fact]
    public async Task Run_S_sets_a_toml_param_keeping_comments_and_show_lists_it()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("myparams.toml", Toml);
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            set -e
            lr=$(awk '/^learning_rate/ { print $3 }' myparams.toml)
            printf '{"lr": %s}\n' "$lr" > metrics.json

            """
        );
        repo.WriteFile(
            "dvc.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params:
                  - myparams.toml:
                      - learning_rate
                      - data.split
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.CommitAllAsync("TOML params");

        await repo.ExpOkAsync("run", "-S", "myparams.toml:learning_rate=0.0001", "-n", "toml");

        var expRef = (await repo.ExperimentRefsAsync())[0];
        Assert.Equal(
            Toml.Replace("= 0.001 ", "= 0.0001 ", StringComparison.Ordinal).TrimEnd('\n'),
            await repo.GitAsync("show", expRef + ":myparams.toml")
        );
        var row = await ExperimentRowAsync(repo);
        Assert.Equal("0.0001", row["params"]!["myparams.toml"]!["learning_rate"]!.ToJsonString());
        Assert.Equal("0.2", row["params"]!["myparams.toml"]!["data.split"]!.ToJsonString());
        Assert.Equal("0.0001", row["metrics"]!["metrics.json"]!["lr"]!.ToJsonString());

        var diff = JsonNode.Parse((await repo.ExpOkAsync("diff", "HEAD", "toml", "--json")).StdOut)!;
        var lr = diff["params"]!["myparams.toml"]!["learning_rate"]!;
        Assert.Equal("0.001", lr["old"]!.ToJsonString());
        Assert.Equal("0.0001", lr["new"]!.ToJsonString());
    }

    [Fact]
    public async Task Run_S_sets_a_python_class_constant_in_place()
    {
        using var repo = await TempGitRepo.InitAsync();
        const string Py = """"
            """Parameters."""

            SEED = 5


            class Train:
                LR = 0.1  # learning rate

            """";
        repo.WriteFile("params.py", Py);
        repo.WriteFile(
            "train.sh",
            "#!/bin/sh\nset -e\nlr=$(awk '/LR =/ { print $3 }' params.py)\nprintf '{\"lr\": %s}\\n' \"$lr\" > metrics.json\n"
        );
        repo.WriteFile(
            "dvc.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params:
                  - params.py:
                      - Train.LR
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.CommitAllAsync("Python params");

        await repo.ExpOkAsync("run", "-S", "params.py:Train.LR=0.02", "-n", "py");

        var expRef = (await repo.ExperimentRefsAsync())[0];
        Assert.Equal(
            Py.Replace("LR = 0.1 ", "LR = 0.02 ", StringComparison.Ordinal).TrimEnd('\n'),
            await repo.GitAsync("show", expRef + ":params.py")
        );
        var row = await ExperimentRowAsync(repo);
        Assert.Equal("0.02", row["params"]!["params.py"]!["Train.LR"]!.ToJsonString());
        Assert.Equal("0.02", row["metrics"]!["metrics.json"]!["lr"]!.ToJsonString());
    }

    /// <summary>The one experiment's row of <c>exp show --json</c>.</summary>
    private static async Task<JsonObject> ExperimentRowAsync(TempGitRepo repo) =>
        JsonNode
            .Parse((await repo.ExpOkAsync("show", "--json")).StdOut)!
            .AsArray()
            .Select(r => r!.AsObject())
            .Single(r => (string)r["type"]! == "experiment");

    [Fact]
    public async Task Run_S_on_an_unsupported_params_file_names_it_and_the_formats()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        repo.WriteFile("conf.ini", "lr = 1\n");
        await repo.CommitAllAsync("ini");

        var result = await repo.ExpAsync("run", "-S", "conf.ini:lr=2");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(
            "error: conf.ini: params files must be YAML (.yaml, .yml), JSON (.json), TOML (.toml) or Python (.py)",
            result.StdErr.Trim()
        );
        Assert.Equal("lr = 1\n", repo.ReadFile("conf.ini"));
    }
}
