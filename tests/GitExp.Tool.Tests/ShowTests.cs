using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class ShowTests
{
    /// <summary>The sample project with three experiments of different learning rates.</summary>
    private static async Task<TempGitRepo> ThreeExperimentsAsync()
    {
        var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        await repo.ExpOkAsync("run", "-n", "exp-c", "-S", "train.lr=0.3");
        return repo;
    }

    [Fact]
    public async Task Show_prints_baseline_and_experiments_as_a_table()
    {
        using var repo = await ThreeExperimentsAsync();

        var result = await repo.ExpOkAsync("show");

        Snapshot.Verify(result.StdOut);
    }

    [Fact]
    public async Task Runs_and_shows_under_a_small_heap_limit_as_in_a_container_with_little_memory()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        // 32 MiB of heap: less than the no-GC region the tool asks for when it has room (Program.cs).
        var small = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x2000000" };

        var run = await ExpTool.RunAsync(repo.Root, small, "run", "-n", "small-heap");
        var show = await ExpTool.RunAsync(repo.Root, small, "show", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("\"small-heap\"", show.StdOut);
    }

    [Fact]
    public async Task Show_json_csv_and_markdown_carry_the_same_rows()
    {
        using var repo = await ThreeExperimentsAsync();

        var json = await repo.ExpOkAsync("show", "--json");
        var csv = await repo.ExpOkAsync("show", "--csv");
        var md = await repo.ExpOkAsync("show", "--md");

        Snapshot.Verify($"--- json\n{json.StdOut}--- csv\n{csv.StdOut}--- md\n{md.StdOut}");
        var rows = JsonNode.Parse(json.StdOut)!.AsArray();
        Assert.Equal(["workspace", "main", "exp-a", "exp-b", "exp-c"], rows.Select(r => (string)r!["name"]!));
        Assert.Equal(0.8, (double)rows[2]!["metrics"]!["metrics.json"]!["acc"]!);
    }

    [Fact]
    public async Task Show_sorts_experiments_by_a_metric_descending()
    {
        using var repo = await ThreeExperimentsAsync();

        var result = await repo.ExpOkAsync("show", "--csv", "--sort-by", "acc", "--sort-order", "desc");

        var names = CsvNames(result.StdOut);
        Assert.Equal(["workspace", "main", "exp-b", "exp-a", "exp-c"], names);
    }

    [Fact]
    public async Task Show_only_changed_drop_and_keep_choose_the_columns()
    {
        using var repo = await ThreeExperimentsAsync();

        var onlyChanged = await repo.ExpOkAsync("show", "--csv", "--only-changed");
        var dropped = await repo.ExpOkAsync("show", "--csv", "--drop", "loss", "--drop", "seed");
        // DVC's --keep spares columns from --drop: with --drop '.*' it chooses what stays.
        var kept = await repo.ExpOkAsync("show", "--csv", "--drop", ".*", "--keep", "Experiment|acc");

        Assert.Equal(
            "Experiment,rev,typ,Created,parent,State,metrics.json:acc,metrics.json:loss,params.yaml:train.lr,train.sh",
            Header(onlyChanged.StdOut)
        );
        Assert.Equal(
            "Experiment,rev,typ,Created,parent,State,metrics.json:acc,params.yaml:train.lr,params.yaml:train.epochs,train.sh",
            Header(dropped.StdOut)
        );
        Assert.Equal("Experiment,metrics.json:acc", Header(kept.StdOut));
    }

    [Fact]
    public async Task Params_beyond_double_range_run_and_show_as_written()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "exp.yaml",
            "stages:\n  train:\n    cmd: cp m0.json m.json\n    params: [big, tiny]\n    metrics: [m.json]\n"
        );
        repo.WriteFile("params.yaml", "big: 1\ntiny: 1 # smallest step\n");
        repo.WriteFile("m0.json", "{\"acc\": 1e999}\n");
        await repo.CommitAllAsync("init");

        await repo.ExpOkAsync("run", "-n", "huge", "-S", "big=1e400", "-S", "tiny=+.5e-400");
        Assert.Equal("big: 1e400\ntiny: +.5e-400 # smallest step\n", repo.ReadFile("params.yaml"));
        Assert.Contains("didn't change", (await repo.ExpOkAsync("run")).StdOut);
        await repo.ExpOkAsync("status");

        var table = await repo.ExpOkAsync("show");
        var json = await repo.ExpOkAsync("show", "--json");
        var diff = await repo.ExpOkAsync("diff", "HEAD", "huge", "--json");
        var runs = await repo.ExpOkAsync("runs", "list", "--json");

        Assert.Contains("1e400", table.StdOut);
        Assert.Contains("0.5e-400", table.StdOut);
        Assert.Contains("1e999", table.StdOut);
        var huge = JsonNode.Parse(json.StdOut)!.AsArray().Single(r => (string?)r!["name"] == "huge")!;
        Assert.Equal("1e400", huge["params"]!["params.yaml"]!["big"]!.ToJsonString());
        Assert.Equal("0.5e-400", huge["params"]!["params.yaml"]!["tiny"]!.ToJsonString());
        Assert.Equal("1e999", huge["metrics"]!["m.json"]!["acc"]!.ToJsonString());
        Assert.Contains("1e400", JsonNode.Parse(diff.StdOut)!.ToJsonString());
        Assert.Contains("1e400", JsonNode.Parse(runs.StdOut)!.ToJsonString());
    }

    private static string Header(string csv) => csv.ReplaceLineEndings("\n").Split('\n')[0];

    private static List<string> CsvNames(string csv) =>
        csv.ReplaceLineEndings("\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(l => l.Split(',')[0])
            .ToList();

    [Fact]
    public async Task A_malformed_pipeline_file_does_not_stop_show_or_diff_from_listing_what_git_holds()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.3");
        repo.WriteFile("exp.yaml", "stages: [oops\n");

        var show = await repo.ExpOkAsync("show", "--csv");
        var diff = await repo.ExpOkAsync("diff", "exp-a", "exp-b", "--json");

        var warning = Assert.Single(show.ErrorLines);
        Assert.StartsWith("warning: exp.yaml:2:", warning);
        Assert.Contains(show.StdOut.Split('\n'), l => l.StartsWith("exp-a,", StringComparison.Ordinal) && l.Contains(",0.2"));
        Assert.Contains(show.StdOut.Split('\n'), l => l.StartsWith("exp-b,", StringComparison.Ordinal) && l.Contains(",0.3"));
        Assert.Contains("train.lr", diff.StdOut);
        Assert.StartsWith("warning: exp.yaml:2:", Assert.Single(diff.ErrorLines));
        Assert.NotEqual(0, (await repo.ExpAsync("run")).ExitCode);
    }

    // DVC tests/func/experiments/test_show.py: test_show_all_branches (-a), the tags and sha options, --hide-workspace
    [Fact]
    public async Task Show_takes_branches_tags_and_shas_and_can_hide_the_workspace()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var main = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "on-main", "-S", "train.lr=0.123456");
        await repo.GitAsync("checkout", "-q", "-b", "other");
        repo.WriteFile("notes.txt", "other\n");
        var other = await repo.CommitAllAsync("other");
        await repo.ExpOkAsync("run", "-n", "on-other", "-S", "train.lr=0.3");
        await repo.GitAsync("tag", "-a", "v1", "-m", "tagged");
        repo.WriteFile("notes.txt", "later\n");
        await repo.GitAsync("add", "notes.txt");
        await repo.GitAsync("commit", "-q", "-m", "later");
        await repo.GitAsync("checkout", "-q", "-f", "main");

        static List<string> Names(ToolResult r) =>
            r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]).ToList();

        var plain = await repo.ExpOkAsync("show", "--csv", "--hide-workspace");
        var branches = await repo.ExpOkAsync("show", "--csv", "-a");
        var tags = await repo.ExpOkAsync("show", "--csv", "-T", "--hide-workspace");
        var shas = await repo.ExpOkAsync("show", "--csv", "--sha", "--hide-workspace");
        var rounded = await repo.ExpOkAsync("show", "--csv", "--precision", "2", "--hide-workspace");

        Assert.Equal(["main", "on-main"], Names(plain));
        Assert.Equal(["workspace", "main", "on-main", "other"], Names(branches));
        Assert.Equal(["main", "on-main", "v1", "on-other"], Names(tags));
        Assert.Equal([main[..7], "on-main"], Names(shas));
        Assert.Contains(",0.12,", rounded.StdOut);
        Assert.Contains(",0.123456,", plain.StdOut);
        Assert.DoesNotContain(other[..7], branches.StdOut);
    }
}
