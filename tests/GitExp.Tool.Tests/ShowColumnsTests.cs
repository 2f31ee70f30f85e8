using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// Which columns <c>exp show</c> has: <c>--param-deps</c>, the deps columns, <c>--drop</c>/<c>--keep</c> (fixed
/// columns too), each as DVC's tests/func/experiments/test_show.py and tests/func/params/test_show.py assert.
/// </summary>
public sealed class ShowColumnsTests
{
    /// <summary>
    /// DVC's copy-file stage: <c>copy.sh</c> copies params.yaml to metrics.yaml, so both files have the same keys.
    /// The baseline commits the copy, as DVC's tests commit the stage's output.
    /// </summary>
    private static async Task<TempGitRepo> CopyProjectAsync(string pipelineFile, string parameters, string paramsList)
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", parameters);
        repo.WriteFile("metrics.yaml", parameters);
        repo.WriteFile("copy.sh", "cp params.yaml metrics.yaml\n");
        repo.WriteFile(
            pipelineFile,
            $"stages:\n  copy-file:\n    cmd: sh copy.sh\n    deps: [copy.sh]\n    params: {paramsList}\n"
                + "    metrics:\n      - metrics.yaml:\n          cache: false\n"
        );
        await repo.CommitAllAsync("init");
        return repo;
    }

    private static string Header(string csv) => csv.ReplaceLineEndings("\n").Split('\n')[0];

    [Fact]
    public async Task Drop_and_keep_take_regexes_from_the_column_names_start_and_drop_fixed_columns_too()
    {
        // DVC: test_show_filter.
        using var repo = await CopyProjectAsync(
            "exp.yaml",
            "foo: 1\nbar: 1\ntrain/foo: 1\ntrain/bar: 1\nnested:\n  foo: 1\n  bar: 1\n",
            "[foo]"
        );

        var dropped = (await repo.ExpOkAsync("show", "--md", "--drop=.*foo")).StdOut;
        var kept = (await repo.ExpOkAsync("show", "--md", "--drop=.*foo", "--keep=.*train")).StdOut;
        var paramsOnly = (await repo.ExpOkAsync("show", "--md", "--drop=params.yaml:.*foo")).StdOut;
        var noCreated = (await repo.ExpOkAsync("show", "--md", "--drop=Created")).StdOut;
        var noFixed = (await repo.ExpOkAsync("show", "--md", "--drop=Created|Experiment")).StdOut;
        var csv = (await repo.ExpOkAsync("show", "--csv", "--drop=typ|parent|rev")).StdOut;

        foreach (var filtered in new[] { "foo", "train/foo", "nested.foo" })
        {
            Assert.DoesNotContain($"params.yaml:{filtered}", dropped);
            Assert.DoesNotContain($"metrics.yaml:{filtered}", dropped);
            Assert.DoesNotContain($"params.yaml:{filtered}", paramsOnly);
            Assert.Contains($"metrics.yaml:{filtered}", paramsOnly);
        }

        foreach (var filtered in new[] { "foo", "nested.foo" })
        {
            Assert.DoesNotContain($"params.yaml:{filtered} ", kept);
            Assert.DoesNotContain($"metrics.yaml:{filtered} ", kept);
        }

        Assert.Contains("params.yaml:train/foo", kept);
        Assert.Contains("metrics.yaml:train/foo", kept);
        Assert.Contains("params.yaml:bar", dropped);
        Assert.DoesNotContain("Created", noCreated);
        Assert.Contains("Experiment", noCreated);
        Assert.DoesNotContain("Created", noFixed);
        Assert.DoesNotContain("Experiment", noFixed);
        Assert.StartsWith("| rev | State |", noFixed);
        Assert.StartsWith("Experiment,Created,State,metrics.yaml:foo,", Header(csv));
        Assert.StartsWith("workspace,,-,1,", csv.ReplaceLineEndings("\n").Split('\n')[1]);
    }

    [Fact]
    public async Task Keep_spares_columns_from_only_changed_and_alone_hides_nothing()
    {
        // DVC: test_show_only_changed.
        using var repo = await CopyProjectAsync("exp.yaml", "foo: 1\ngoobar: 1\n", "[foo, goobar]");
        await repo.ExpOkAsync("run", "-S", "foo=2");

        var all = (await repo.ExpOkAsync("show", "--md")).StdOut;
        var changed = (await repo.ExpOkAsync("show", "--md", "--only-changed")).StdOut;
        var kept = (await repo.ExpOkAsync("show", "--md", "--only-changed", "--keep=.*bar")).StdOut;
        var keepAlone = (await repo.ExpOkAsync("show", "--md", "--keep=.*bar")).StdOut;

        Assert.Contains("goobar", all);
        Assert.DoesNotContain("goobar", changed);
        Assert.Contains("params.yaml:goobar", kept);
        Assert.Contains("metrics.yaml:goobar", kept);
        Assert.Equal(all, keepAlone);
    }

    [Fact]
    public async Task Deps_columns_hold_each_revisions_locked_hash_sorted_by_path()
    {
        // DVC: test_show_csv (the dep's hash in every row) and test_show_sorted_deps.
        using var repo = await CopyProjectAsync("dvc.yaml", "foo: 1\n", "[foo]");
        foreach (var name in new[] { "a", "b", "z", "c" })
        {
            repo.WriteFile(name, name + "\n");
        }

        repo.WriteFile("dvc.yaml", repo.ReadFile("dvc.yaml") + "  deps:\n    cmd: echo foo\n    deps: [a, b, z, c]\n");
        await repo.ExpOkAsync("run");
        await repo.CommitAllAsync("run the stages");
        await repo.ExpOkAsync("run", "-n", "exp-2", "-S", "foo=2");
        await repo.ExpOkAsync("run", "-n", "exp-3", "-S", "foo=3");
        await repo.ExpOkAsync("run", "--queue", "-n", "queued", "-S", "foo=4");
        var copyHash = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("cp params.yaml metrics.yaml\n")));

        var csv = (await repo.ExpOkAsync("show", "--csv", "--hide-queued")).StdOut;
        var json = JsonNode.Parse((await repo.ExpOkAsync("show", "--json")).StdOut)!.AsArray();
        var table = (await repo.ExpOkAsync("show", "--width", "0")).StdOut;
        var dropped = (await repo.ExpOkAsync("show", "--csv", "--drop", "copy.sh|[abcz]$")).StdOut;

        Assert.EndsWith(",metrics.yaml:foo,params.yaml:foo,a,b,c,copy.sh,z", Header(csv));
        var rows = csv.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, row => Assert.Equal(copyHash, row.Split(',')[^2]));
        Assert.Contains(rows, row => row.StartsWith("exp-3,", StringComparison.Ordinal) && row.Contains(",3,3,"));
        // A queued entry's lock is the workspace's from when it was queued, not a result: no hash, as no metrics.
        Assert.All(
            json,
            row => Assert.Equal((string)row!["name"]! == "queued" ? null : copyHash, (string?)row["deps"]!["copy.sh"]!["hash"])
        );
        Assert.Contains(json, row => (string)row!["name"]! == "queued");
        Assert.Contains(copyHash[..7], table);
        Assert.DoesNotContain(copyHash, table);
        Assert.EndsWith(",metrics.yaml:foo,params.yaml:foo", Header(dropped));
    }

    [Fact]
    public async Task Param_deps_shows_only_the_params_stages_depend_on_and_whole_files_listed_whole()
    {
        // DVC: tests/func/params/test_show.py test_pipeline_params and test_deps_multi_stage (deps_only).
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", "foo: bar\nxyz: val\nabc: ignore\ntrain:\n  lr: 0.1\n  epochs: 3\n");
        repo.WriteFile("other.yaml", "one: 1\ntwo: 2\n");
        repo.WriteFile(
            "exp.yaml",
            "stages:\n  a:\n    cmd: echo a\n    params: [foo, train]\n  b:\n    cmd: echo b\n    params:\n      - xyz\n      - other.yaml:\n"
        );
        await repo.CommitAllAsync("add stages");

        var all = Header((await repo.ExpOkAsync("show", "--csv")).StdOut);
        var deps = Header((await repo.ExpOkAsync("show", "--csv", "--param-deps")).StdOut);
        var diff = (await repo.ExpOkAsync("diff", "--all", "--json")).StdOut;
        var diffDeps = (await repo.ExpOkAsync("diff", "--all", "--json", "--param-deps")).StdOut;
        var paramsDeps = (await repo.ExpOkAsync("params", "diff", "--all", "--json", "--deps")).StdOut;

        Assert.Contains("params.yaml:abc", all);
        Assert.EndsWith(
            ",State,params.yaml:foo,params.yaml:xyz,params.yaml:train.lr,params.yaml:train.epochs,other.yaml:one,other.yaml:two",
            deps
        );
        Assert.Contains("abc", diff);
        foreach (var output in new[] { diffDeps, paramsDeps })
        {
            Assert.DoesNotContain("abc", output);
            Assert.Contains("xyz", output);
            Assert.Contains("train.lr", output);
            Assert.Contains("two", output);
        }
    }

    [Fact]
    public async Task A_negative_num_shows_lists_and_removes_over_every_first_parent_commit()
    {
        // DVC: test_show_multiple_commits (num=-2 is accepted; num=100 and -A give every commit).
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var first = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "on-first");
        repo.WriteFile("file", "file\n");
        var second = await repo.CommitAllAsync("commit");
        repo.WriteFile("file", "more\n");
        var third = await repo.CommitAllAsync("commit again");

        var shown = JsonNode.Parse((await repo.ExpOkAsync("show", "--json", "-n", "-2")).StdOut)!.AsArray();
        var listed = (await repo.ExpOkAsync("list", "-n", "-1", "--rev", "HEAD", "--name-only")).StdOut;
        var zero = await repo.ExpAsync("show", "-n", "0");
        await repo.ExpOkAsync("remove", "--rev", "HEAD", "-n", "-1");

        Assert.Equal(["workspace", "main", second[..7], first[..7], "on-first"], shown.Select(r => (string)r!["name"]!));
        Assert.Equal(third[..7], (string)shown[1]!["rev"]!);
        Assert.Equal("on-first", listed.Trim());
        Assert.Equal(2, zero.ExitCode);
        Assert.Equal(
            ["error: --num 0: expected a number of commits (1 or more), or a negative number for every first-parent commit"],
            zero.ErrorLines
        );
        Assert.Empty(await repo.ExperimentRefsAsync());
    }
}
