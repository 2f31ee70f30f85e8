using System.Diagnostics;
using System.Text.Json.Nodes;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Stage executions recorded with each run: what ran, what was up to date, what failed.</summary>
public sealed class ExecutionsTests
{
    /// <summary>prepare (param prep.rows) feeds train (params train.lr and train.fail; exits with fail when non-zero).</summary>
    private static async Task<TempGitRepo> TwoStageProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", "prep:\n  rows: 3\ntrain:\n  lr: 0.1\n  fail: 0\n");
        repo.WriteFile(
            "prepare.sh",
            """
            #!/bin/sh
            set -e
            mkdir -p data
            rows=$(awk '/^[[:space:]]+rows:/ { print $2 }' params.yaml)
            seq 1 "$rows" > data/rows.txt

            """
        );
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            fail=$(awk '/^[[:space:]]+fail:/ { print $2 }' params.yaml)
            if [ "$fail" != 0 ]; then exit "$fail"; fi
            printf '{"acc": %s}\n' "$lr" > metrics.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              prepare:
                cmd: sh prepare.sh
                deps: [prepare.sh]
                params: [prep.rows]
                outs: [data/rows.txt]
              train:
                cmd: sh train.sh
                deps: [train.sh, data/rows.txt]
                params: [train.lr, train.fail]
                metrics:
                  - metrics.json: {cache: false}

            """
        );
        await repo.CommitAllAsync("Two stages");
        return repo;
    }

    /// <summary>
    /// prepare (param prep.rows) feeds train (param train.seed), which touches <c>&lt;gates&gt;/&lt;EXP_NAME&gt;.waiting</c> and then waits
    /// (a minute at most) for <c>&lt;gates&gt;/&lt;EXP_NAME&gt;.go</c>, which the test creates.
    /// </summary>
    private static async Task<(TempGitRepo Repo, string Gates)> GatedProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        // Inside .git: out of the workspace's view, and at one absolute path that isolated workspaces see too.
        var gates = repo.FullPath(Path.Combine(".git", "gates"));
        Directory.CreateDirectory(gates);
        repo.WriteFile("params.yaml", "prep:\n  rows: 3\ntrain:\n  seed: 1\n");
        repo.WriteFile(
            "prepare.sh",
            "#!/bin/sh\nset -e\nmkdir -p data\nseq 1 \"$(awk '/rows:/ { print $2 }' params.yaml)\" > data/rows.txt\n"
        );
        repo.WriteFile(
            "train.sh",
            $$"""
            #!/bin/sh
            set -e
            gates='{{gates}}'
            touch "$gates/$EXP_NAME.waiting"
            waited=0
            while [ ! -f "$gates/$EXP_NAME.go" ]; do
              sleep 0.1
              waited=$((waited + 1))
              if [ "$waited" -ge 600 ]; then echo "never released"; exit 9; fi
            done
            wc -l < data/rows.txt > model.txt

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              prepare:
                cmd: sh prepare.sh
                deps: [prepare.sh]
                params: [prep.rows]
                outs: [data/rows.txt]
              train:
                cmd: sh train.sh
                deps: [train.sh, data/rows.txt]
                params: [train.seed]
                outs: [model.txt]

