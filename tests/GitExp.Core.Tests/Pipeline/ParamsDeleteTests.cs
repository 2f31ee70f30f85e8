using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>Hydra's <c>~key</c> and <c>++key</c> on each params format, in place: every other byte stays.</summary>
public sealed class ParamsDeleteTests
{
    private static string Edit(string file, string text, params string[] args) =>
        ParamEdits.NewTexts(
            args.SelectMany(ParamAssignment.ParseArgument).Select(a => a with { File = file }).ToList(),
            _ => text
        )[file];

    private static void Refused(string file, string text, string arg, string message)
    {
        var e = Assert.Throws<ExpException>(() => Edit(file, text, arg));
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Yaml_delete_removes_the_entry_lines_and_keeps_comments()
    {
        const string text = "# model\ntrain:\n  lr: 0.1 # step\n  opt:\n    name: adam\n    beta: 0.9\n  epochs: 10\nseed: 1\n";
        Assert.Equal("# model\ntrain:\n  epochs: 10\nseed: 1\n", Edit("params.yaml", text, "~train.lr", "~train.opt"));
        Assert.Equal(
            "# model\ntrain:\n  lr: 0.1 # step\n  opt:\n    name: adam\n    beta: 0.9\n  epochs: 10\n",
            Edit("params.yaml", text, "~seed")
        );
        // The map's last key: the map stays, empty, as Hydra leaves it.
        Assert.Equal("a:\n  b: {}\nc: 1\n", Edit("params.yaml", "a:\n  b:\n    x: 1\nc: 1\n", "~a.b.x"));
        Assert.Equal("{}\n", Edit("params.yaml", "only: 1\n", "~only"));
    }

    [Fact]
    public void Yaml_add_or_change_adds_under_the_parent_or_changes_in_place()
    {
        const string text = "train:\n  lr: 0.1 # step\nseed: 1\n";
        Assert.Equal("train:\n  lr: 0.2 # step\nseed: 1\n", Edit("params.yaml", text, "++train.lr=0.2"));
        Assert.Equal("train:\n  lr: 0.1 # step\n  momentum: 0.9\nseed: 1\n", Edit("params.yaml", text, "++train.momentum=0.9"));
    }

    [Fact]
    public void Yaml_delete_in_a_flow_map_or_a_list_is_refused_in_one_line()
    {
        Refused("params.yaml", "a: {x: 1, y: 2}\n", "~a.x", "params.yaml: cannot delete 'a.x' in place");
        Refused("params.yaml", "l:\n- 1\n- 2\n", "~l.0", "params.yaml: cannot delete 'l[0]' in place");
    }

    [Fact]
    public void Toml_delete_removes_a_key_line_or_a_table_with_its_sub_tables()
    {
        const string text =
            "# top\nseed = 1\n\n[train]\nlr = 0.1 # step\nepochs = 10\n\n[train.opt]\nname = \"adam\"\n\n[eval]\nsplit = 0.2\n";
        Assert.Equal(
            "# top\nseed = 1\n\n[train]\nepochs = 10\n\n[train.opt]\nname = \"adam\"\n\n[eval]\nsplit = 0.2\n",
            Edit("params.toml", text, "~train.lr")
        );
        Assert.Equal("# top\nseed = 1\n\n[eval]\nsplit = 0.2\n", Edit("params.toml", text, "~train"));
        Assert.Equal(text.Replace("seed = 1\n", "", StringComparison.Ordinal), Edit("params.toml", text, "~seed=1"));
        Refused("params.toml", "a = {x = 1, y = 2}\n", "~a.x", "params.toml: cannot delete 'a.x' in place");
    }

    [Fact]
    public void Toml_add_or_change_keeps_the_file_and_a_table_can_become_a_value()
    {
        const string text = "[train]\nlr = 0.1 # step\n";
        Assert.Equal("[train]\nlr = 0.2 # step\n", Edit("params.toml", text, "++train.lr=0.2"));
        Assert.Equal("[train]\nlr = 0.1 # step\nmomentum = 0.9\n", Edit("params.toml", text, "++train.momentum=0.9"));
        Assert.Equal("seed = 1\ntrain = \"off\"\n", Edit("params.toml", "seed = 1\n[train]\nlr = 0.1\n", "train=off"));
    }

    [Fact]
    public void Json_delete_and_add_rewrite_with_the_files_indentation()
    {
        const string text = "{\n    \"a\": 1,\n    \"b\": {\"c\": 2}\n}\n";
        Assert.Equal("{\n    \"b\": {\n        \"c\": 2\n    }\n}\n", Edit("params.json", text, "~a"));
        Assert.Equal(
            "{\n    \"a\": 1,\n    \"b\": {\n        \"c\": 2,\n        \"d\": 3\n    }\n}\n",
            Edit("params.json", text, "++b.d=3")
        );
    }

    [Fact]
    public void Python_delete_removes_a_constant_line_and_refuses_a_class_or_an_empty_block()
    {
        const string text = "LR = 0.1  # step\nSEED = 1\n\n\nclass Train:\n    epochs = 10\n    batch = 32\n";
        Assert.Equal("SEED = 1\n\n\nclass Train:\n    epochs = 10\n    batch = 32\n", Edit("params.py", text, "~LR"));
        Assert.Equal("LR = 0.1  # step\nSEED = 1\n\n\nclass Train:\n    batch = 32\n", Edit("params.py", text, "~Train.epochs"));
        Refused("params.py", text, "~Train", "params.py: cannot delete 'Train' in place");
        Refused("params.py", "class A:\n    x = 1\n", "~A.x", "params.py: cannot delete 'A.x' in place");
        Refused("params.py", "D = {'a': 1}\n", "~D.a", "params.py: cannot delete 'D.a' in place");
    }

    [Fact]
    public void A_refused_edit_leaves_nothing_half_written()
    {
        // The second override fails: NewTexts returns nothing, so no file is written.
        Refused("params.yaml", "a: 1\nb: {x: 1}\n", "~b.x", "cannot delete 'b.x' in place");
        var e = Assert.Throws<ExpException>(() => Edit("params.yaml", "a: 1\n", "~a", "a=3"));
        Assert.Contains("has no key 'a'", e.Message, StringComparison.Ordinal);
    }
}
