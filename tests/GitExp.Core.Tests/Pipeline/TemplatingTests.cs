using GitExp.Core.Pipeline;
using GitExp.Core.Pipeline.Templating;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>DVC 3's templating (dvc/parsing), with cases ported from DVC's own tests (named in each comment).</summary>
public class TemplatingTests
{
    private static GitExp.Core.Pipeline.Pipeline Parse(string yaml, params (string Path, string Text)[] files) =>
        PipelineParser.Parse(yaml, "dvc.yaml", path => files.FirstOrDefault(f => f.Path == path).Text);

    private static ExpException Fails(string yaml, params (string Path, string Text)[] files) =>
        Assert.Throws<ExpException>(() => Parse(yaml, files));

    private static Dictionary<string, string> Commands(GitExp.Core.Pipeline.Pipeline p) =>
        p.Stages.ToDictionary(s => s.Name, s => string.Join("\n", s.Commands));

    // tests/func/parsing/__init__.py data; test_interpolated_entry.py::test_simple and test_resolver.py::test_resolver.
    private const string ContextData = """
        dict:
          foo: foo
          bar: bar
        list: [param1, param2]
        freeze: true
        """;

    private const string TemplatedDvcYaml = """
        stages:
          stage1:
            cmd: python script.py ${dict.foo} --out ${dict.bar}
            outs: ["${dict.bar}"]
            deps: ["${dict.foo}"]
            frozen: ${freeze}
          stage2:
            cmd: echo ${dict.foo} ${dict.bar}
        """;

    [Fact]
    public void Simple_entries_resolve_from_params_yaml_and_track_the_used_values()
    {
        // test_interpolated_entry.py::test_simple
        var p = Parse(TemplatedDvcYaml, ("params.yaml", ContextData));
        var s1 = p.Stages[0];
        Assert.Equal(["python script.py foo --out bar"], s1.Commands);
        Assert.Equal(["bar"], s1.Outs.Select(o => o.Path));
        Assert.Equal(["foo"], s1.Deps);
        Assert.True(s1.Frozen);
        Assert.Equal(["echo foo bar"], p.Stages[1].Commands);
        Assert.Equal(
            [
                new ParamRef("params.yaml", "dict.foo"),
                new ParamRef("params.yaml", "dict.bar"),
                new ParamRef("params.yaml", "freeze"),
            ],
            s1.UsedParams
        );
        Assert.Equal([new ParamRef("params.yaml", "dict.foo"), new ParamRef("params.yaml", "dict.bar")], p.Stages[1].UsedParams);
        Assert.Equal([".dvc/config", ".dvc/config.local", "params.yaml"], p.TemplateInputs.Keys);
    }

    [Fact]
    public void Vars_import_another_file_instead_of_params_yaml()
    {
        // test_interpolated_entry.py::test_vars_import
        var p = Parse("vars: [params2.yaml]\n" + TemplatedDvcYaml, ("params2.yaml", ContextData));
        Assert.Equal(["python script.py foo --out bar"], p.Stages[0].Commands);
        Assert.All(p.Stages[0].UsedParams, u => Assert.Equal("params2.yaml", u.File));
    }

    [Fact]
    public void Vars_maps_and_params_merge_and_only_params_are_tracked()
    {
        // test_interpolated_entry.py::test_vars_and_params_import
        var p = Parse(
            "vars:\n  - params.yaml\n  - dict: {foo: foobar}\nstages:\n  stage1:\n    cmd: echo ${dict.foo} ${dict.bar}\n",
            ("params.yaml", "dict: {bar: bar}\n")
        );
        Assert.Equal(["echo foobar bar"], p.Stages[0].Commands);
        Assert.Equal([new ParamRef("params.yaml", "dict.bar")], p.Stages[0].UsedParams);
    }

    [Fact]
    public void Stage_vars_load_from_the_stages_wdir()
    {
        // test_interpolated_entry.py::test_stage_with_wdir and ::test_with_templated_wdir
        var files = new[] { ("params.yaml", "dict: {bar: bar, ws: data}\n"), ("data/params.yaml", "dict: {foo: foo}\n") };
        foreach (var wdir in new[] { "data", "${dict.ws}" })
        {
            var p = Parse(
                $"stages:\n  stage1:\n    cmd: echo ${{dict.foo}} ${{dict.bar}}\n    params: [value1]\n    wdir: {wdir}\n    vars: [params.yaml]\n",
                files
            );
            var s = p.Stages[0];
            Assert.Equal(["echo foo bar"], s.Commands);
            Assert.Equal("data", s.WorkingDirectory);
            Assert.Equal([new ParamRef("data/params.yaml", "value1")], s.Params);
            Assert.Contains(new ParamRef("data/params.yaml", "dict.foo"), s.UsedParams);
            Assert.Contains(new ParamRef("params.yaml", "dict.bar"), s.UsedParams);
        }
    }

