using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using static GitExp.Tool.Tests.Infrastructure.CheckpointChain;

namespace GitExp.Tool.Tests;

/// <summary>
/// Checkpoints end to end: a C# training program on GitExp.Client (and the bash and Python protocol
/// snippets) run by the real tool, killed, resumed, branched from, queued, failed.
/// </summary>
public sealed class CheckpointTests(TrainProgram train) : IClassFixture<TrainProgram>
{
    private const string LossHeader = "step\tloss";

    [Fact]
    public async Task Killed_stage_leaves_an_interrupted_experiment_and_the_next_run_resumes_from_its_last_checkpoint()
    {
        // Slow steps: the kill lands in step 4 or 5 even when a loaded machine delays it by a second
        // (with 150 ms steps, CI once saw the run finish all 6 before the kill).
        await using var project = await train.CreateProjectAsync(sleepMs: 600);
        var baseline = await project.Repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(baseline, "ck");

        using (var first = ExpTool.Start(project.Root, "run", "-n", "ck"))
        {
            await WaitForCheckpointAsync(project.Repo, reference, 3);
            // Mid-step 4: its line is in the model already, its checkpoint not taken yet.
            await QueueProject.WaitUntilAsync(() => project.SideLines("steps.log").Contains("done ck 3"), "step 3 is done");
            await Task.Delay(50);
            QueueProject.Kill(Assert.Single(project.StagePids()));
            var killed = await first.WaitAsync();
            Assert.True(killed.ExitCode != 0, killed.ToString());
        }

        var k = (await TipStepAsync(project.Repo, reference))!.Value;
        Assert.InRange(k, 3, 5);
        var interrupted = Assert.Single(await project.ShowAsync());
        Assert.Equal(("ck", "Interrupted"), (interrupted.Name, interrupted.State));

        var resumed = await project.ExpOkAsync("run");

        Assert.Contains($"(step {k}) as experiment 'ck'", resumed.StdOut);
        var steps = project.SideLines("steps.log");
        var restart = Array.FindLastIndex(steps.ToArray(), l => l.StartsWith("start ", StringComparison.Ordinal));
        Assert.Equal(
            [$"start ck {k}", .. Enumerable.Range(k + 1, 6 - k).Select(s => $"done ck {s}")],
            steps.Skip(restart).ToList()
        );
        Assert.Equal(ModelAfter(6), project.Repo.ReadFile("model/model.txt"));
        await AssertCompleteChainAsync(project.Repo, reference, baseline, 6);
        Assert.Equal(
            [LossHeader, .. Enumerable.Range(1, 6).Select(s => $"{s}\t{1.0 / s:R}")],
            File.ReadAllLines(project.Repo.FullPath("live/plots/metrics/loss.tsv"))
        );
        var finished = Assert.Single(await project.ShowAsync());
        Assert.Equal(("ck", "Success", "6"), (finished.Name, finished.State, finished.Metric("step", "live/metrics.json")));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Killed_runner_keeps_every_checkpoint_it_took_and_the_next_run_resumes()
    {
        // Slow enough steps that a kill delayed by a loaded machine still lands before the last one.
        await using var project = await train.CreateProjectAsync(sleepMs: 400);
        var baseline = await project.Repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(baseline, "ck");

        using (var first = ExpTool.Start(project.Root, "run", "-n", "ck"))
        {
            await WaitForCheckpointAsync(project.Repo, reference, 2);
            first.Kill();
            await first.WaitAsync();
        }

        // The orphaned stage waits forever for its next checkpoint; a user would stop it too.
        var stage = Assert.Single(project.StagePids());
        QueueProject.Kill(stage);
        await QueueProject.WaitUntilAsync(() => !QueueProject.IsAlive(stage), "the orphaned stage is gone");
        var taken = await ReadAsync(project.Repo, reference, baseline);
        Assert.InRange(taken.Count, 2, 6);
        Assert.Equal(Enumerable.Range(1, taken.Count).Reverse().Select(s => (int?)s), taken.Select(c => c.Step));
        Assert.Equal("Interrupted", Assert.Single(await project.ShowAsync()).State);

        await project.ExpOkAsync("run");

        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 6);
        // The checkpoints taken before the kill are the very commits the finished chain starts with.
        Assert.Equal(
            taken.Where(c => c.Step < 6).Select(c => c.Commit).Reverse(),
            chain.Reverse().Take(taken.Count(c => c.Step < 6)).Select(c => c.Commit)
        );
        // The killed run ended interrupted with the checkpoints it took; the next run links to it as the run it resumed.
        var runs = JsonNode.Parse((await project.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        Assert.Equal(["succeeded", "interrupted"], runs.Select(r => (string)r!["status"]!));
        var (resumed, killed) = (runs[0]!, runs[1]!);
        Assert.Equal(taken.Select(c => c.Commit).Reverse(), killed["checkpoints"]!.AsArray().Select(c => (string)c!["commit"]!));
        Assert.Equal((string)killed["id"]!, (string)resumed["resumed_from"]!);
        Assert.Null(killed["resumed_from"]);
        Assert.Contains(
            $"Resumed:    from run {(string)killed["id"]!}",
            (await project.ExpOkAsync("runs", "show", (string)resumed["id"]!)).StdOut
        );
        Assert.Equal(ModelAfter(6), project.Repo.ReadFile("model/model.txt"));
        Assert.Equal(7, File.ReadAllLines(project.Repo.FullPath("live/plots/metrics/loss.tsv")).Length);
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Rev_name_tilde_2_continues_as_a_new_experiment_and_reset_starts_over()
    {
        await using var project = await train.CreateProjectAsync();
        var baseline = await project.Repo.HeadAsync();
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalTip = await project.Repo.GitAsync("rev-parse", original);
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 6);

        var continued = await project.ExpOkAsync("run", "--rev", "ck~2");

        Assert.Equal(originalTip, await project.Repo.GitAsync("rev-parse", original));
        var refs = await project.Repo.ExperimentRefsAsync();
        Assert.Equal(2, refs.Count);
        var branched = Assert.Single(refs, r => r != original);
        var name = branched[(branched.LastIndexOf('/') + 1)..];
        Assert.Contains($"(step 4) as experiment '{name}'", continued.StdOut);
        Assert.Equal([$"start {name} 4", $"done {name} 5", $"done {name} 6"], project.SideLines("steps.log").TakeLast(3));
        var chain = await AssertCompleteChainAsync(project.Repo, branched, baseline, 6);
        Assert.Equal(originalChain[2].Commit, chain[2].Commit);
        Assert.NotEqual(originalChain[1].Commit, chain[1].Commit);
        Assert.Equal(ModelAfter(6), project.Repo.ReadFile("model/model.txt"));

        var reset = await project.ExpOkAsync("run", "--reset");

        var fresh = Assert.Single(await project.Repo.ExperimentRefsAsync(), r => r != original && r != branched);
        var freshName = fresh[(fresh.LastIndexOf('/') + 1)..];
        Assert.DoesNotContain("Resuming", reset.StdOut);
        Assert.Equal(
            [$"start {freshName} 0", .. Enumerable.Range(1, 6).Select(s => $"done {freshName} {s}")],
            project.SideLines("steps.log").TakeLast(7)
        );
        var freshChain = await AssertCompleteChainAsync(project.Repo, fresh, baseline, 6);
        Assert.Equal(baseline, freshChain[^1].Parent);
        Assert.Equal(originalTip, await project.Repo.GitAsync("rev-parse", original));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Queued_run_with_rev_name_tilde_2_continues_from_that_checkpoint_with_its_set_params()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4, sleepMs: 50);
        var baseline = await project.Repo.HeadAsync();
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 4);

        await project.ExpOkAsync("run", "--queue", "--rev", "ck~2", "-n", "more", "-S", "train.epochs=6");
        await project.ExpOkAsync("run", "--run-all");

        var reference = TempGitRepo.ExperimentRef(baseline, "more");
        Assert.Equal([original, reference], await project.Repo.ExperimentRefsAsync());
        Assert.Equal(originalChain[0].Commit, await project.Repo.GitAsync("rev-parse", original));
        Assert.Equal(["start more 2", "done more 3", "done more 4", "done more 5", "done more 6"], StepsOf(project, "more"));
        // The new chain begins at ck~2 itself: the commits up to it are ck's own, and step 3 follows it.
        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 6);
        Assert.Equal(originalChain.Skip(2).Select(c => c.Commit), chain.Skip(4).Select(c => c.Commit));
        Assert.Equal(originalChain[2].Commit, chain[3].Parent);
        var history = await project.Repo.GitAsync("show", reference + ":live/plots/metrics/loss.tsv");
        Assert.Equal([LossHeader, .. Enumerable.Range(1, 6).Select(s => $"{s}\t{1.0 / s:R}")], history.Split('\n'));
        var more = Assert.Single(await project.ShowAsync(), r => r.Name == "more");
        Assert.Equal(("Success", "6", "6"), (more.State, more.Metric("step", "live/metrics.json"), more.Param("train.epochs")));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Rev_name_tilde_2_with_a_set_param_continues_from_that_checkpoint_with_the_set_value()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4, sleepMs: 50);
        // Comments and the keys around the one set: -S rewrites its value only, in the checkpoint's file.
        project.Repo.WriteFile("params.yaml", ParamsText(4));
        var baseline = await project.Repo.CommitAllAsync("params with comments");
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 4);

        var continued = await project.ExpOkAsync("run", "--rev", "ck~2", "-S", "train.epochs=6");

        Assert.Equal(originalChain[0].Commit, await project.Repo.GitAsync("rev-parse", original));
        var reference = Assert.Single(await project.Repo.ExperimentRefsAsync(), r => r != original);
        var name = reference[(reference.LastIndexOf('/') + 1)..];
        Assert.Contains($"(step 2) as experiment '{name}'", continued.StdOut);
        Assert.Equal(
            [$"start {name} 2", $"done {name} 3", $"done {name} 4", $"done {name} 5", $"done {name} 6"],
            StepsOf(project, name)
        );
        // The new chain begins at ck~2 itself: the commits up to it are ck's own, and step 3 follows it.
        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 6);
        Assert.Equal(originalChain.Skip(2).Select(c => c.Commit), chain.Skip(4).Select(c => c.Commit));
        Assert.Equal(originalChain[2].Commit, chain[3].Parent);
        Assert.Equal(ParamsText(6), project.Repo.ReadFile("params.yaml"));
        Assert.Equal(ParamsText(6), await project.Repo.GitAsync("show", reference + ":params.yaml") + "\n");
        Assert.Equal(ModelAfter(6), project.Repo.ReadFile("model/model.txt"));
        var rows = await project.ShowAsync();
        var more = Assert.Single(rows, r => r.Name == name);
        Assert.Equal(("Success", "6", "6"), (more.State, more.Metric("step", "live/metrics.json"), more.Param("train.epochs")));
        Assert.Equal("4", Assert.Single(rows, r => r.Name == "ck").Param("train.epochs"));
        AssertCacheIntact(project.Repo);

        static string ParamsText(int epochs) =>
            $"# training\ntrain:\n  epochs: {epochs} # per run\n  fail_after: 0\n  sleep_ms: 50\n";
    }

    [Fact]
    public async Task Rev_of_the_last_checkpoint_with_a_changed_param_continues_as_a_new_experiment()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4, sleepMs: 50);
        var baseline = await project.Repo.HeadAsync();
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 4);

        var continued = await project.ExpOkAsync("run", "--rev", "ck", "-S", "train.epochs=6");

        // As after any param change: ck stays the 4-epoch experiment it was.
        Assert.Equal(originalChain[0].Commit, await project.Repo.GitAsync("rev-parse", original));
        var reference = Assert.Single(await project.Repo.ExperimentRefsAsync(), r => r != original);
        var name = reference[(reference.LastIndexOf('/') + 1)..];
        Assert.Contains($"(step 4) as experiment '{name}'", continued.StdOut);
        Assert.Equal([$"start {name} 4", $"done {name} 5", $"done {name} 6"], StepsOf(project, name));
        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 6);
        Assert.Equal(originalChain.Select(c => c.Commit), chain.Skip(2).Select(c => c.Commit));
        var rows = await project.ShowAsync();
        Assert.Equal("6", Assert.Single(rows, r => r.Name == name).Param("train.epochs"));
        Assert.Equal("4", Assert.Single(rows, r => r.Name == "ck").Param("train.epochs"));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Temp_run_with_rev_continues_from_that_checkpoint()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4, sleepMs: 50);
        var baseline = await project.Repo.HeadAsync();
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 4);

        await project.ExpOkAsync("run", "--temp", "--wait", "--rev", "ck~1", "-n", "again");

        var reference = TempGitRepo.ExperimentRef(baseline, "again");
        Assert.Equal(["start again 3", "done again 4"], StepsOf(project, "again"));
        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 4);
        Assert.Equal(originalChain.Skip(1).Select(c => c.Commit), chain.Skip(1).Select(c => c.Commit));
        Assert.Equal(originalChain[1].Commit, chain[0].Parent);
        Assert.Equal(originalChain[0].Commit, await project.Repo.GitAsync("rev-parse", original));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Changed_param_continues_from_the_last_checkpoint_as_a_new_experiment_without_touching_the_cache()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4);
        var baseline = await project.Repo.HeadAsync();
        var original = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var originalChain = await AssertCompleteChainAsync(project.Repo, original, baseline, 4);

        // The model in the workspace is the one the cache holds for ck's last step: training appends to it in place.
        var continued = await project.ExpOkAsync("run", "-S", "train.epochs=6");

        Assert.Equal(originalChain[0].Commit, await project.Repo.GitAsync("rev-parse", original));
        var next = Assert.Single(await project.Repo.ExperimentRefsAsync(), r => r != original);
        var name = next[(next.LastIndexOf('/') + 1)..];
        Assert.Contains($"(step 4) as experiment '{name}'", continued.StdOut);
        Assert.Equal([$"start {name} 4", $"done {name} 5", $"done {name} 6"], project.SideLines("steps.log").TakeLast(3));
        var chain = await AssertCompleteChainAsync(project.Repo, next, baseline, 6);
        Assert.Equal(originalChain.Select(c => c.Commit), chain.Skip(2).Select(c => c.Commit));
        Assert.Equal(ModelAfter(6), project.Repo.ReadFile("model/model.txt"));
        Assert.Equal(7, File.ReadAllLines(project.Repo.FullPath("live/plots/metrics/loss.tsv")).Length);
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Show_nests_checkpoints_newest_first_and_apply_and_branch_take_name_tilde_N()
    {
        await using var project = await train.CreateProjectAsync(epochs: 4);
        var baseline = await project.Repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(baseline, "ck");
        await project.ExpOkAsync("run", "-n", "ck");
        var chain = await AssertCompleteChainAsync(project.Repo, reference, baseline, 4);

        var shown = ExperimentRow(await project.ExpOkAsync("show", "--json"), "ck");
        var hidden = ExperimentRow(await project.ExpOkAsync("show", "--json", "--no-checkpoints"), "ck");

        Assert.Equal("4", shown["metrics"]!["live/metrics.json"]!["step"]!.ToJsonString());
        var checkpoints = shown["checkpoints"]!.AsArray();
        Assert.Equal(["ck~1", "ck~2", "ck~3"], checkpoints.Select(c => (string)c!["name"]!));
        Assert.Equal(["3", "2", "1"], checkpoints.Select(c => c!["metrics"]!["live/metrics.json"]!["step"]!.ToJsonString()));
        Assert.Equal([.. chain.Skip(1).Select(c => c.Commit[..7])], checkpoints.Select(c => (string)c!["rev"]!).ToArray());
        Assert.Null(hidden["checkpoints"]);

        await project.ExpOkAsync("apply", "ck~2");

        Assert.Equal(ModelAfter(2), project.Repo.ReadFile("model/model.txt"));
        Assert.Equal(2, (int)JsonNode.Parse(project.Repo.ReadFile("live/metrics.json"))!["step"]!);

        await project.ExpOkAsync("branch", "ck~1", "b");

        Assert.Equal(chain[1].Commit, await project.Repo.GitAsync("rev-parse", "refs/heads/b"));
    }

    [Fact]
    public async Task Parallel_queued_checkpointing_runs_each_build_their_own_chain()
    {
        await using var project = await train.CreateProjectAsync(sleepMs: 100);
        var baseline = await project.Repo.HeadAsync();
        await project.ExpOkAsync("run", "-S", "train.epochs=3,4", "--queue", "-n", "q");

        await project.ExpOkAsync("run", "--run-all", "-j", "2");

        Assert.Equal(
            [TempGitRepo.ExperimentRef(baseline, "q-1"), TempGitRepo.ExperimentRef(baseline, "q-2")],
            await project.Repo.ExperimentRefsAsync()
        );
        var three = await AssertCompleteChainAsync(project.Repo, TempGitRepo.ExperimentRef(baseline, "q-1"), baseline, 3);
        var four = await AssertCompleteChainAsync(project.Repo, TempGitRepo.ExperimentRef(baseline, "q-2"), baseline, 4);
        Assert.Empty(three.Select(c => c.Commit).Intersect(four.Select(c => c.Commit)));
        var steps = project.SideLines("steps.log");
        Assert.Equal(
            ["start q-1 0", "done q-1 1", "done q-1 2", "done q-1 3"],
            steps.Where(l => l.Contains(" q-1 ", StringComparison.Ordinal))
        );
        Assert.Equal(
            ["start q-2 0", "done q-2 1", "done q-2 2", "done q-2 3", "done q-2 4"],
            steps.Where(l => l.Contains(" q-2 ", StringComparison.Ordinal))
        );
        Assert.All(await project.ShowAsync(), r => Assert.Equal("Success", r.State));
        AssertCacheIntact(project.Repo);
    }

    [Fact]
    public async Task Failed_temp_run_keeps_its_checkpoints_and_is_listed_as_failed()
    {
        await using var project = await train.CreateProjectAsync(sleepMs: 50);
        var baseline = await project.Repo.HeadAsync();

        var failed = await project.ExpAsync("run", "--temp", "--wait", "-n", "doomed", "-S", "train.fail_after=2");

        Assert.True(failed.ExitCode != 0, failed.ToString());
        var reference = TempGitRepo.ExperimentRef(baseline, "doomed");
        var chain = await ReadAsync(project.Repo, reference, baseline);
        Assert.Equal([2, 1], chain.Select(c => c.Step));
        Assert.Equal([ModelAfter(2), ModelAfter(1)], chain.Select(c => c.Model));
        var refs = await project.Repo.ExperimentRefsAsync();
        Assert.Equal(2, refs.Count);
        Assert.Contains(reference, refs);
        Assert.Single(refs, r => r.StartsWith("refs/exps/failed/", StringComparison.Ordinal));
        Assert.Equal("failed", Assert.Single((await project.StatusAsync()).Entries).Status);
    }

    [Theory]
    [InlineData(
        "checkpoint.sh",
        "bash train.sh",
        "for STEP in 1 2 3; do\n  echo \"step $STEP\" >> model.txt\n  checkpoint\ndone\n"
    )]
    [InlineData(
        "checkpoint.py",
        "python3 train.py",
        "for step in range(1, 4):\n    with open(\"model.txt\", \"a\") as f: f.write(f\"step {step}\\n\")\n    checkpoint(step)\n"
    )]
    public async Task Protocol_snippet_records_a_checkpoint_per_step(string snippet, string command, string loop)
    {
        var script = command.Split(' ')[1];
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snippets", snippet));
        Assert.Equal(5, text.TrimEnd('\n').Split('\n').Length);
        await using var project = await QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                [script] =
                    text
                    + (
                        script.EndsWith(".sh", StringComparison.Ordinal)
                            ? ": > model.txt\n"
                            : "open(\"model.txt\", \"w\").close()\n"
                    )
                    + loop,
                ["exp.yaml"] = $"""
                stages:
                  train:
                    cmd: {command}
                    deps:
                      - {script}
                    outs:
                      - model.txt:
                          checkpoint: true

                """,
            }
        );
        var baseline = await project.Repo.HeadAsync();

        var run = await project.ExpOkAsync("run", "-n", "snippet");

        Assert.Contains("Checkpoint 3 of 'snippet' recorded", run.StdOut);
        var chain = await ReadAsync(project.Repo, TempGitRepo.ExperimentRef(baseline, "snippet"), baseline);
        Assert.Equal([3, 2, 1], chain.Select(c => c.Step));
        Assert.Equal([ModelAfter(3), ModelAfter(2), ModelAfter(1)], chain.Select(c => c.Model));
    }

    /// <summary>
    /// A finished chain of <paramref name="steps"/>: one commit per step (the final commit took the last
    /// checkpoint's place), each with its step's model and metrics.
    /// </summary>
    private static async Task<IReadOnlyList<ChainCommit>> AssertCompleteChainAsync(
        TempGitRepo repo,
        string reference,
        string baseline,
        int steps
    )
    {
        var chain = await ReadAsync(repo, reference, baseline);
        var expected = Enumerable.Range(1, steps).Reverse().Select(s => (int?)s).ToList();
        Assert.Equal(expected, chain.Select(c => c.Step));
        Assert.Equal(expected, chain.Select(c => c.MetricsStep));
        Assert.Equal(expected.Select(s => ModelAfter(s!.Value)), chain.Select(c => c.Model));
        Assert.Contains("Exp-Last-Step: " + steps, await repo.GitAsync("log", "-1", "--format=%B", reference));
        return chain;
    }

    /// <summary>The "start"/"done" lines the training program logged for one experiment, in order.</summary>
    private static List<string> StepsOf(QueueProject project, string name) =>
        project.SideLines("steps.log").Where(l => l.Contains($" {name} ", StringComparison.Ordinal)).ToList();

    private static JsonObject ExperimentRow(ToolResult show, string name) =>
        JsonNode.Parse(show.StdOut)!.AsArray().Single(r => (string)r!["name"]! == name)!.AsObject();
}
