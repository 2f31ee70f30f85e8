using System.Text;
using GitExp.Core.Pipeline;
using GitExp.Core.Plots;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>Plot definitions as DVC's schema writes them, and plot data files as DVC reads them.</summary>
public class PlotDefinitionTests
{
    // DVC tests/func/plots/test_show.py::test_top_level_plots, test_plots_show_nested_x_dict: ids and data files
    // are relative to the pipeline file's folder; a plot whose y names files is a name.
    [Fact]
    public void Top_level_plots_resolve_paths_beside_their_pipeline_file()
    {
        var pipeline = PipelineParser.Parse(
            """
            plots:
              - metrics
              - data1.json: {x: c, y: a, title: File as key test}
              - Error vs max_leaf_nodes:
                  template: simple
                  x: {Max_Leaf_Nodes.tsv: Max_Leaf_Nodes}
                  y: {Error.tsv: Error}
              - infer_data_from_y:
                  x: a
                  y: {data1.json: b, sub/dir/data2.json: [c, d]}
            """,
            "pipelines/inc/dvc.yaml"
        );

        Assert.Equal(
            ["pipelines/inc/metrics", "pipelines/inc/data1.json", "Error vs max_leaf_nodes", "infer_data_from_y"],
            pipeline.Plots.Select(p => p.Id)
        );
        Assert.Equal("File as key test", pipeline.Plots[1].Props.Title);
        Assert.Equal([new PlotField(null, "c")], pipeline.Plots[1].Props.X!);
        Assert.Equal("simple", pipeline.Plots[2].Props.Template);
        Assert.Equal([new PlotField("pipelines/inc/Max_Leaf_Nodes.tsv", "Max_Leaf_Nodes")], pipeline.Plots[2].Props.X!);
        Assert.Equal(
            [
                new PlotField("pipelines/inc/data1.json", "b"),
                new PlotField("pipelines/inc/sub/dir/data2.json", "c"),
                new PlotField("pipelines/inc/sub/dir/data2.json", "d"),
            ],
            pipeline.Plots[3].Props.Y!
        );
        Assert.Empty(pipeline.Stages);
    }

    // DVC tests/func/plots/test_show.py::test_top_level_parametrized
    [Fact]
    public void Top_level_plots_resolve_references_to_params_and_vars()
    {
        var pipeline = PipelineParser.Parse(
            """
            vars:
              - axis: {b: b}
            plots:
              - comparison:
                  x: {"${data1}": "${a}"}
                  y: {sub/dir/data2.json: "${axis.b}"}
              - ${data1}:
              - ${data1}
            """,
            "dvc.yaml",
            path => path == "params.yaml" ? "data1: data1.json\na: a\n" : null
        );

        Assert.Equal(["comparison", "data1.json", "data1.json"], pipeline.Plots.Select(p => p.Id));
        Assert.Equal([new PlotField("data1.json", "a")], pipeline.Plots[0].Props.X!);
        Assert.Equal([new PlotField("sub/dir/data2.json", "b")], pipeline.Plots[0].Props.Y!);
        Assert.Null(pipeline.Plots[1].Props.X);
    }

    [Fact]
    public void A_malformed_plot_entry_is_one_line_naming_the_file_and_the_property()
    {
        var unknown = Assert.Throws<ExpException>(() =>
            PipelineParser.Parse("plots:\n  - loss.json:\n      colour: red\n", "dvc.yaml")
        );
        var shape = Assert.Throws<ExpException>(() => PipelineParser.Parse("plots:\n  - [a, b]\n", "dvc.yaml"));

        Assert.Equal(ExitCode.InvalidProject, unknown.Code);
        Assert.StartsWith("dvc.yaml:3:7: ", unknown.Message);
        Assert.Contains("unknown property 'colour' of 'loss.json'", unknown.Message);
        Assert.StartsWith("dvc.yaml:2:5: ", shape.Message);
    }

    // DVC's get_datapoints (dvc/render/converter/vega.py) and _load_sv (dvc/repo/plots/__init__.py).
    [Fact]
    public void Data_files_give_datapoints_as_dvc_reads_them()
    {
        var nested = PlotData.Parse(
            "m.json",
            Encoding.UTF8.GetBytes("""{"train": {"loss": [{"l": 1}, {"l": 2}]}, "acc": [{"a": 3}, {"a": 4}], "n": 5}""")
        );
        var csv = PlotData.Parse("m.csv", Encoding.UTF8.GetBytes("x,\"a, b\"\r\n1,\"say \"\"hi\"\"\"\r\n\r\n2,3\n"));
        var headerless = PlotData.Parse("m.tsv", Encoding.UTF8.GetBytes("1\t2\n3\t4\n"), header: false);
        var yaml = PlotData.Parse("m.yaml", Encoding.UTF8.GetBytes("- {x: 1, y: 2}\n- {x: 2, y: 4}\n"));

        Assert.Equal("""[{"l":1,"a":3},{"l":2,"a":4}]""", Json(nested));
        Assert.Equal("""[{"x":"1","a, b":"say \"hi\""},{"x":"2","a, b":"3"}]""", Json(csv));
        Assert.Equal("""[{"0":"1","1":"2"},{"0":"3","1":"4"}]""", Json(headerless));
        Assert.Equal("""[{"x":1,"y":2},{"x":2,"y":4}]""", Json(yaml));
        Assert.Equal(
            ExitCode.InvalidProject,
            Assert.Throws<ExpException>(() => PlotData.Parse("m.txt", Encoding.UTF8.GetBytes("text"))).Code
        );
    }

    // Each point on its own: a file's datapoints may still belong to the document they were read from.
    private static string Json(List<System.Text.Json.Nodes.JsonObject> points) =>
        "["
        + string.Join(
            ",",
            points.Select(p =>
                p.ToJsonString(
                    new System.Text.Json.JsonSerializerOptions
                    {
                        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                    }
                )
            )
        )
        + "]";
}
