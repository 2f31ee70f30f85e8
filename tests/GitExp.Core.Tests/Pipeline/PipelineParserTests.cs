using GitExp.Core.Pipeline;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Pipeline;

public class PipelineParserTests
{
    private static ExpException Fails(string yaml, string file = "exp.yaml") =>
        Assert.Throws<ExpException>(() => PipelineParser.Parse(yaml, file));

    [Fact]
    public void Parses_every_stage_field()
    {
        var p = PipelineParser.Parse(
            """
            stages:
              prepare:
                cmd: python prepare.py
              train:
                desc: Train the model
                cmd:
                  - python train.py
                  - echo done
                deps: [data/clean, train.py]
                params: [train.lr]
                outs:
                  - model.pt
                  - ckpt: {persist: true, checkpoint: true}
                metrics:
                  - metrics.json
                  - big.json: {cache: true}
                plots:
                  - plots/loss.csv: {x: step, y: loss}
                frozen: true
                always_changed: false
                meta: {owner: me}
            """,
            "exp.yaml"
        );
        Assert.Equal("exp.yaml", p.File);
        Assert.Equal(["prepare", "train"], p.Stages.Select(s => s.Name));
        var t = p.Stages[1];
        Assert.Equal(["python train.py", "echo done"], t.Commands);
        Assert.Equal(["python prepare.py"], p.Stages[0].Commands);
        Assert.Equal("", t.WorkingDirectory);
        Assert.Equal(["data/clean", "train.py"], t.Deps);
        Assert.Equal([new ParamRef("params.yaml", "train.lr")], t.Params);
        Assert.Equal(
            [
                new OutSpec("model.pt", OutKind.Out, true, false, false),
                new OutSpec("ckpt", OutKind.Out, true, true, true),
                new OutSpec("metrics.json", OutKind.Metric, false, false, false),
                new OutSpec("big.json", OutKind.Metric, true, false, false),
                new OutSpec("plots/loss.csv", OutKind.Plot, false, false, false),
            ],
            t.Outs.Select(o => o with { Plot = null })
        );
        Assert.Equal([new PlotField(null, "step")], t.Outs[^1].Plot!.X!);
        Assert.Equal([new PlotField(null, "loss")], t.Outs[^1].Plot!.Y!);
        Assert.True(t.Frozen);
        Assert.False(t.AlwaysChanged);
        Assert.Equal("Train the model", t.Description);
        Assert.Equal(4, t.Line);
        Assert.Equal("train", t.Address);
    }

    [Fact]
    public void Params_accept_plain_keys_file_keys_and_file_maps()
    {
        var p = PipelineParser.Parse(
            """
            stages:
              s:
                cmd: run
                params:
                  - lr
                  - config/model.json:layers[0]
                  - other.yaml:
                      - a.b
                      - c
                  - all.yaml:
                  - empty.yaml: []
            """,
            "exp.yaml"
        );
        Assert.Equal(
            [
                new ParamRef("params.yaml", "lr"),
                new ParamRef("config/model.json", "layers[0]"),
                new ParamRef("other.yaml", "a.b"),
                new ParamRef("other.yaml", "c"),
                new ParamRef("all.yaml", null),
                new ParamRef("empty.yaml", null),
            ],
            p.Stages[0].Params
        );
    }

    [Fact]
    public void Paths_resolve_against_wdir_and_the_pipeline_folder()
    {
        var p = PipelineParser.Parse(
            """
            stages:
              train:
                cmd: ./train.sh
                wdir: ../src
                deps: [./data/, ../shared/x.csv]
                params: [lr]
                outs: [out]
              eval:
                cmd: ./eval.sh
                deps: [out]
            """,
            "./sub/exp.yaml"
        );
        var train = p.Stages[0];
        Assert.Equal("sub/exp.yaml", train.PipelineFile);
        Assert.Equal("src", train.WorkingDirectory);
        Assert.Equal(["src/data", "shared/x.csv"], train.Deps);
        Assert.Equal([new ParamRef("src/params.yaml", "lr")], train.Params);
        Assert.Equal("src/out", train.Outs[0].Path);
        Assert.Equal("sub/exp.yaml:train", train.Address);
        Assert.Equal("sub", p.Stages[1].WorkingDirectory);
        Assert.Equal(["sub/out"], p.Stages[1].Deps);
    }