    [Fact]
    public void A_file_imported_whole_is_not_imported_again_by_a_stage()
    {
        // test_interpolated_entry.py::test_resolve_local_tries_to_load_globally_used_files, ::test_vars_relpath_overwrite
        var p = Parse(
            "vars: [params.json]\nstages:\n  build:\n    cmd: command --value ${bar}\n    params: [{params.json: [foo]}]\n    vars: [params.json]\n",
            ("params.json", """{"bar": "bar", "foo": "foo"}""")
        );
        Assert.Equal(["command --value bar"], p.Stages[0].Commands);
        Assert.Equal([new ParamRef("params.json", "bar")], p.Stages[0].UsedParams);
        var q = Parse(
            "vars: [params.yaml]\nstages:\n  build:\n    wdir: data\n    cmd: echo ${bar}\n    vars: [../params.yaml]\n",
            ("params.yaml", "bar: bar\nfoo: foo\n")
        );
        Assert.Equal(["echo bar"], q.Stages[0].Commands);
    }

    [Theory]
    // test_interpolated_entry.py::test_vars_load_partial
    [InlineData("[test_params.yaml:bar, test_params.yaml:foo]")]
    [InlineData("[\"test_params.yaml:foo,bar\"]")]
    [InlineData("[test_params.yaml]")]
    [InlineData("[test_params.yaml, test_params.yaml]")]
    public void Vars_load_whole_or_partial_files(string vars)
    {
        foreach (var local in new[] { true, false })
        {
            var yaml = local
                ? $"stages:\n  build:\n    cmd: echo ${{bar}}\n    vars: {vars}\n"
                : $"vars: {vars}\nstages:\n  build:\n    cmd: echo ${{bar}}\n";
            Assert.Equal(["echo bar"], Parse(yaml, ("test_params.yaml", "bar: bar\nfoo: foo\n")).Stages[0].Commands);
        }
    }

    [Theory]
    // test_resolver.py::test_vars_already_loaded_message
    [InlineData("[test_params.yaml, \"test_params.yaml:sub1\"]")]
    [InlineData("[\"test_params.yaml:sub1\", test_params.yaml]")]
    [InlineData("[\"test_params.yaml:sub1\", \"test_params.yaml:sub1,sub2\"]")]
    public void Loading_a_file_again_partially_is_refused(string vars)
    {
        foreach (var local in new[] { true, false })
        {
            var yaml = local
                ? $"stages:\n  build:\n    cmd: echo ${{sub1}} ${{sub2}}\n    vars: {vars}\n"
                : $"vars: {vars}\nstages:\n  build:\n    cmd: echo ${{sub1}} ${{sub2}}\n";
            var e = Fails(yaml, ("test_params.yaml", "sub1: sub1\nsub2: sub2\n"));
            Assert.Contains("partially", e.Message);
        }
    }

    [Theory]
    // test_interpolated_entry.py::test_cmd_dict
    [InlineData(false, false, " --bool", " --list 1 2 foo 'quote\"'\"'\"'d'")]
    [InlineData(true, true, " --bool --no-bool-false", " --list 1 --list 2 --list foo --list 'quote\"'\"'\"'d'")]
    public void A_map_in_cmd_becomes_options(bool booleanOptional, bool listAppend, string bools, string lists)
    {
        var root = TemplateValue.FromJson(
            System.Text.Json.Nodes.JsonNode.Parse(
                """{"foo": "foo", "bar": 2, "string": "spaced string", "mixed_quote_string": "quote\"'d", "bool": true, "bool-false": false, "list": [1, 2, "foo", "quote\"'d"], "nested": {"foo": "foo"}}"""
            ),
            ValueOrigin.Literal
        );
        var text = Interpolation.ToText(root, new ParsingConfig(booleanOptional, listAppend));
        var expected =
            "--foo foo --bar 2 --string 'spaced string' --mixed_quote_string 'quote\"'\"'\"'d'"
            + bools
            + lists
            + " --nested.foo foo";
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(expected, text);
        }