            """
        );
        await repo.CommitAllAsync("Two stages, the second held by the test");
        return (repo, gates);
    }

    private static async Task WaitForFileAsync(string path)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{Path.GetFileName(path)} did not appear within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>The run of that experiment name as the real store holds it now, read as the UI reads it.</summary>
    private static RunRecord StoredRun(TempGitRepo repo, string name)
    {
        using var store = RunStore.Open(repo.FullPath(Path.Combine(".exp", "runs.db")));
        return Assert.Single(store.List(), r => r.ExperimentName == name);
    }

    private static List<(string Stage, string Status)> Stages(RunRecord run) =>
        run.Executions.Select(e => (e.Stage, e.Status)).ToList();

    private static async Task<JsonNode> ShowAsync(TempGitRepo repo, string name) =>
        JsonNode.Parse((await repo.ExpOkAsync("runs", "show", name, "--json")).StdOut)!;

    private static List<(string Stage, string Status, bool CacheHit, int? ExitCode)> Executions(JsonNode run) =>
        run["executions"]!
            .AsArray()
            .Select(e => ((string)e!["stage"]!, (string)e["status"]!, (bool)e["cache_hit"]!, (int?)e["exit_code"]))
            .ToList();

    [Fact]
    public async Task A_param_change_for_the_second_stage_runs_only_it_and_a_failing_stage_is_recorded_with_its_exit_code()
    {
        using var repo = await TwoStageProjectAsync();

        await repo.ExpOkAsync("run", "-n", "first");
        await repo.ExpOkAsync("run", "-n", "second", "-S", "train.lr=0.2");
        var failed = await repo.ExpAsync("run", "-n", "broken", "-S", "train.fail=4");

        Assert.Equal(4, failed.ExitCode);
        var first = await ShowAsync(repo, "first");
        Assert.Equal([("prepare", "ran", false, null), ("train", "ran", false, null)], Executions(first));
        var second = await ShowAsync(repo, "second");
        Assert.Equal([("prepare", "up-to-date", true, null), ("train", "ran", false, null)], Executions(second));
        foreach (var execution in second["executions"]!.AsArray())
        {
            Assert.True(
                DateTimeOffset.Parse((string)execution!["finished"]!) >= DateTimeOffset.Parse((string)execution["started"]!)
            );
            Assert.True((long)execution["duration_ms"]! >= 0);
        }

        var broken = await ShowAsync(repo, "broken");
        Assert.Equal([("prepare", "up-to-date", true, null), ("train", "failed", false, 4)], Executions(broken));

        var text = (await repo.ExpOkAsync("runs", "show", "second")).StdOut;
        Assert.Contains("Executions:", text);
        Assert.Matches(@"prepare up-to-date \d+\.\d s \(cache hit\)", text);
        Assert.Contains("(exit code 4)", (await repo.ExpOkAsync("runs", "show", "broken")).StdOut);
    }

    [Fact]
    public async Task A_run_that_failed_in_its_first_stage_shows_none_of_the_previous_runs_metrics_or_outs()
    {
        using var repo = await TwoStageProjectAsync();
        await repo.ExpOkAsync("run", "-n", "first");

        var failed = await repo.ExpAsync("run", "-n", "broken", "-S", "prep.rows=many");

        Assert.NotEqual(0, failed.ExitCode);
        // train never started: its metrics file and lock entry are still the first run's, and not the failed run's.
        Assert.True(File.Exists(repo.FullPath("metrics.json")));
        var runs = JsonNode.Parse((await repo.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        var broken = runs.Single(r => (string)r!["name"]! == "broken")!;
        Assert.Equal("failed", (string)broken["status"]!);
        Assert.Equal([("prepare", "failed")], Executions(broken).Select(e => (e.Stage, e.Status)));
        Assert.Empty(broken["metrics"]!.AsObject());
        Assert.Empty(broken["artifacts"]!.AsArray());
        Assert.DoesNotContain("Metrics", (await repo.ExpOkAsync("runs", "show", "broken")).StdOut);
        var first = runs.Single(r => (string)r!["name"]! == "first")!;
        Assert.Equal(0.1, (double)first["metrics"]!["metrics.json:acc"]!["last"]!);
        Assert.Equal(["data/rows.txt", "metrics.json"], first["artifacts"]!.AsArray().Select(a => (string)a!["path"]!));
    }

    [Fact]
    public async Task A_queued_run_records_its_executions()
    {
        using var repo = await TwoStageProjectAsync();

        await repo.ExpOkAsync("run", "--queue", "-n", "queued", "-S", "prep.rows=5");
        await repo.ExpOkAsync("run", "--run-all");

        var queued = await ShowAsync(repo, "queued");
        Assert.Equal("queue", (string)queued["kind"]!);
        Assert.Equal(["prepare", "train"], Executions(queued).Select(e => e.Stage));
        Assert.All(Executions(queued), e => Assert.Contains(e.Status, new[] { "ran", "restored" }));
    }

    [Fact]
    public async Task A_running_run_has_its_finished_stages_in_the_store_and_the_stage_it_is_at_as_running()
    {
        var (repo, gates) = await GatedProjectAsync();
        using var _ = repo;
        using var run = ExpTool.Start(repo.Root, "run", "-n", "live");
        await WaitForFileAsync(Path.Combine(gates, "live.waiting"));

        var running = StoredRun(repo, "live");
        Assert.Equal(RunStatus.Running, running.Status);
        Assert.Equal([("prepare", "ran"), ("train", "running")], Stages(running));
        var shown = await repo.ExpOkAsync("runs", "show", "live");
        Assert.Matches(@"prepare ran \d+\.\d s", shown.StdOut);
        Assert.Contains("train running (since ", shown.StdOut);
        var json = (await ShowAsync(repo, "live"))["executions"]!.AsArray();
        Assert.Null(json[1]!["finished"]);
        Assert.Null(json[1]!["duration_ms"]);

        File.WriteAllText(Path.Combine(gates, "live.go"), "");
        var ended = await run.WaitAsync();

        Assert.True(ended.ExitCode == 0, ended.ToString());
        var finished = StoredRun(repo, "live");
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal([("prepare", "ran"), ("train", "ran")], Stages(finished));
        Assert.Equal(Stages(finished), Executions(await ShowAsync(repo, "live")).Select(e => (e.Stage, e.Status)));

        // A stage that runs nothing is saved with the next one that starts.
        using var again = ExpTool.Start(repo.Root, "run", "-n", "again", "-S", "train.seed=2");
        await WaitForFileAsync(Path.Combine(gates, "again.waiting"));
        Assert.Equal([("prepare", "up-to-date"), ("train", "running")], Stages(StoredRun(repo, "again")));
        File.WriteAllText(Path.Combine(gates, "again.go"), "");
        Assert.Equal(0, (await again.WaitAsync()).ExitCode);
        Assert.Equal([("prepare", "up-to-date"), ("train", "ran")], Stages(StoredRun(repo, "again")));
    }

    [Fact]
    public async Task A_run_killed_with_sigkill_is_interrupted_for_the_next_command_with_its_running_stage_interrupted()
    {
        var (repo, gates) = await GatedProjectAsync();
        using var _ = repo;
        using (var run = ExpTool.Start(repo.Root, "run", "-n", "killed"))
        {
            await WaitForFileAsync(Path.Combine(gates, "killed.waiting"));
            Assert.Equal(RunStatus.Running, StoredRun(repo, "killed").Status);
            // As the OOM killer would: no cleanup code of the tool runs.
            run.Kill();
            await run.WaitAsync();
        }

        // The orphaned stage goes on (and the next run would stop it); release it so it ends.
        File.WriteAllText(Path.Combine(gates, "killed.go"), "");
        var listed = Assert.Single(JsonNode.Parse((await repo.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray())!;

        Assert.Equal("interrupted", (string)listed["status"]!);
        Assert.Equal([("prepare", "ran", false, null), ("train", "interrupted", false, null)], Executions(listed));
        Assert.Contains("Status:     Interrupted", (await repo.ExpOkAsync("runs", "show", "killed")).StdOut);
    }

    [Fact]
    public async Task Parallel_queue_workers_each_save_their_runs_stages_as_they_finish()
    {
        var (repo, gates) = await GatedProjectAsync();
        using var _ = repo;
        // Different rows, so neither prepare is restored from the run-cache the other fills.
        await repo.ExpOkAsync("run", "--queue", "-n", "q3", "-S", "prep.rows=3");
        await repo.ExpOkAsync("run", "--queue", "-n", "q5", "-S", "prep.rows=5");
        var ids = JsonNode.Parse((await repo.ExpOkAsync("queue", "status", "--json")).StdOut)!["entries"]!
            .AsArray()
            .Select(e => (string)e!["id"]!)
            .ToList();
        Assert.Equal(2, ids.Count);
        // Two worker processes writing the one store at once, as 'queue start -j 2' has them.
        using var first = ExpTool.Start(repo.Root, "queue", "worker", "--only", ids[0]);
        using var second = ExpTool.Start(repo.Root, "queue", "worker", "--only", ids[1]);
        await WaitForFileAsync(Path.Combine(gates, "q3.waiting"));
        await WaitForFileAsync(Path.Combine(gates, "q5.waiting"));

        foreach (var name in new[] { "q3", "q5" })
        {
            var running = StoredRun(repo, name);
            Assert.Equal(RunStatus.Running, running.Status);
            Assert.Equal([("prepare", "ran"), ("train", "running")], Stages(running));
        }

        File.WriteAllText(Path.Combine(gates, "q3.go"), "");
        File.WriteAllText(Path.Combine(gates, "q5.go"), "");
        foreach (var worker in new[] { first, second })
        {
            var ended = await worker.WaitAsync();
            Assert.True(ended.ExitCode == 0, ended.ToString());
        }

        foreach (var name in new[] { "q3", "q5" })
        {
            var finished = StoredRun(repo, name);
            Assert.Equal(RunStatus.Succeeded, finished.Status);
            Assert.Equal([("prepare", "ran"), ("train", "ran")], Stages(finished));
        }
    }
}