    [Fact]
    public void Load_reads_dvc_yaml_by_path_and_reports_a_missing_file()
    {
        using var dir = new TempFolder();
        dir.Write("ml/dvc.yaml", "stages:\n  a:\n    cmd: echo\n");
        var p = PipelineParser.Load(dir.Path, "ml/dvc.yaml");
        Assert.Equal("ml/dvc.yaml:a", p.Stages[0].Address);
        var e = Assert.Throws<ExpException>(() => PipelineParser.Load(dir.Path, "exp.yaml"));
        Assert.Equal(ExitCode.NotFound, e.Code);
    }

    [Fact]
    public void Empty_file_and_empty_vars_give_no_stages()
    {
        Assert.Empty(PipelineParser.Parse("", "exp.yaml").Stages);
        Assert.Empty(PipelineParser.Parse("vars: []\nstages:\n", "exp.yaml").Stages);
    }

    [Theory]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    outs: model.pt\n",
        "exp.yaml:4:11: stage 'train': 'outs' must be a list of paths"
    )]
    [InlineData("stages:\n  train:\n    cmd: x\n    command: y\n", "exp.yaml:4:5: stage 'train': unknown key 'command'")]
    [InlineData("stages:\n  train:\n    deps: [a]\n", "exp.yaml:2:3: stage 'train': 'cmd' is required")]
    [InlineData("stages:\n  train:\n    cmd: []\n", "exp.yaml:3:10: stage 'train': 'cmd' must be")]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    params: [/etc/params.yaml:lr]\n",
        "exp.yaml:4:14: stage 'train': 'params': '/etc/params.yaml' must be a relative path inside the repository"
    )]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    outs: [../../x]\n",
        "exp.yaml:4:12: stage 'train': 'outs': '../../x' is outside the repository, where a cached out cannot be (DVC 3 refuses it too); add 'cache: false' to write it there uncached"
    )]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    metrics: [/tmp/m.json]\n",
        "exp.yaml:4:15: stage 'train': 'metrics': '/tmp/m.json' must be a relative path inside the repository"
    )]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    deps: [.]\n",
        "exp.yaml:4:12: stage 'train': 'deps': '.' must be a relative path"
    )]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    frozen: yes\n",
        "exp.yaml:4:13: stage 'train': 'frozen' must be true or false"
    )]
    [InlineData(
        "stages:\n  train:\n    cmd: x\n    outs:\n      - m: {cache: false, keep: 1}\n",
        "exp.yaml:5:27: stage 'train': 'outs': unknown option 'keep' of 'm'"
    )]
    [InlineData("stages:\n  -bad:\n    cmd: x\n", "exp.yaml:2:3: invalid stage name '-bad'")]
    [InlineData("stages:\n  a:\n    cmd: x\nplot: []\n", "exp.yaml:4:1: unknown top-level key 'plot'")]
    [InlineData("stages:\n  a:\n    cmd: x\n  a:\n    cmd: y\n", "exp.yaml:4:3: ")]
    [InlineData("stages:\n  a:\n    cmd: [x\n", "exp.yaml:")]
    [InlineData(
        "stages:\n  a:\n    cmd: x\n    params: [a..b]\n",
        "exp.yaml:4:14: stage 'a': 'params': key 'a..b' has an empty part"
    )]
    [InlineData(
        "stages:\n  a:\n    cmd: echo ${foo} > out.txt\n",
        "exp.yaml:3:10: stage 'a': 'cmd': undefined name 'foo' in '${foo}'"
    )]
    [InlineData(
        "stages:\n  a:\n    cmd: |\n      echo ok\n      echo ${x.y}\n",
        "exp.yaml:3:10: stage 'a': 'cmd': undefined name 'x.y'"
    )]
    [InlineData(
        "stages:\n  a:\n    cmd: x\n    deps:\n      - data/${split}\n",
        "exp.yaml:5:9: stage 'a': 'deps': undefined name 'split'"
    )]
    [InlineData(
        "stages:\n  a:\n    cmd: x\n    outs:\n      - m/${v}.pt:\n          cache: false\n",
        "exp.yaml:5:9: stage 'a': 'outs': undefined name 'v'"
    )]
    [InlineData(
        "stages:\n  a:\n    cmd: x\n    params:\n      - ${k}\n",
        "exp.yaml:5:9: stage 'a': 'params': undefined name 'k'"
    )]
    [InlineData("stages:\n  a:\n    cmd: x\n    wdir: ${d}\n", "exp.yaml:4:11: stage 'a': 'wdir': undefined name 'd'")]
    public void Mistakes_name_file_line_column_and_key(string yaml, string expectedStart)
    {
        var e = Fails(yaml);
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.StartsWith(expectedStart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Errors_in_a_subfolder_pipeline_name_its_path()
    {
        var e = Assert.Throws<ExpException>(() =>
            PipelineParser.Parse("stages:\n  a:\n    wdir: 3\n    cmd: {x: 1}\n", "sub/dvc.yaml")
        );
        Assert.StartsWith("sub/dvc.yaml:4:10: stage 'a': 'cmd'", e.Message);
    }

    [Fact]
    public void Dvcs_project_level_sections_are_accepted_and_add_no_stage()
    {
        var pipeline = PipelineParser.Parse(
            "artifacts:\n  m:\n    path: model.pkl\n    type: model\nstages:\n  a:\n    cmd: x\nmetrics:\n- eval/metrics.json\nplots:\n- ROC:\n    x: fpr\n    y:\n      eval/roc.json: tpr\nparams:\n- other.yaml\n",
            "dvc.yaml"
        );

        Assert.Equal(["a"], pipeline.Stages.Select(s => s.Name));
    }

    // pwr-ai/JuDDGES's dvc.yaml shares stage settings with an anchor and YAML's merge key ('<<: *sft_models');
    // DVC reads dvc.yaml with ruamel's safe loader, which merges them, keys written beside '<<' winning.
    [Fact]
    public void Merge_keys_copy_an_anchored_map_and_keys_beside_them_win()
    {
        var p = PipelineParser.Parse(
            """
            stages:
              train:
                cmd: python train.py
                deps: &common [src/common.py, data]
                outs: [model.pt]
                meta: &defaults {owner: ml}
              evaluate:
                <<: &stage {cmd: python eval.py, deps: [model.pt], always_changed: true}
                always_changed: false
                metrics: [metrics.json]
              report:
                <<: [*stage]
                cmd: python report.py
                deps: *common
            """,
            "dvc.yaml"
        );

        Assert.Equal(["train", "evaluate", "report"], p.Stages.Select(s => s.Name));
        var evaluate = p.Stages[1];
        Assert.Equal(["python eval.py"], evaluate.Commands);
        Assert.Equal(["model.pt"], evaluate.Deps);
        Assert.False(evaluate.AlwaysChanged);
        Assert.Equal(["metrics.json"], evaluate.Outs.Select(o => o.Path));
        var report = p.Stages[2];
        Assert.Equal(["python report.py"], report.Commands);
        Assert.Equal(["src/common.py", "data"], report.Deps);
        Assert.True(report.AlwaysChanged);
    }

    [Fact]
    public void A_merge_key_needs_a_map_to_merge()
    {
        var e = Fails("stages:\n  a:\n    <<: [1, 2]\n    cmd: x\n", "dvc.yaml");
        Assert.Equal("dvc.yaml:3:10: '<<' (YAML's merge key) takes a map or a list of maps, such as *anchor", e.Message);
    }

    // iterative/sagemaker-pipeline's dvc.yaml depends on an https:// file and writes s3:// folders (DVC's external
    // deps and outs); read as paths they became 'https:/...' files of the repository.
    [Theory]
    [InlineData(
        "deps",
        "s3://bucket/data/bank-additional.zip",
        "external dependencies other than http(s) are not supported; download it in the stage's cmd, or track a copy with 'dvc import-url'"
    )]
    [InlineData("deps", "remote://storage/data.csv", "external dependencies other than http(s) are not supported")]
    [InlineData(
        "outs",
        "s3://bucket/prefix/train",
        "external outputs are not supported; write the file in the repository, and upload it in the cmd if needed"
    )]
    [InlineData("metrics", "gs://bucket/metrics.json", "external outputs are not supported")]
    [InlineData("plots", "azure://container/plot.csv", "external outputs are not supported")]
    public void A_url_dep_or_out_is_refused_naming_the_file_stage_and_url(string key, string url, string expected)
    {
        var e = Fails($"stages:\n  prepare:\n    cmd: python prepare.py\n    {key}:\n    - {url}\n", "dvc.yaml");
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.StartsWith($"dvc.yaml:5:7: stage 'prepare': '{key}': '{url}' is a URL: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    // AndreaVidali/dvc-dag's fixture project reads its tool's code at ../../../src, dberenbaum/datacomp a shared
    // /mnt/efs folder: DVC takes a local path outside the repository as a dep, and as an uncached out.
    [Fact]
    public void A_dep_or_uncached_out_outside_the_repository_keeps_its_place()
    {
        var stage = PipelineParser
            .Parse(
                "stages:\n  s:\n    cmd: x\n    wdir: ..\n    deps:\n    - ../../src/cli.py\n    - /mnt/efs//data/./a\n    - c:\\data\\b\n    - ml/../ok\n"
                    + "    outs:\n    - /mnt/efs/shards:\n        cache: false\n    - ../x:\n        cache: false\n",
                "ml/dvc.yaml"
            )
            .Stages[0];
        Assert.Equal(["../../src/cli.py", "/mnt/efs/data/a", "c:/data/b", "ok"], stage.Deps);
        Assert.Equal(["/mnt/efs/shards", "../x"], stage.Outs.Select(o => o.Path));
    }

    // iterative/sagemaker-pipeline's first stage depends on an https:// file: DVC's HTTP dependency, kept as written.
    [Theory]
    [InlineData("https://example.com/data/bank-additional.zip")]
    [InlineData("http://127.0.0.1:8080/data.csv?v=1")]
    public void An_http_dep_is_kept_as_its_url(string url) =>
        Assert.Equal(
            [url],
            PipelineParser.Parse($"stages:\n  prepare:\n    cmd: x\n    deps:\n    - {url}\n", "sub/dvc.yaml").Stages[0].Deps
        );

    // DUD91/dvc-pipeline names its stages 'Load Data', 'Train Model': DVC loads any name a dvc.yaml holds.
    [Theory]
    [InlineData("Load Data")]
    [InlineData("train_v2.1")]
    [InlineData("évaluer")]
    public void A_stage_name_dvc_loads_is_accepted(string name) =>
        Assert.Equal(name, PipelineParser.Parse($"stages:\n  {name}:\n    cmd: x\n", "dvc.yaml").Stages[0].Name);

    [Theory]
    [InlineData("a:b")]
    [InlineData("a/b")]
    [InlineData("a@b")]
    [InlineData("train-${x}")]
    [InlineData("'-x'")]
    [InlineData("'.x'")]
    [InlineData("' x'")]
    [InlineData("'x '")]
    public void A_stage_name_that_cannot_be_addressed_is_refused(string name)
    {
        var e = Fails($"stages:\n  {name}:\n    cmd: x\n", "dvc.yaml");
        Assert.StartsWith("dvc.yaml:2:3: invalid stage name '", e.Message, StringComparison.Ordinal);
        Assert.Contains(
            "a name cannot hold ':', '/', '\\', '@' or '${', nor start with '.', '-' or a space",
            e.Message,
            StringComparison.Ordinal
        );
    }
}
