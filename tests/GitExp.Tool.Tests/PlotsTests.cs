using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// <c>plots show</c> and <c>plots diff</c>, with behaviours of DVC's tests/func/plots/test_show.py, test_diff.py and
/// tests/unit/command/test_plots.py (each test names the DVC tests it ports).
/// </summary>
public sealed class PlotsTests
{
    private const string Metric = """[{"first_val": 100, "val": 2}, {"first_val": 200, "val": 3}]""";

    // A stage writing plots/loss.json (3 steps, loss = lr * (3 - step)) from params.yaml's lr.
    private static async Task<TempGitRepo> LossProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", "lr: 0.1\n");
        repo.WriteFile(
            "train.sh",
            """
            lr=$(awk '/^lr:/ { print $2 }' params.yaml)
            mkdir -p plots
            awk -v lr="$lr" 'BEGIN { printf "["; for (i = 0; i < 3; i++) printf "%s{\"step\": %d, \"loss\": %s}", (i ? ", " : ""), i, lr * (3 - i); print "]" }' > plots/loss.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [lr]
                plots:
                  - plots/loss.json: {x: step, y: loss, title: Loss}

            """
        );
        await repo.CommitAllAsync("pipeline");
        await repo.ExpOkAsync("run");
        await repo.CommitAllAsync("baseline");
        return repo;
    }

    private static JsonNode Json(ToolResult result) => JsonNode.Parse(result.StdOut)!;

    // The y values of one revision of a plot in --json's datapoints.
    private static List<double> Ys(JsonNode json, string id, string rev) =>
        [
            .. json["data"]![id]![0]!["datapoints"]!
                .AsArray()
                .Where(p => p!["rev"]!.GetValue<string>() == rev)
                .Select(p =>
                    double.Parse(
                        p![json["data"]![id]![0]!["y"]!.GetValue<string>()]!.ToString(),
                        System.Globalization.CultureInfo.InvariantCulture
                    )
                ),
        ];

    // test_show.py::test_show_targets, test_show_non_plot; unit test_plots.py::test_should_call_render
    [Fact]
    public async Task Show_draws_a_named_data_file_into_an_offline_html_file_and_prints_its_location()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("metric.json", Metric);
        await repo.CommitAllAsync("metric");

        var json = Json(await repo.ExpOkAsync("plots", "show", "metric.json", "--json"));
        var shown = await repo.ExpOkAsync("plots", "show", "metric.json");

        var plot = json["data"]!["metric.json"]![0]!;
        Assert.Equal("vega", plot["type"]!.GetValue<string>());
        Assert.Equal(["workspace"], plot["revisions"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("val", plot["y"]!.GetValue<string>());
        Assert.Equal("step", plot["x"]!.GetValue<string>());
        Assert.Equal([2.0, 3.0], Ys(json, "metric.json", "workspace"));
        Assert.Equal([0, 1], plot["datapoints"]!.AsArray().Select(p => p!["step"]!.GetValue<int>()));
        var page = repo.FullPath("dvc_plots/index.html");
        Assert.Equal(new Uri(page).AbsoluteUri, shown.StdOut.Trim());
        var html = File.ReadAllText(page);
        Assert.Contains("uPlot", html);
        Assert.Contains("\"id\":\"metric.json\"", html);
        Assert.DoesNotContain(" src=\"http", html);
        Assert.DoesNotContain(" href=\"", html);
        Assert.Equal(["index.html"], Directory.GetFiles(repo.FullPath("dvc_plots")).Select(Path.GetFileName));
    }

    // test_show.py::test_show_from_subdir
    [Fact]
    public async Task Show_from_a_subfolder_writes_dvc_plots_there()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("subdir/metric.json", Metric);
        await repo.CommitAllAsync("metric");

        var shown = await ExpTool.RunAsync(repo.FullPath("subdir"), "plots", "show", "metric.json");

        Assert.Equal(0, shown.ExitCode);
        Assert.Contains(new Uri(repo.FullPath("subdir")).AbsoluteUri, shown.StdOut);
        Assert.True(File.Exists(repo.FullPath("subdir/dvc_plots/index.html")));
    }

    // test_diff.py::test_no_commits
    [Fact]
    public async Task Diff_in_a_repository_without_commits_draws_the_workspace()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("metric.json", Metric);
        await repo.GitAsync("add", "metric.json");

        var json = Json(await repo.ExpOkAsync("plots", "diff", "--targets", "metric.json", "--json"));

        Assert.Equal(["workspace"], json["data"]!["metric.json"]![0]!["revisions"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    // test_diff.py::test_diff_dirty
    [Fact]
    public async Task Diff_compares_head_with_the_workspace_when_tracked_files_changed()
    {
        using var repo = await LossProjectAsync();
        var clean = Json(await repo.ExpOkAsync("plots", "diff", "--json"));
        repo.WriteFile("params.yaml", "lr: 0.2\n");
        await repo.ExpOkAsync("run");

        var dirty = Json(await repo.ExpOkAsync("plots", "diff", "--json"));

        Assert.Equal(
            ["workspace"],
            clean["data"]!["plots/loss.json"]![0]!["revisions"]!.AsArray().Select(r => r!.GetValue<string>())
        );
        Assert.Equal(
            ["HEAD", "workspace"],
            dirty["data"]!["plots/loss.json"]![0]!["revisions"]!.AsArray().Select(r => r!.GetValue<string>())
        );
        Assert.Equal([0.3, 0.2, 0.1], Ys(dirty, "plots/loss.json", "HEAD"));
        Assert.Equal([0.6, 0.4, 0.2], Ys(dirty, "plots/loss.json", "workspace"));
        Assert.Equal("Loss", dirty["data"]!["plots/loss.json"]![0]!["title"]!.GetValue<string>());
    }

    // The issue's experiments: revisions may be experiment names; -e draws one with its baseline (DVC's _revisions).
    [Fact]
    public async Task Diff_draws_experiments_by_name_and_one_experiment_with_its_baseline()
    {
        using var repo = await LossProjectAsync();
        var baseline = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "low", "-S", "lr=0.2");
        await repo.ExpOkAsync("run", "-n", "high", "-S", "lr=0.3");

        var both = Json(await repo.ExpOkAsync("plots", "diff", "low", "high", "--json"));
        var withBaseline = Json(await repo.ExpOkAsync("plots", "diff", "-e", "low", "--json"));
        var page = await repo.ExpOkAsync("plots", "diff", "low", "high", "-o", "out");

        Assert.Equal([0.6, 0.4, 0.2], Ys(both, "plots/loss.json", "low"));
        Assert.Equal([0.9, 0.6, 0.3], Ys(both, "plots/loss.json", "high"));
        Assert.Equal(
            ["low", baseline[..7]],
            withBaseline["data"]!["plots/loss.json"]![0]!["revisions"]!.AsArray().Select(r => r!.GetValue<string>())
        );
        Assert.Equal([0.3, 0.2, 0.1], Ys(withBaseline, "plots/loss.json", baseline[..7]));
        var html = File.ReadAllText(repo.FullPath("out/index.html"));
        Assert.Contains("\"label\":\"low\"", html);
        Assert.Contains("\"label\":\"high\"", html);
        Assert.Contains(new Uri(repo.FullPath("out/index.html")).AbsoluteUri, page.StdOut);
    }

    // test_show.py::test_plot_cache_missing (a revision without the file is reported; the others are drawn)
    [Fact]
    public async Task Diff_warns_about_a_revision_without_the_plot_file_and_draws_the_others()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("metric.json", """[{"y": 2}, {"y": 3}]""");
        await repo.CommitAllAsync("v1");
        await repo.GitAsync("tag", "v1");
        await repo.GitAsync("rm", "-q", "metric.json");
        repo.WriteFile("other.txt", "x");
        await repo.CommitAllAsync("v2");
        await repo.GitAsync("tag", "v2");

        var diff = await repo.ExpOkAsync("plots", "diff", "v1", "v2", "--targets", "metric.json", "--json");

        Assert.Equal([2.0, 3.0], Ys(Json(diff), "metric.json", "v1"));
        Assert.Equal(["v1"], Json(diff)["data"]!["metric.json"]![0]!["revisions"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["warning: metric.json in v2: no such file"], diff.ErrorLines);
        Assert.Equal("v2", Json(diff)["errors"]![0]!["rev"]!.GetValue<string>());
    }

    // test_show.py::test_plots_show_non_existing, test_plot_wrong_metric_type; and unknown revisions and templates
    [Fact]
    public async Task Bad_targets_revisions_and_templates_are_one_line_and_write_nothing()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("metric.json", Metric);
        repo.WriteFile("metric.txt", "some text");
        await repo.CommitAllAsync("metrics");

        var missing = await repo.ExpAsync("plots", "show", "plot.json");
        var text = await repo.ExpAsync("plots", "show", "metric.txt");
        var revision = await repo.ExpAsync("plots", "diff", "nope", "--targets", "metric.json");
        var template = await repo.ExpAsync("plots", "show", "metric.json", "--template", "confusion");
        var field = await repo.ExpAsync("plots", "show", "metric.json", "-y", "nope");
        var outFile = await repo.ExpAsync("plots", "show", "metric.json", "-o", "metric.txt");

        Assert.Equal(5, missing.ExitCode);
        Assert.Equal(["error: plot.json: no such plot file or plot in workspace"], missing.ErrorLines);
        Assert.Equal(3, text.ExitCode);
        Assert.Single(text.ErrorLines);
        Assert.Contains("metric.txt in workspace: plots must be JSON, YAML, TOML, CSV or TSV data", text.StdErr);
        Assert.Equal(5, revision.ExitCode);
        Assert.Equal(["error: 'nope' is neither an experiment nor a Git revision"], revision.ErrorLines);
        Assert.Equal(2, template.ExitCode);
        Assert.Equal(
            ["error: --template 'confusion': template 'confusion' is not supported (supported: linear, simple, scatter, smooth)"],
            template.ErrorLines
        );
        Assert.Equal(3, field.ExitCode);
        Assert.Contains("could not find field 'nope' in metric.json (its fields: first_val, val)", field.StdErr);
        Assert.Equal(2, outFile.ExitCode);
        Assert.Equal(
            [$"error: --out '{repo.FullPath("metric.txt")}' is a file: expected a folder to write index.html to"],
            outFile.ErrorLines
        );
        Assert.False(repo.Exists("dvc_plots"));
    }

    // test_show.py::test_top_level_plots, test_plots_show_nested_x_dict, test_show_plots_defined_with_native_os_path;
    // a template GitExp does not draw is reported and the other plots are drawn (decision 38)
    [Fact]
    public async Task Top_level_plots_take_x_and_y_from_the_files_they_name()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "pipelines/inc/dvc.yaml",
            """
            plots:
              - Error vs max_leaf_nodes:
                  template: simple
                  x: {metrics/Max_Leaf_Nodes.tsv: Max_Leaf_Nodes}
                  y: {metrics/Error.tsv: Error}
              - data1.json: {x: c, y: a, title: File as key test}
              - Confusion:
                  template: confusion
                  x: a
                  y: {data1.json: b}

            """
        );
        repo.WriteFile("pipelines/inc/metrics/Error.tsv", "step\tError\n0\t0.11\n1\t0.22\n2\t0.44\n");
        repo.WriteFile("pipelines/inc/metrics/Max_Leaf_Nodes.tsv", "step\tMax_Leaf_Nodes\n0\t5\n1\t50\n2\t500\n");
        repo.WriteFile("pipelines/inc/data1.json", """[{"a": 1, "b": 0.1, "c": 0.01}, {"a": 2, "b": 0.2, "c": 0.02}]""");
        await repo.CommitAllAsync("plots");

        var shown = await repo.ExpOkAsync("plots", "show", "--json");
        var json = Json(shown);

        Assert.Equal(
            ["warning: Confusion: template 'confusion' is not supported (supported: linear, simple, scatter, smooth)"],
            shown.ErrorLines
        );
        Assert.Equal(["Error vs max_leaf_nodes", "pipelines/inc/data1.json"], json["data"]!.AsObject().Select(p => p.Key));
        var error = json["data"]!["Error vs max_leaf_nodes"]![0]!;
        Assert.Equal("simple", error["template"]!.GetValue<string>());
        Assert.Equal(
            ["5:0.11", "50:0.22", "500:0.44"],
            error["datapoints"]!.AsArray().Select(p => $"{p!["Max_Leaf_Nodes"]}:{p["Error"]}")
        );
        Assert.Equal("pipelines/inc/metrics/Error.tsv", error["datapoints"]![0]!["filename"]!.GetValue<string>());
        var data1 = json["data"]!["pipelines/inc/data1.json"]![0]!;
        Assert.Equal("File as key test", data1["title"]!.GetValue<string>());
        Assert.Equal(["0.01:1", "0.02:2"], data1["datapoints"]!.AsArray().Select(p => $"{p!["c"]}:{p["a"]}"));
    }

    // test_show.py::test_dir_plots (every file of a folder plot is a plot), test_plots_binary (images per revision)
    [Fact]
    public async Task A_folder_plot_draws_each_file_and_images_are_embedded_per_revision()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              eval:
                cmd: echo
                deps: [exp.yaml]
                plots:
                  - subdir: {y: val}
                  - image.png

            """
        );
        repo.WriteFile("subdir/p1.json", Metric);
        repo.WriteFile("subdir/p2.json", Metric);
        repo.WriteBytes("image.png", [0x89, 0x50, 0x4e, 0x47, 1]);
        await repo.CommitAllAsync("v1");
        await repo.GitAsync("tag", "v1");
        repo.WriteBytes("image.png", [0x89, 0x50, 0x4e, 0x47, 2]);

        var json = Json(await repo.ExpOkAsync("plots", "diff", "v1", "workspace", "--json"));
        await repo.ExpOkAsync("plots", "diff", "v1", "workspace");

        Assert.Equal(["subdir/p1.json", "subdir/p2.json", "image.png"], json["data"]!.AsObject().Select(p => p.Key));
        Assert.Equal([2.0, 3.0], Ys(json, "subdir/p2.json", "workspace"));
        var images = json["data"]!["image.png"]!.AsArray();
        Assert.Equal(["v1", "workspace"], images.Select(i => i!["revisions"]![0]!.GetValue<string>()));
        Assert.Equal("data:image/png;base64,iVBORwE=", images[0]!["url"]!.GetValue<string>());
        Assert.Equal("data:image/png;base64,iVBORwI=", images[1]!["url"]!.GetValue<string>());
        var html = repo.ReadFile("dvc_plots/index.html");
        Assert.Contains("src=\"data:image/png;base64,iVBORwE=\"", html);
        Assert.Contains("src=\"data:image/png;base64,iVBORwI=\"", html);
    }

    // unit test_plots.py::test_plots_diff (props from the command line pass over the definitions')
    [Fact]
    public async Task Command_line_properties_override_the_definition()
    {
        using var repo = await LossProjectAsync();

        var json = Json(
            await repo.ExpOkAsync(
                "plots",
                "show",
                "--json",
                "--template",
                "scatter",
                "-x",
                "loss",
                "-y",
                "step",
                "--title",
                "mytitle",
                "--x-label",
                "xlab",
                "--y-label",
                "ylab"
            )
        );

        var plot = json["data"]!["plots/loss.json"]![0]!;
        Assert.Equal("scatter", plot["template"]!.GetValue<string>());
        Assert.Equal("mytitle", plot["title"]!.GetValue<string>());
        Assert.Equal(("loss", "step"), (plot["x"]!.GetValue<string>(), plot["y"]!.GetValue<string>()));
        Assert.Equal(("xlab", "ylab"), (plot["x_label"]!.GetValue<string>(), plot["y_label"]!.GetValue<string>()));
    }

    // unit test_plots.py::test_plots_diff_open
    [Fact]
    public async Task Open_hands_the_file_to_the_desktops_opener()
    {
        using var repo = await LossProjectAsync();
        var bin = repo.FullPath("fake-bin");
        repo.WriteFile("fake-bin/xdg-open", "#!/bin/sh\nprintf '%s\\n' \"$1\" > \"$(dirname \"$0\")/opened\"\n");
        await repo.ChmodExecutableAsync("fake-bin/xdg-open");
        var path = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";

        var opened = await ExpTool.RunAsync(
            repo.Root,
            new Dictionary<string, string> { ["PATH"] = path },
            "plots",
            "show",
            "--open"
        );
        await WaitForAsync(() => File.Exists(Path.Combine(bin, "opened")));

        Assert.Equal(0, opened.ExitCode);
        Assert.Equal(repo.FullPath("dvc_plots/index.html"), File.ReadAllText(Path.Combine(bin, "opened")).Trim());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition());
    }
}
