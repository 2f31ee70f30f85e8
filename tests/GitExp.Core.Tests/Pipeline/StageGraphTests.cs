using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

public class StageGraphTests
{
    private static Stage S(string name, string[] deps, string[] outs, string file = "exp.yaml") =>
        new(
            name,
            file,
            ["run"],
            "",
            deps,
            [],
            outs.Select(o => new OutSpec(o, OutKind.Out, true, false, false)).ToList(),
            false,
            false,
            null,
            1
        );

    [Fact]
    public void Topological_order_runs_producers_first_and_keeps_file_order_otherwise()
    {
        var g = StageGraph.Build([
            S("train", ["data/clean", "train.py"], ["model"]),
            S("report", [], ["report.md"]),
            S("prepare", ["raw"], ["data/clean"]),
            S("eval", ["model"], ["metrics.json"]),
        ]);
        Assert.Equal(["report", "prepare", "train", "eval"], g.TopologicalOrder().Select(s => s.Name));
        Assert.Equal(["prepare", "train"], g.Upstream(g.Stages[0]).Select(s => s.Name));
        Assert.Equal(["prepare", "train", "eval"], g.Upstream(g.Stages[3]).Select(s => s.Name));
    }

    [Fact]
    public void Dep_inside_an_out_directory_is_produced_by_that_stage()
    {
        var g = StageGraph.Build([S("use", ["data/x/part.csv"], ["o"]), S("make", [], ["data/x"])]);
        Assert.Equal("make", g.FindProducer("data/x/part.csv")?.Name);
        Assert.Equal("make", g.FindProducer("data/x")?.Name);
        Assert.Null(g.FindProducer("data"));
        Assert.Equal(["make", "use"], g.TopologicalOrder().Select(s => s.Name));
    }

    [Fact]
    public void Dep_on_a_folder_waits_for_outs_inside_it()
    {
        var g = StageGraph.Build([S("zip", ["data"], ["data.zip"]), S("a", [], ["data/a"]), S("b", [], ["data/b"])]);
        Assert.Equal(["a", "b", "zip"], g.TopologicalOrder().Select(s => s.Name));
    }

    [Fact]
    public void Direct_upstream_is_the_producers_of_a_stages_deps_only()
    {
        var g = StageGraph.Build([
            S("zip", ["data", "model/w.bin"], ["data.zip"]),
            S("a", [], ["data/a"]),
            S("b", ["data/a/x.csv"], ["data/b"]),
            S("train", [], ["model"]),
        ]);
        Assert.Equal(["a", "b", "train"], g.DirectUpstream(g.Stages[0]).Select(s => s.Name));
        Assert.Equal(["a"], g.DirectUpstream(g.Stages[2]).Select(s => s.Name));
        Assert.Empty(g.DirectUpstream(g.Stages[1]));
        Assert.Empty(g.DirectUpstream(S("other", ["data"], [])));
    }

    [Fact]
    public void Cycle_is_an_error_naming_the_stages()
    {
        var e = Assert.Throws<ExpException>(() =>
            StageGraph.Build([S("a", ["y"], ["x"]), S("b", ["x"], ["y"]), S("c", ["x"], ["z"])])
        );
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.Equal("cycle between stages: a -> b -> a", e.Message);
    }

    // DVC links a stage to itself when one of its outs lies in, holds or is one of its deps, and refuses the
    // pipeline ("Same item(s) are defined as both a dependency and an output in stage: ..."): the stage would
    // read what it writes. The error names the out and the dep rather than a cycle of one stage.
    [Theory]
    [InlineData("data", "data/features", "out 'data/features' is inside its dep 'data'")]
    [InlineData("data/raw.csv", "data", "dep 'data/raw.csv' is inside its out 'data'")]
    [InlineData("data", "data", "'data' is both its dep and its out")]
    public void A_stage_reading_its_own_out_is_an_error_naming_the_out_and_the_dep(string dep, string @out, string what)
    {
        var e = Assert.Throws<ExpException>(() => StageGraph.Build([S("prepare", [dep, "prepare.py"], [@out])]));
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.Equal(
            $"exp.yaml:1: stage 'prepare': {what}; a stage cannot read what it writes (DVC refuses this too)",
            e.Message
        );
    }

    [Fact]
    public void Two_stages_declaring_the_same_out_is_an_error()
    {
        var e = Assert.Throws<ExpException>(() => StageGraph.Build([S("a", [], ["x"]), S("b", [], ["x"])]));
        Assert.Equal("exp.yaml:1: stages 'a' and 'b' both declare out 'x'", e.Message);
    }

    [Fact]
    public void Out_nested_in_another_out_is_an_error()
    {
        var e = Assert.Throws<ExpException>(() => StageGraph.Build([S("a", [], ["data"]), S("b", [], ["data/sub/x"])]));
        Assert.Contains("out 'data/sub/x' of stage 'b' is inside out 'data' of stage 'a'", e.Message);
    }

    [Fact]
    public void Duplicate_stage_addresses_are_an_error_but_equal_names_in_other_files_are_not()
    {
        var e = Assert.Throws<ExpException>(() => StageGraph.Build([S("a", [], []), S("a", [], [])]));
        Assert.Contains("stage 'a' is declared twice", e.Message);
        var g = StageGraph.Build([S("a", [], ["o1"]), S("a", ["o1"], [], "sub/exp.yaml")]);
        Assert.Equal(["a", "sub/exp.yaml:a"], g.TopologicalOrder().Select(s => s.Address));
    }

    [Fact]
    public void Graph_is_built_from_parsed_pipelines()
    {
        var p = PipelineParser.Parse(
            "stages:\n  b:\n    cmd: b\n    deps: [out/a]\n  a:\n    cmd: a\n    outs: [out]\n",
            "exp.yaml"
        );
        Assert.Equal(["a", "b"], StageGraph.Build(p.Stages).TopologicalOrder().Select(s => s.Name));
    }
}
