using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary><c>dotnet exp runs ...</c> end to end: what runs record, and listing, annotating and managing them.</summary>
public sealed class RunsTests
{
    /// <summary>
    /// The sample project, with a <c>fail</c> param (the stage exits with it when non-zero) and a plot
    /// <c>plots/acc.tsv</c> holding the step history of acc.
    /// </summary>
    private static async Task<TempGitRepo> ProjectAsync()
    {
        var repo = await TempGitRepo.WithSampleProjectAsync();
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\nfail: 0\n");
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            fail=$(awk '/^fail:/ { print $2 }' params.yaml)
            if [ "$fail" != 0 ]; then echo "failing with $fail"; exit "$fail"; fi
            acc=$(awk -v lr="$lr" 'BEGIN { printf "%.4f", 1 - lr }')
            printf '{"acc": %s, "loss": %s}\n' "$acc" "$lr" > metrics.json
            mkdir -p plots
            printf 'step\tacc\n1\t0.25\n2\t0.5\n3\t%s\n' "$acc" > plots/acc.tsv

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps:
                  - train.sh
                params:
                  - train.lr
                  - fail
                metrics:
                  - metrics.json:
                      cache: false
                plots:
                  - plots/acc.tsv:
                      cache: false

            """
        );
        await repo.CommitAllAsync("Train with a plot");
        return repo;
    }

    private static async Task<JsonArray> ListAsync(TempGitRepo repo, params string[] args) =>
        JsonNode.Parse((await repo.ExpOkAsync(["runs", "list", "--json", .. args])).StdOut)!.AsArray();

    private static async Task<string[]> NamesAsync(TempGitRepo repo, params string[] args) =>
        (await ListAsync(repo, args)).Select(r => (string)r!["name"]!).ToArray();

    private static async Task<string> IdOfAsync(TempGitRepo repo, string name) =>
        (string)
            (await ListAsync(repo, "--archived")).Concat(await ListAsync(repo)).Single(r => (string)r!["name"]! == name)!["id"]!;

    [Fact]
    public async Task Workspace_failed_and_queued_runs_are_recorded_with_their_experiment_params_and_metrics()
    {
        using var repo = await ProjectAsync();
        var head = await repo.HeadAsync();

        await repo.ExpOkAsync("run", "-n", "first");
        var failed = await repo.ExpAsync("run", "-n", "broken", "-S", "fail=3");
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\nfail: 0\n");
        await repo.ExpOkAsync("run", "--queue", "-n", "later", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "--run-all");

        var runs = await ListAsync(repo);
        Assert.Equal(3, failed.ExitCode);
        Assert.Equal(["later", "broken", "first"], runs.Select(r => (string)r!["name"]!));

        var first = runs.Single(r => (string)r!["name"]! == "first")!;
        var expRef = TempGitRepo.ExperimentRef(head, "first");
        Assert.Equal("succeeded", (string)first["status"]!);
        Assert.Equal("workspace", (string)first["kind"]!);
        Assert.Equal(expRef, (string)first["ref"]!);
        Assert.Equal(await repo.GitAsync("rev-parse", expRef), (string)first["commit"]!);
        Assert.Equal(head, (string)first["baseline"]!);
        Assert.Equal("main", (string)first["branch"]!);
        Assert.Equal("GitExp Tests", (string)first["user"]!);
        Assert.Equal("dotnet exp run -n first", (string)first["command"]!);
        Assert.Equal(0, (int)first["exit_code"]!);
        Assert.Equal(0.1, (double)first["params"]!["params.yaml:train.lr"]!);
        Assert.Equal(0, (int)first["params"]!["params.yaml:fail"]!);
        Assert.Equal(0.9, (double)first["metrics"]!["metrics.json:acc"]!["last"]!);
        Assert.Equal(0.25, (double)first["metrics"]!["metrics.json:acc"]!["min"]!);
        Assert.Equal(0.9, (double)first["metrics"]!["metrics.json:acc"]!["max"]!);
        Assert.Equal(0.1, (double)first["metrics"]!["metrics.json:loss"]!["last"]!);
        Assert.True(DateTimeOffset.Parse((string)first["finished"]!) >= DateTimeOffset.Parse((string)first["started"]!));

        var broken = runs.Single(r => (string)r!["name"]! == "broken")!;
        Assert.Equal("failed", (string)broken["status"]!);
        Assert.Equal(3, (int)broken["exit_code"]!);
        Assert.Null(broken["commit"]);
        Assert.Equal(3, (int)broken["params"]!["params.yaml:fail"]!);

        var later = runs.Single(r => (string)r!["name"]! == "later")!;
        Assert.Equal("queue", (string)later["kind"]!);
        Assert.Equal("dotnet exp run --queue -n later -S train.lr=0.2", (string)later["command"]!);
        Assert.Equal("succeeded", (string)later["status"]!);
        Assert.Equal(await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "later")), (string)later["commit"]!);
        Assert.Equal(0.2, (double)later["params"]!["params.yaml:train.lr"]!);
        Assert.Equal(0.8, (double)later["metrics"]!["metrics.json:acc"]!["last"]!);

        // The metric history comes from the plot's step column.
        var shown = JsonNode.Parse((await repo.ExpOkAsync("runs", "show", (string)first["id"]!, "--json")).StdOut)!;
        Assert.Equal("first", (string)shown["name"]!);
        Assert.Equal("[[1,0.25],[2,0.5],[3,0.9]]", shown["history"]!["metrics.json:acc"]!.ToJsonString());
    }

    [Fact]
    public async Task A_queued_run_is_dirty_when_its_snapshot_differs_from_its_baseline_not_when_the_workspace_does_later()
    {
        using var repo = await ProjectAsync();
        await repo.ExpOkAsync("run", "--queue", "-n", "as-committed");
        await repo.ExpOkAsync("run", "--queue", "-n", "with-set", "-S", "train.lr=0.3");
        // Edited after queueing: neither snapshot holds this, so it must not mark either run.
        repo.WriteFile("train.sh", repo.ReadFile("train.sh") + "# edited after queueing\n");

        await repo.ExpOkAsync("run", "--run-all");

        var runs = await ListAsync(repo);
        Assert.False((bool)runs.Single(r => (string)r!["name"]! == "as-committed")!["dirty"]!);
        Assert.True((bool)runs.Single(r => (string)r!["name"]! == "with-set")!["dirty"]!);
        await repo.ExpOkAsync("run", "-n", "edited-workspace");
        Assert.True((bool)(await ListAsync(repo)).Single(r => (string)r!["name"]! == "edited-workspace")!["dirty"]!);
    }

    [Fact]
    public async Task Show_json_has_the_history_of_nested_keys_and_of_each_file_that_has_the_same_key()
    {
        using var repo = await TempGitRepo.InitAsync();
        await NestedMetricsProject.WriteAsync(repo);

        await repo.ExpOkAsync("run", "-n", "nested", "-S", "lr=0.2");

        var shown = JsonNode.Parse((await repo.ExpOkAsync("runs", "show", "nested", "--json")).StdOut)!;
        var history = shown["history"]!.AsObject();
        Assert.Equal(NestedMetricsProject.Offsets.Keys, history.Select(h => h.Key).Order(StringComparer.Ordinal));
        foreach (var (key, points) in history)
        {
            Assert.Equal(NestedMetricsProject.History(0.2, key), points!.ToJsonString());
        }

        // The summary's min and max come from the same history: the nested key's first and last steps.
        var nested = shown["metrics"]!["live/metrics.json:test.acc"]!;
        Assert.Equal((5.2, 5.6), ((double)nested["min"]!, (double)nested["max"]!));
        Assert.Equal(3.0, (double)shown["metrics"]!["live/metrics.json:step"]!["min"]!); // no history: its value
    }

    [Fact]
    public async Task List_filters_and_sorts_and_a_malformed_filter_is_a_one_line_error_naming_the_token()
    {
        using var repo = await ProjectAsync();
        await repo.ExpOkAsync("run", "-n", "low", "-S", "train.lr=0.3");
        await repo.ExpOkAsync("run", "-n", "high", "-S", "train.lr=0.05");
        await repo.ExpOkAsync("run", "-n", "mid", "-S", "train.lr=0.2");

        Assert.Equal(["high"], await NamesAsync(repo, "--filter", "metrics.acc > 0.9"));
        Assert.Equal(["mid", "low"], await NamesAsync(repo, "--filter", "params.train.lr >= 0.2 and status = SUCCEEDED"));
        Assert.Equal(["low", "mid", "high"], await NamesAsync(repo, "--sort", "metrics.acc", "--sort-order", "asc"));
        Assert.Equal(["high", "mid", "low"], await NamesAsync(repo, "--sort", "metrics.acc"));
        Assert.Equal(["mid", "high", "low"], await NamesAsync(repo));

        var result = await repo.ExpAsync("runs", "list", "--filter", "metrics.acc > 0.9 and colour = red");
        Assert.Equal(2, result.ExitCode);
        QueueTests.AssertOneLineError(result, "colour", "position 23", "--filter");
        Assert.Equal("", result.StdOut);

        // A name or a value that matches nothing says so, rather than listing no runs.
        var typo = await repo.ExpAsync("runs", "list", "--filter", "metrics.nonexistent > 1");
        Assert.Equal(2, typo.ExitCode);
        Assert.EndsWith(
            "--filter 'metrics.nonexistent > 1': no run has a metric 'nonexistent'",
            QueueTests.AssertOneLineError(typo, "nonexistent"),
            StringComparison.Ordinal
        );
        var status = await repo.ExpAsync("runs", "list", "--filter", "status = succeded");
        Assert.Equal(2, status.ExitCode);
        QueueTests.AssertOneLineError(status, "'succeded'", "expected queued, running, succeeded, failed or interrupted");
        Assert.Equal("", status.StdOut);
    }

    [Fact]
    public async Task Annotate_bookmark_archive_restore_delete_and_purge_change_what_list_shows()
    {
        using var repo = await ProjectAsync();
        await repo.ExpOkAsync("run", "-n", "one", "-S", "train.lr=0.3");
        await repo.ExpOkAsync("run", "-n", "two", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "three", "-S", "train.lr=0.05");
        var one = await IdOfAsync(repo, "one");
        var two = await IdOfAsync(repo, "two");
        var three = await IdOfAsync(repo, "three");
        var nothing = await repo.ExpAsync("runs", "annotate", two);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("nothing to change", Assert.Single(nothing.ErrorLines));

        await repo.ExpOkAsync(
            "runs",
            "annotate",
            two,
            "--title",
            "<script>alert(1)</script>",
            "--note",
            "looks <b>good</b> & fast",
            "--tag",
            "keep",
            "--tag",
            "paper",
            "--group",
            "lr-sweep"
        );
        var annotated = JsonNode.Parse((await repo.ExpOkAsync("runs", "show", two, "--json")).StdOut)!;
        Assert.Equal("<script>alert(1)</script>", (string)annotated["title"]!);
        Assert.Equal("looks <b>good</b> & fast", (string)annotated["notes"]!);
        Assert.Equal("""["keep","paper"]""", annotated["tags"]!.ToJsonString());
        Assert.Equal("lr-sweep", (string)annotated["group"]!);
        Assert.Contains("<script>alert(1)</script>", (await repo.ExpOkAsync("runs", "list")).StdOut);
        var text = (await repo.ExpOkAsync("runs", "show", two)).StdOut;
        Assert.Contains("<script>alert(1)</script>", text);
        Assert.Contains("looks <b>good</b> & fast", text);
        Assert.Contains("\"<script>alert(1)</script>\"", (await repo.ExpOkAsync("runs", "list", "--json")).StdOut);
        Assert.Equal(["two"], await NamesAsync(repo, "--filter", "tag = keep and group = lr-sweep"));
        Assert.Equal(["two"], await NamesAsync(repo, "--group", "lr-sweep"));
        await repo.ExpOkAsync("runs", "annotate", two, "--group", " lr-final ");
        Assert.Equal(["two"], await NamesAsync(repo, "--group", "lr-final"));
        Assert.Empty(await NamesAsync(repo, "--group", "lr-sweep"));
        await repo.ExpOkAsync("runs", "annotate", two, "--group", "");
        var ungrouped = JsonNode.Parse((await repo.ExpOkAsync("runs", "show", two, "--json")).StdOut)!;
        Assert.Null(ungrouped["group"]);
        Assert.Equal("<script>alert(1)</script>", (string)ungrouped["title"]!);
        await repo.ExpOkAsync("runs", "annotate", two, "--group", "lr-sweep");

        // Bookmarked runs list first, whatever the sort.
        await repo.ExpOkAsync("runs", "bookmark", one);
        Assert.Equal(["one", "three", "two"], await NamesAsync(repo));
        Assert.Equal(["one", "three", "two"], await NamesAsync(repo, "--sort", "metrics.acc"));
        await repo.ExpOkAsync("runs", "bookmark", one, "--off");
        Assert.Equal(["three", "two", "one"], await NamesAsync(repo));

        await repo.ExpOkAsync("runs", "archive", one);
        Assert.Equal(["three", "two"], await NamesAsync(repo));
        Assert.Equal(["one"], await NamesAsync(repo, "--archived"));
        await repo.ExpOkAsync("runs", "restore", one);
        Assert.Equal(["three", "two", "one"], await NamesAsync(repo));
        Assert.Empty(await NamesAsync(repo, "--archived"));

        await repo.ExpOkAsync("runs", "delete", three);
        Assert.Equal(["two", "one"], await NamesAsync(repo));
        Assert.Empty(await NamesAsync(repo, "--archived"));
        await repo.ExpOkAsync("runs", "restore", three);
        Assert.Equal(["three", "two", "one"], await NamesAsync(repo));

        await repo.ExpOkAsync("runs", "delete", three, one);
        Assert.Contains("Purged 2 run(s).", (await repo.ExpOkAsync("runs", "purge")).StdOut);
        Assert.Equal(["two"], await NamesAsync(repo));
        // The experiments themselves stay in Git.
        Assert.Equal(3, (await repo.ExperimentRefsAsync()).Count);
        var gone = await repo.ExpAsync("runs", "restore", one);
        Assert.Equal(5, gone.ExitCode);
        QueueTests.AssertOneLineError(gone, one);

        // Unknown ids: a one-line error, and nothing changes (not even the known id given with them).
        var before = (await repo.ExpOkAsync("runs", "list", "--json")).StdOut;
        foreach (
            var args in new[]
            {
                new[] { "runs", "show", "nope" },
                ["runs", "annotate", "nope", "--title", "x"],
                ["runs", "bookmark", "nope"],
                ["runs", "archive", two, "nope"],
                ["runs", "delete", two, "nope"],
                ["runs", "clone", "nope", "--queue"],
            }
        )
        {
            var result = await repo.ExpAsync(args);
            Assert.True(result.ExitCode == 5, $"{string.Join(' ', args)}:\n{result}");
            QueueTests.AssertOneLineError(result, "nope");
        }

        Assert.Equal(before, (await repo.ExpOkAsync("runs", "list", "--json")).StdOut);
    }

    [Fact]
    public async Task Clone_queues_the_runs_params_with_the_change()
    {
        using var repo = await ProjectAsync();
        await repo.ExpOkAsync("run", "-n", "source", "-S", "train.lr=0.3", "-S", "fail=0");
        // The workspace moves on; the clone takes the run's params, not the workspace's.
        repo.WriteFile("params.yaml", "train:\n  lr: 0.9\nfail: 7\n");
        var id = await IdOfAsync(repo, "source");

        var result = await repo.ExpOkAsync("runs", "clone", id, "-S", "fail=0", "-S", "train.lr=0.05", "--queue", "-n", "copy");

        Assert.Contains($"Queued clone of run {id} as 'copy'", result.StdOut);
        var queued = JsonNode
            .Parse((await repo.ExpOkAsync("show", "--json")).StdOut)!
            .AsArray()
            .Single(r => (string)r!["name"]! == "copy")!;
        Assert.Equal("Queued", (string)queued["state"]!);
        Assert.Equal(0.05, (double)queued["params"]!["params.yaml"]!["train.lr"]!);
        Assert.Equal(0, (int)queued["params"]!["params.yaml"]!["fail"]!);
    }

    [Fact]
    public async Task Reindex_brings_back_one_run_per_experiment_ref_after_the_store_is_lost()
    {
        using var repo = await ProjectAsync();
        await repo.ExpOkAsync("run", "-n", "alpha", "-S", "train.lr=0.3");
        await repo.ExpOkAsync("run", "-n", "beta", "-S", "train.lr=0.2");
        foreach (var file in Directory.GetFiles(repo.FullPath(".exp"), "runs.db*"))
        {
            File.Delete(file);
        }

        Assert.Empty(await ListAsync(repo));

        Assert.Contains("Added 2 run(s)", (await repo.ExpOkAsync("runs", "reindex")).StdOut);

        var runs = (await ListAsync(repo)).OrderBy(r => (string)r!["name"]!, StringComparer.Ordinal).ToList();
        var head = await repo.HeadAsync();
        Assert.Equal(["alpha", "beta"], runs.Select(r => (string)r!["name"]!));
        foreach (var run in runs)
        {
            var expRef = TempGitRepo.ExperimentRef(head, (string)run!["name"]!);
            Assert.Equal(expRef, (string)run["ref"]!);
            Assert.Equal(await repo.GitAsync("rev-parse", expRef), (string)run["commit"]!);
            Assert.Equal(head, (string)run["baseline"]!);
            Assert.Equal("git", (string)run["kind"]!);
            Assert.Equal("succeeded", (string)run["status"]!);
        }

        Assert.Equal(0.3, (double)runs[0]!["params"]!["params.yaml:train.lr"]!);
        Assert.Equal(0.8, (double)runs[1]!["metrics"]!["metrics.json:acc"]!["last"]!);
        Assert.Contains("Added 0 run(s)", (await repo.ExpOkAsync("runs", "reindex")).StdOut);
        Assert.Equal(2, (await ListAsync(repo)).Count);
    }
}
