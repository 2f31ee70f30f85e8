using System.Text.Json.Nodes;
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
}