        if (!booleanOptional && !OperatingSystem.IsWindows())
        {
            // The same through a pipeline, with DVC's default parsing config.
            var p = Parse(
                "stages:\n  stage1:\n    cmd: python script.py ${dict}\n",
                (
                    "params.yaml",
                    "dict:\n  foo: foo\n  bar: 2\n  string: spaced string\n  mixed_quote_string: quote\"'d\n  bool: true\n  bool-false: false\n  list: [1, 2, foo, quote\"'d]\n  nested:\n    foo: foo\n"
                )
            );
            Assert.Equal(["python script.py " + text], p.Stages[0].Commands);
        }
    }

    [Fact]
    public void The_parsing_section_of_dvc_config_shapes_maps_in_cmd()
    {
        // test_interpolated_entry.py::test_cmd_dict with conf["parsing"] = {bool: boolean_optional, list: append}
        const string Yaml = "stages:\n  s:\n    cmd: run ${opts}\n";
        var files = new List<(string, string)> { ("params.yaml", "opts: {on: true, off: false, xs: [1, 2]}\n") };
        Assert.Equal(["run --on --xs 1 2"], Parse(Yaml, [.. files]).Stages[0].Commands);
        files.Add((".dvc/config", "[core]\n    remote = x\n[parsing]\n    bool = boolean_optional\n    list = append\n"));
        var p = Parse(Yaml, [.. files]);
        Assert.Equal(["run --on --no-off --xs 1 --xs 2"], p.Stages[0].Commands);
        Assert.Contains(".dvc/config", p.TemplateInputs.Keys);
    }

    // DVC merges its config levels: .dvc/config.local (this machine's, not in Git) over .dvc/config.
    [Fact]
    public void The_parsing_section_of_dvc_config_local_wins_over_dvc_config()
    {
        const string Yaml = "stages:\n  s:\n    cmd: run ${opts}\n";
        var files = new List<(string, string)>
        {
            ("params.yaml", "opts: {on: true, off: false, xs: [1, 2]}\n"),
            (".dvc/config", "[parsing]\n    bool = boolean_optional\n    list = append\n"),
            (".dvc/config.local", "[parsing]\n    list = nargs\n"),
        };

        var p = Parse(Yaml, [.. files]);

        Assert.Equal(["run --on --no-off --xs 1 2"], p.Stages[0].Commands);
        Assert.Contains(".dvc/config.local", p.TemplateInputs.Keys);
    }

    // DVC's _warn_if_overwriting (dvc/parsing/__init__.py): a foreach's
    // item and key (a matrix's key and item) hide a variable of that name for the stages it generates.
    [Theory]
    [InlineData("vars: [{item: 1, key: 2}]\n", "foreach: {a: 1}", "item and key are already specified")]
    [InlineData("vars: [{key: 2}]\n", "foreach: [a, b]", null)]
    [InlineData("vars: [{key: 2}]\n", "foreach: {a: 1}", "key is already specified")]
    [InlineData("vars: [{item: 2}]\n", "matrix: {x: [a, b]}", "item is already specified")]
    [InlineData("vars: [{key: 1, item: 2}]\n", "matrix: {x: [a, b]}", "key and item are already specified")]
    [InlineData("", "foreach: {a: 1}", null)]
    public void A_foreach_or_matrix_hiding_a_variable_is_warned_of(string vars, string loop, string? warning)
    {
        var body = loop.StartsWith("foreach", StringComparison.Ordinal)
            ? $"    {loop}\n    do:\n      cmd: echo ${{item}}\n"
            : $"    {loop}\n    cmd: echo ${{item.x}}\n";

        var p = Parse(vars + "stages:\n  build:\n" + body);

        if (warning is null)
        {
            Assert.Empty(p.Warnings);
            return;
        }

        var line = vars.Length == 0 ? 3 : 4;
        Assert.Equal([$"dvc.yaml:{line}: {warning}, will be overwritten for stages generated from 'build'"], p.Warnings);
    }

    [Fact]
    public void Foreach_over_a_simple_list_names_stages_by_value()
    {
        // test_foreach.py::test_with_simple_list_data
        var p = Parse("stages:\n  build:\n    foreach: [foo, bar, baz]\n    do:\n      cmd: echo ${item}\n");
        Assert.Equal(
            new()
            {
                ["build@foo"] = "echo foo",
                ["build@bar"] = "echo bar",
                ["build@baz"] = "echo baz",
            },
            Commands(p)
        );
        Assert.All(p.Stages, s => Assert.Empty(s.UsedParams));
        Assert.All(p.Stages, s => Assert.Equal("build", s.Group));
    }

    [Fact]
    public void Foreach_over_a_map_has_key_and_item()
    {
        // test_foreach.py::test_with_dict_data and ::test_with_dict_with_non_str_keys
        var p = Parse("stages:\n  build:\n    foreach: {model1: foo, model2: bar}\n    do:\n      cmd: echo ${key} ${item}\n");
        Assert.Equal(new() { ["build@model1"] = "echo model1 foo", ["build@model2"] = "echo model2 bar" }, Commands(p));
        var q = Parse(
            "stages:\n  build:\n    foreach:\n      2021: {thresh: foo}\n      2022: {thresh: bar}\n    do:\n      cmd: echo ${key} ${item.thresh}\n"
        );
        Assert.Equal(new() { ["build@2021"] = "echo 2021 foo", ["build@2022"] = "echo 2022 bar" }, Commands(q));
    }

    [Fact]
    public void Foreach_over_a_list_of_maps_names_stages_by_index()
    {
        // test_foreach.py::test_with_composite_list, ::test_foreach_interpolate_with_composite_data
        var p = Parse(
            "stages:\n  build:\n    foreach: [{thresh: foo}, {thresh: bar}]\n    do:\n      cmd: echo ${item.thresh}\n"
        );
        Assert.Equal(new() { ["build@0"] = "echo foo", ["build@1"] = "echo bar" }, Commands(p));
        foreach (var reference in new[] { "${item.thresh}", "${item[thresh]}" })
        {
            var q = Parse(
                $"vars:\n  - models: {{model1: {{thresh: foo}}, model2: {{thresh: bar}}}}\nstages:\n  build:\n    foreach: ${{models}}\n    do:\n      cmd: echo {reference}\n"
            );
            Assert.Equal(new() { ["build@model1"] = "echo foo", ["build@model2"] = "echo bar" }, Commands(q));
        }
    }

    [Fact]
    public void Foreach_data_from_vars_nested_and_partly_interpolated()
    {
        // test_foreach.py::test_foreach_interpolated_simple_list, ::test_foreach_data_from_nested_vars,
        // ::test_foreach_partial_interpolations
        var p = Parse(
            "vars:\n  - models: [foo, bar, baz]\nstages:\n  build:\n    foreach: ${models}\n    do:\n      cmd: echo ${item}\n"
        );
        Assert.Equal(["build@foo", "build@bar", "build@baz"], p.Stages.Select(s => s.Name));
        var q = Parse(
            "vars:\n  - models: {lst: [{thresh: 10}, {thresh: 15}]}\nstages:\n  build:\n    foreach: ${models.lst}\n    do:\n      cmd: echo ${item.thresh}\n"
        );
        Assert.Equal(new() { ["build@0"] = "echo 10", ["build@1"] = "echo 15" }, Commands(q));
        var r = Parse(
            "vars:\n  - bar: bar\nstages:\n  build:\n    foreach: {model1: foo, model2: \"${bar}\"}\n    do:\n      cmd: echo ${item}\n"
        );
        Assert.Equal(new() { ["build@model1"] = "echo foo", ["build@model2"] = "echo bar" }, Commands(r));
    }

    [Fact]
    public void Foreach_items_from_params_files_are_tracked_per_generated_stage()
    {
        // test_foreach.py::test_params_file_with_dict_tracked, ::test_params_file_tracked_for_composite_list,
        // ::test_mixed_vars_for_foreach_data_2
        var p = Parse(
            "stages:\n  build:\n    foreach: ${models}\n    do:\n      cmd: echo ${item.thresh}\n",
            ("params.yaml", "models:\n  model1: {thresh: foo}\n  model2: {thresh: bar}\n")
        );
        Assert.Equal([new ParamRef("params.yaml", "models.model1.thresh")], p.Stages[0].UsedParams);
        Assert.Equal([new ParamRef("params.yaml", "models.model2.thresh")], p.Stages[1].UsedParams);
        var q = Parse(
            "stages:\n  build:\n    foreach: ${models}\n    do:\n      cmd: echo ${item.thresh}\n",
            ("params.yaml", "models: [{thresh: foo}, {thresh: bar}]\n")
        );
        Assert.Equal([new ParamRef("params.yaml", "models[1].thresh")], q.Stages[1].UsedParams);
        var r = Parse(
            "vars: [test_params.yaml]\nstages:\n  build:\n    foreach: ${models}\n    do:\n      cmd: echo ${item.thresh} ${item.epochs}\n",
            ("params.yaml", "models: {model1: {thresh: 10}, model2: {thresh: 15}}\n"),
            ("test_params.yaml", "models: {model1: {epochs: 5}, model2: {epochs: 10}}\n")
        );
        Assert.Equal(new() { ["build@model1"] = "echo 10 5", ["build@model2"] = "echo 15 10" }, Commands(r));
        Assert.Equal(
            [new ParamRef("params.yaml", "models.model2.thresh"), new ParamRef("test_params.yaml", "models.model2.epochs")],
            r.Stages[1].UsedParams
        );
    }

    [Fact]
    public void Foreach_with_interpolated_wdir_and_local_vars()
    {
        // test_foreach.py::test_foreach_with_interpolated_wdir, ::test_foreach_with_local_vars,
        // ::test_foreach_with_interpolated_wdir_and_local_vars
        var p = Parse("stages:\n  build:\n    foreach: [foo, bar]\n    do:\n      wdir: ${item}\n      cmd: echo hello\n");
        Assert.Equal(["foo", "bar"], p.Stages.Select(s => s.WorkingDirectory));
        var q = Parse(
            "stages:\n  build:\n    foreach: [foo, bar]\n    do:\n      vars: [{foobar: foobar}]\n      cmd: echo ${item} ${foobar}\n"
        );
        Assert.Equal(new() { ["build@foo"] = "echo foo foobar", ["build@bar"] = "echo bar foobar" }, Commands(q));
        var files = new List<(string, string)> { ("params.yaml", "models: {model1: {thresh: foo}}\n") };
        for (var i = 0; i < 5; i++)
        {
            files.Add(($"model-{i}/params.yaml", $"train: {{epochs: {1 + i}}}\nprepare: {{nums: {10 * i}}}\n"));
        }

        foreach (var import in new[] { "params.yaml", "\"params.yaml:train,prepare\"" })
        {
            var r = Parse(
                $"stages:\n  build:\n    foreach: [0, 1, 2, 3, 4]\n    do:\n      wdir: model-${{item}}\n      vars: [{import}]\n      cmd: echo ${{item}} ${{train.epochs}} ${{prepare.nums}}\n",
                [.. files]
            );
            Assert.Equal("echo 2 3 20", Commands(r)["build@2"]);
            Assert.Equal("model-2", r.Stages[2].WorkingDirectory);
            Assert.Equal(
                [new ParamRef("model-2/params.yaml", "train.epochs"), new ParamRef("model-2/params.yaml", "prepare.nums")],
                r.Stages[2].UsedParams
            );
        }
    }

    [Theory]
    // test_foreach.py::test_foreach_with_imported_vars
    [InlineData("test_params.yaml")]
    [InlineData("\"test_params.yaml:train\"")]
    [InlineData("\"test_params.yaml:train,prepare\"")]
    public void Foreach_stages_import_vars_of_their_own(string import)
    {
        var p = Parse(
            $"stages:\n  build:\n    foreach: [foo, bar]\n    do:\n      vars: [{import}]\n      cmd: echo ${{item}} ${{train.epochs}}\n",
            ("params.yaml", "models: {model1: {thresh: foo}}\n"),
            ("test_params.yaml", "train: {epochs: 10}\nprepare: {nums: 25}\n")
        );
        Assert.Equal(new() { ["build@foo"] = "echo foo 10", ["build@bar"] = "echo bar 10" }, Commands(p));
        Assert.Equal([new ParamRef("test_params.yaml", "train.epochs")], p.Stages[0].UsedParams);
    }

    [Fact]
    public void Matrix_is_the_cartesian_product_with_indexed_names_for_lists_and_maps()
    {
        // test_matrix.py::test_matrix_interpolated and ::test_matrix_key_present
        const string Params =
            "os: [win, linux]\npyv: [3.7, 3.8]\ndict: [{arg1: 1}, {arg2: 2}]\nlist: [[out1, out11], [out2, out22]]\n";
        foreach (
            var matrix in new[]
            {
                "      os: [win, linux]\n      pyv: [3.7, 3.8]\n      dict: [{arg1: 1}, {arg2: 2}]\n      list: [[out1, out11], [out2, out22]]\n",
                "      os: ${os}\n      pyv: ${pyv}\n      dict: ${dict}\n      list: ${list}\n",
            }
        )
        {
            var p = Parse(
                "stages:\n  build:\n    matrix:\n"
                    + matrix
                    + "    cmd: echo ${item.os} ${item.pyv} ${item.dict} -- ${item.list.0} ${item.list.1}\n",
                ("params.yaml", Params)
            );
            var c = Commands(p);
            Assert.Equal(16, c.Count);
            Assert.Equal("build@win-3.7-dict0-list0", p.Stages[0].Name);
            Assert.Equal("echo win 3.7 --arg1 1 -- out1 out11", c["build@win-3.7-dict0-list0"]);
            Assert.Equal("echo win 3.8 --arg2 2 -- out1 out11", c["build@win-3.8-dict1-list0"]);
            Assert.Equal("echo linux 3.8 --arg2 2 -- out2 out22", c["build@linux-3.8-dict1-list1"]);
            Assert.Equal("build@linux-3.8-dict1-list1", p.Stages[^1].Name);
            var k = Commands(
                Parse("stages:\n  build:\n    matrix:\n" + matrix + "    cmd: echo ${key}\n", ("params.yaml", Params))
            );
            Assert.Equal("echo linux-3.7-dict0-list1", k["build@linux-3.7-dict0-list1"]);
        }
    }

    [Theory]
    // tests/unit/test_interpolate.py::test_resolve_primitive_values (typed whole values), ::test_escape,
    // ::test_resolve_str, ::test_resolve_primitives_dict_access, ::test_resolve_primitives_list_access,
    // tests/unit/test_context.py::test_resolve_resolves_boolean_value
    [InlineData("${ value }", "value: 12", "12")]
    [InlineData("${value}", "value: 3.141592653589793", "3.141592653589793")]
    [InlineData("echo ${value}", "value: 30000.0", "echo 30000.0")]
    [InlineData("echo ${value}", "value: 1.0e-5", "echo 1e-05")]
    [InlineData("echo ${value}", "value: null", "echo None")]
    [InlineData(@"\${value}", "value: v", "${value}")]
    [InlineData(@"\${ value } days", "value: v", "${ value } days")]
    [InlineData(
        @"Great shot kid, that was \${value} in a ${value}",
        "value: value",
        "Great shot kid, that was ${value} in a value"
    )]
    [InlineData("My name is ${last}, ${first} ${last}", "first: James\nlast: Bond", "My name is Bond, James Bond")]
    [InlineData("Number ${dict.num} ${dict.nested.string}", "dict: {num: 5, nested: {string: bar}}", "Number 5 bar")]
    [InlineData("${dict[3].foo[0]}", "dict: [{f: f}, {fo: fo}, {foo: foo}, {foo: [f, o, o]}]", "f")]
    [InlineData("${ dict.1.fo}${dict.3.foo.1}bar", "dict: [{f: f}, {fo: fo}, {foo: foo}, {foo: [f, o, o]}]", "foobar")]
    [InlineData("--flag ${enabled} --other ${disabled}", "enabled: true\ndisabled: false", "--flag true --other false")]
    [InlineData("${नेपाली.चिया[0]}${नेपाली[चिया][1]}", "नेपाली: {चिया: [चि, या]}", "चिया")]
    public void References_resolve_as_dvc_resolves_them(string cmd, string paramsYaml, string expected)
    {
        var p = Parse(
            $"stages:\n  s:\n    cmd: '{cmd.Replace("'", "''", StringComparison.Ordinal)}'\n",
            ("params.yaml", paramsYaml)
        );
        Assert.Equal([expected], p.Stages[0].Commands);
    }

    [Theory]
    // tests/unit/test_context.py::test_resolve_resolves_boolean_value: a whole-value reference keeps its type.
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void A_whole_value_reference_keeps_its_type(string value, bool expected)
    {
        var p = Parse(
            "stages:\n  s:\n    cmd: echo\n    frozen: ${f}\n    always_changed: ${f}\n",
            ("params.yaml", $"f: {value}\n")
        );
        Assert.Equal(expected, p.Stages[0].Frozen);
        Assert.Equal(expected, p.Stages[0].AlwaysChanged);
    }

    [Fact]
    public void Map_keys_resolve_and_stage_names_do_not()
    {
        // tests/unit/test_context.py::test_resolve_resolves_dict_keys
        var p = Parse(
            "stages:\n  s:\n    cmd: echo\n    outs:\n      - ${dct.foo}:\n          persist: ${dct.persist}\n",
            ("params.yaml", "dct: {foo: foobar, persist: true}\n")
        );
        Assert.Equal([new OutSpec("foobar", OutKind.Out, true, true, false)], p.Stages[0].Outs);
        // DVC does not interpolate stage names; a written name holding ${...} is refused in one line rather than
        // kept as a name nobody meant.
        var e = Fails("stages:\n  ${x}:\n    cmd: echo\n", ("params.yaml", "x: a\n"));
        Assert.StartsWith("dvc.yaml:2:3: invalid stage name '${x}'", e.Message);
    }

    [Fact]
    public void Default_params_file_is_loaded_with_or_without_vars()
    {
        // test_resolver.py::test_default_params_file, ::test_load_vars_from_file, ::test_local_vars
        foreach (var vars in new[] { "", "vars: []\n", "vars: [params.yaml]\n" })
        {
            var p = Parse(
                vars + "stages:\n  s:\n    cmd: echo ${models.bar}\n",
                ("params.yaml", "models: {bar: bar, foo: foo}\n")
            );
            Assert.Equal(["echo bar"], p.Stages[0].Commands);
        }

        var q = Parse(
            "vars: [params.yaml, params.json, {foo: bar}]\nstages:\n  s:\n    cmd: echo ${models.foo} ${datasets[1]} ${foo}\n",
            ("params.yaml", "models: {bar: bar, foo: foo}\n"),
            ("params.json", """{"datasets": ["foo", "bar"]}""")
        );
        Assert.Equal(["echo foo bar bar"], q.Stages[0].Commands);
    }

    [Fact]
    public void A_pipeline_without_templating_reads_no_params_file()
    {
        var read = new List<string>();
        var p = PipelineParser.Parse(
            "stages:\n  s:\n    cmd: echo $HOME\n",
            "dvc.yaml",
            path =>
            {
                read.Add(path);
                return "x: 1\n";
            }
        );
        Assert.Empty(read);
        Assert.Empty(p.TemplateInputs);
    }

    [Theory]
    // test_errors.py::test_specified_key_does_not_exist, ::test_wdir_failed_to_interpolate
    [InlineData(
        "stages:\n  build:\n    cmd: echo ${models.foobar}\n",
        "dvc.yaml:3:10: stage 'build': 'cmd': undefined name 'models.foobar' in '${models.foobar}'"
    )]
    [InlineData(
        "stages:\n  build:\n    wdir: ${models[foobar]}\n    cmd: echo\n",
        "dvc.yaml:3:11: stage 'build': 'wdir': undefined name 'models.foobar' in '${models[foobar]}'"
    )]
    // test_errors.py::test_failed_to_interpolate, ::test_wdir_failed_to_interpolate, ::test_foreach_do_syntax_errors
    [InlineData(
        "stages:\n  build:\n    cmd: echo ${models.foo.}\n",
        "dvc.yaml:3:10: stage 'build': 'cmd': '${models.foo.}' is not a valid reference"
    )]
    [InlineData(
        "stages:\n  build:\n    wdir: ${models.foo]}\n    cmd: echo\n",
        "dvc.yaml:3:11: stage 'build': 'wdir': '${models.foo]}' is not a valid reference"
    )]
    [InlineData(
        "stages:\n  build:\n    foreach: [foo, bar]\n    do:\n      cmd: echo ${syntax.[error}\n",
        "dvc.yaml:5:12: stage 'build': 'cmd': '${syntax.[error}' is not a valid reference"
    )]
    // test_errors.py::test_interpolate_non_string, ::test_interpolate_nested_iterable
    [InlineData(
        "stages:\n  build:\n    cmd: echo\n    outs: ${models}\n",
        "dvc.yaml:4:11: stage 'build': 'outs': '${models}' is a map"
    )]
    [InlineData("stages:\n  build:\n    cmd: echo ${lst}\n", "dvc.yaml:3:10: stage 'build': 'cmd': '${lst}' is a list")]
    [InlineData(
        "stages:\n  build:\n    cmd: echo ${nested}\n",
        "dvc.yaml:3:10: stage 'build': 'cmd': 'list' holds a list inside a list"
    )]
    // test_errors.py::test_vars_interpolation_errors, test_resolver.py::test_vars_interpolation_errors
    [InlineData("vars:\n  - ${file}_params.yaml\n", "dvc.yaml:2:5: 'vars' cannot use ${...}")]
    [InlineData(
        "stages:\n  build:\n    vars: [{foo: \"${foo}\"}]\n    cmd: echo\n",
        "dvc.yaml:3:18: stage 'build': 'vars' cannot use ${...}"
    )]
    // test_errors.py::test_local_vars_params_file_not_exist, test_resolver.py::test_specified_params_file_not_exist
    [InlineData(
        "stages:\n  build:\n    vars: [not_existing_params.yaml]\n    cmd: echo ${models.foo}\n",
        "dvc.yaml:3:12: stage 'build': 'vars': 'not_existing_params.yaml' does not exist"
    )]
    [InlineData("vars: [not_existing_params.yaml]\n", "dvc.yaml:1:8: 'vars': 'not_existing_params.yaml' does not exist")]
    // test_errors.py::test_partial_vars_doesnot_exist, test_resolver.py::test_partial_vars_doesnot_exist
    [InlineData("vars: [\"test_params.yaml:sub3\"]\n", "dvc.yaml:1:8: 'vars': could not find 'sub3' in 'test_params.yaml'")]
    // Params files are read by extension (decision 26), in vars too.
    [InlineData("vars: [config.cfg]\n", "dvc.yaml:1:8: 'vars': config.cfg: params files must be YAML")]
    // test_errors.py::test_foreach_data_key_does_not_exists, ::test_foreach_data_expects_list_or_dict
    [InlineData(
        "stages:\n  build:\n    foreach: ${modelss.123}\n    do: {cmd: echo}\n",
        "dvc.yaml:3:14: stage 'build': 'foreach': undefined name 'modelss.123'"
    )]
    [InlineData(
        "stages:\n  build:\n    foreach: ${foo}\n    do: {cmd: echo}\n",
        "dvc.yaml:3:14: stage 'build': 'foreach' must be a list or a map"
    )]
    [InlineData(
        "stages:\n  build:\n    foreach: ${dct.model1}\n    do: {cmd: echo}\n",
        "dvc.yaml:3:14: stage 'build': 'foreach' must be"
    )]
    [InlineData(
        "stages:\n  build:\n    foreach: foobar\n    do: {cmd: echo}\n",
        "dvc.yaml:3:14: stage 'build': 'foreach' must be"
    )]
    // test_errors.py::test_foreach_do_definition_item_does_not_exist, ::test_foreach_wdir_key_does_not_exist
    [InlineData(
        "stages:\n  build:\n    foreach: [{thresh: '10'}, {}]\n    do:\n      cmd: ${item.thresh}\n",
        "dvc.yaml:5:12: stage 'build@1': 'cmd': undefined name 'item.thresh'"
    )]
    [InlineData(
        "stages:\n  build:\n    foreach: ${lst}\n    do:\n      wdir: ${ite}\n      cmd: echo ${item}\n",
        "dvc.yaml:5:13: stage 'build@foo': 'wdir': undefined name 'ite'"
    )]
    // test_resolver.py::test_global_overwrite_error_on_imports, ::test_global_overwrite_vars, ::test_local_declared_vars_overwrite
    [InlineData(
        "vars: [params.yaml, params.json]\n",
        "dvc.yaml:1:21: 'vars': cannot redefine 'models.bar' from 'params.json' as it already exists in 'params.yaml'"
    )]
    [InlineData(
        "vars:\n  - models: {bar: bar}\n",
        "dvc.yaml:2:5: 'vars': cannot redefine 'models.bar' from 'vars[0]' as it already exists in 'params.yaml'"
    )]
    // test_resolver.py::test_local_overwrite_error
    [InlineData(
        "stages:\n  build:\n    cmd: echo ${models.foo}\n    vars: [params.json]\n",
        "dvc.yaml:4:12: stage 'build': 'vars': cannot redefine 'models.bar' from 'params.json' as it already exists in 'params.yaml'"
    )]
    [InlineData(
        "stages:\n  build:\n    cmd: echo ${models.foo}\n    vars: [{models: {bar: 1}}]\n",
        "dvc.yaml:4:12: stage 'build': 'vars': cannot redefine 'models.bar' from 'build.vars[0]' as it already exists in 'params.yaml'"
    )]
    // test_errors.py::test_item_key_in_generated_stage_vars
    [InlineData(
        "stages:\n  build:\n    foreach: {model1: {thresh: '10'}, model2: {thresh: 5}}\n    do:\n      vars: [{item: 5, key: 10}]\n      cmd: ${item}\n",
        "dvc.yaml:5:14: stage 'build@model1': 'vars': cannot set 'item' and 'key': they are reserved for 'foreach' and 'matrix'"
    )]
    public void Templating_mistakes_name_file_line_and_what_is_wrong(string yaml, string expectedStart)
    {
        var e = Fails(
            yaml,
            (
                "params.yaml",
                "models: {bar: bar, foo: foo}\nlst: [foo, bar]\nfoo: bar\ndct: {model1: a-out}\nnested: {list: [1, [2, 3]]}\n"
            ),
            ("params.json", """{"models": {"bar": "bar", "foo": "foo"}}"""),
            ("test_params.yaml", "sub1: sub1\n"),
            ("config.cfg", "a: 1\n")
        );
        Assert.Equal(ExitCode.InvalidProject, e.Code);
        Assert.StartsWith(expectedStart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_undefined_name_in_cmd_hints_at_shell_variables()
    {
        var e = Fails("stages:\n  s:\n    cmd: echo ${HOME}\n", ("params.yaml", "x: 1\n"));
        Assert.Equal(
            "dvc.yaml:3:10: stage 's': 'cmd': undefined name 'HOME' in '${HOME}'; for a shell variable write $HOME or \\${HOME}",
            e.Message
        );
        Assert.Equal(["echo ${HOME}"], Parse("stages:\n  s:\n    cmd: echo \\${HOME}\n").Stages[0].Commands);
    }

    [Fact]
    public void The_example_in_formats_md_expands_as_documented()
    {
        var p = Parse(
            """
            vars:
              - config/train.yaml
              - data.json:split,seed
              - models: [small, large]
            stages:
              prepare:
                cmd: python prepare.py --split ${split.ratio} ${train}
                outs:
                  - data/${split.name}
              train:
                foreach: ${models}
                do:
                  cmd: python train.py --model ${item} --epochs ${train.epochs}
                  outs:
                    - models/${item}.pt
              evaluate:
                matrix:
                  model: ${models}
                  split: [test, val]
                cmd: python eval.py ${item.model} ${item.split} > eval/${key}.json
            """,
            ("config/train.yaml", "train: {epochs: 3, fast: true}\n"),
            ("data.json", """{"split": {"ratio": 0.2, "name": "s1"}, "seed": 7, "other": 1}""")
        );
        Assert.Equal(
            new()
            {
                ["prepare"] = "python prepare.py --split 0.2 --epochs 3 --fast",
                ["train@small"] = "python train.py --model small --epochs 3",
                ["train@large"] = "python train.py --model large --epochs 3",
                ["evaluate@small-test"] = "python eval.py small test > eval/small-test.json",
                ["evaluate@small-val"] = "python eval.py small val > eval/small-val.json",
                ["evaluate@large-test"] = "python eval.py large test > eval/large-test.json",
                ["evaluate@large-val"] = "python eval.py large val > eval/large-val.json",
            },
            Commands(p)
        );
        Assert.Equal(["data/s1"], p.Stages[0].Outs.Select(o => o.Path));
    }

    [Fact]
    public void Written_stage_names_cannot_hold_at_signs()
    {
        var e = Fails("stages:\n  a@b:\n    cmd: echo\n");
        Assert.Contains("'@' is for names foreach and matrix generate", e.Message);
    }

    [Theory]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    [InlineData(123.0, "123.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(1.5e300, "1.5e+300")]
    public void Floats_print_as_python_prints_them(double value, string expected) =>
        Assert.Equal(expected, TemplateScalar.PythonFloat(value));

    [Theory]
    [InlineData("", "''")]
    [InlineData("foo", "foo")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\"'\"'s'")]
    [InlineData("path/to:x@1,2=3%+", "path/to:x@1,2=3%+")]
    public void Strings_are_quoted_as_shlex_quotes_them(string value, string expected) =>
        Assert.Equal(expected, Interpolation.PosixQuote(value));
}
