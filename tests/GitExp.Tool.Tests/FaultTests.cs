using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Tool.Tests.Infrastructure;
using Xunit.Abstractions;
using static GitExp.Tool.Tests.Infrastructure.CheckpointChain;

namespace GitExp.Tool.Tests;

/// <summary>
/// The fault campaign: the tool's whole process group (the tool and the stage it runs) is killed with SIGKILL at
/// random moments, as a crash or the OOM killer would end it. After every kill the repository must be sound
/// (<c>git fsck</c> clean, every cache object named after its bytes), no run may stay <c>running</c>, and the next
/// run must succeed with a correct result; no partial result may ever be recorded as a success.
/// </summary>
/// <remarks>
/// The short forms run in every CI build; the <c>Soak</c> forms (many more trials) run with
/// <c>dotnet test --filter Category=Soak</c>. Kill moments come from a seeded random source: the seed is in every
/// failure message, so a failing trial can be replayed.
/// </remarks>
public sealed partial class FaultTests(ITestOutputHelper log)
{
    private const int CheckpointSteps = 6;

    [Fact]
    public Task Killing_a_run_with_a_cached_out_at_random_moments_never_damages_the_repository_or_records_a_wrong_result() =>
        CachedOutCampaignAsync(trials: 12, seed: 11);

    [Fact]
    [Trait("Category", "Soak")]
    public Task Soak_killing_a_run_with_a_cached_out() => CachedOutCampaignAsync(trials: 100, seed: 1011);

    [Fact]
    public Task Killing_a_checkpointing_run_at_random_moments_always_resumes_to_the_full_result() =>
        CheckpointCampaignAsync(trials: 10, seed: 23);

    [Fact]
    [Trait("Category", "Soak")]
    public Task Soak_killing_a_checkpointing_run() => CheckpointCampaignAsync(trials: 60, seed: 1023);

    [Fact]
    public async Task Two_concurrent_runs_in_one_workspace_one_runs_and_the_other_is_refused_without_damage()
    {
        using var repo = await CachedOutProjectAsync();
        var first = ExpTool.Start(repo.Root, "run", "-n", "a", "-S", "train.lr=0.25");
        var second = ExpTool.Start(repo.Root, "run", "-n", "b", "-S", "train.lr=0.5");
        var results = new[] { await first.WaitAsync(), await second.WaitAsync() };
        first.Dispose();
        second.Dispose();

        // The workspace lock lets one run at a time: the other either waited for it or was refused in one line.
        Assert.Contains(results, r => r.ExitCode == 0);
        foreach (var refused in results.Where(r => r.ExitCode != 0))
        {
            Assert.Single(refused.ErrorLines);
            Assert.DoesNotContain("   at ", refused.StdErr, StringComparison.Ordinal);
        }

        await AssertSoundAsync(repo, "two concurrent runs");
        await AssertEveryExperimentIsItsOwnResultAsync(repo, "two concurrent runs");
    }

    [Fact]
    public async Task Four_processes_queueing_at_once_each_get_their_entry_and_each_entry_runs_once()
    {
        using var repo = await CachedOutProjectAsync();
        var queued = Enumerable
            .Range(1, 4)
            .Select(i => ExpTool.Start(repo.Root, "run", "--queue", "-n", $"q{i}", "-S", $"train.lr=0.{i}"))
            .ToList();
        foreach (var process in queued)
        {
            var result = await process.WaitAsync();
            Assert.True(result.ExitCode == 0, result.ToString());
            process.Dispose();
        }

        var run = await repo.ExpAsync("run", "--run-all", "-j", "2");
        Assert.True(run.ExitCode == 0, run.ToString());

        var names = (await ShowRowsAsync(repo)).Select(r => (string)r["name"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["q1", "q2", "q3", "q4"], names);
        await AssertSoundAsync(repo, "concurrent queueing");
        await AssertEveryExperimentIsItsOwnResultAsync(repo, "concurrent queueing");
    }

    /// <summary>
    /// Each trial runs a new experiment with its own <c>train.lr</c>, kills it at a random moment of a whole run's
    /// length, checks the repository, then runs it again (with <c>-f</c>, in case it had finished) and checks the result.
    /// </summary>
    private async Task CachedOutCampaignAsync(int trials, int seed)
    {
        using var repo = await CachedOutProjectAsync();
        var random = new Random(seed);
        // The first run in a repository also creates the run store and the cache: the second is what a trial costs.
        await MeasureRunAsync(repo.Root, "run", "-n", "warm-up", "-S", "train.lr=0.98");
        var span = await MeasureRunAsync(repo.Root, "run", "-n", "measure", "-S", "train.lr=0.99");
        var outcomes = new Dictionary<string, int>();
        for (var trial = 1; trial <= trials; trial++)
        {
            var what = $"trial {trial} of seed {seed}";
            var name = $"t{trial}";
            var lr = (trial / 1000.0 + 0.1).ToString("0.000", CultureInfo.InvariantCulture);
            var delay = random.Next(0, (int)span.TotalMilliseconds + 1);
            string[] args = ["run", "-n", name, "-S", $"train.lr={lr}"];
            var outcome = await KillAfterAsync(repo.Root, delay, args);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            await AssertSoundAsync(repo, what);
            var again = await RunAgainAsync(repo, [.. args, "-f"], what);
            Assert.True(again.ExitCode == 0, $"{what}: the run after the kill failed:\n{again}");
            var row = Assert.Single(await ShowRowsAsync(repo), r => (string)r["name"]! == name);
            Assert.True((string)row["state"]! == "Success", $"{what}: {name} is {row["state"]} after its rerun");
        }

        await AssertEveryExperimentIsItsOwnResultAsync(repo, $"seed {seed}");
        log.WriteLine($"{trials} kills ({string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}); each repository sound");
    }

    /// <summary>
    /// Each trial starts a checkpointing run in a new repository, kills it at a random moment, checks the
    /// repository, then runs plain <c>dotnet exp run</c> until it succeeds: the result must be the full
    /// <see cref="CheckpointSteps"/>-step model, never the partial one the kill left.
    /// </summary>
    private async Task CheckpointCampaignAsync(int trials, int seed)
    {
        var random = new Random(seed);
        TimeSpan? span = null;
        var resumed = 0;
        var outcomes = new Dictionary<string, int>();
        for (var trial = 1; trial <= trials; trial++)
        {
            var what = $"checkpoint trial {trial} of seed {seed}";
            using var repo = await CheckpointProjectAsync();
            var baseline = await repo.HeadAsync();
            if (span is null)
            {
                using var measure = await CheckpointProjectAsync();
                span = await MeasureRunAsync(measure.Root, "run", "-n", "measure");
            }

            var delay = random.Next(0, (int)span.Value.TotalMilliseconds + 1);
            var outcome = await KillAfterAsync(repo.Root, delay, "run", "-n", "ck");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            await AssertSoundAsync(repo, what);

            var again = await RunAgainAsync(repo, ["run"], what);
            Assert.True(again.ExitCode == 0, $"{what}: the run after the kill failed:\n{again}");
            if (again.StdOut.Contains("(step ", StringComparison.Ordinal))
            {
                resumed++;
            }

            var successes = (await ShowRowsAsync(repo)).Where(r => (string)r["state"]! == "Success").ToList();
            Assert.True(successes.Count > 0, $"{what}: no successful experiment after the rerun");
            foreach (var row in successes)
            {
                var name = (string)row["name"]!;
                var step = (int?)row["metrics"]?["metrics.json"]?["step"];
                Assert.True(
                    step == CheckpointSteps,
                    $"{what}: {name} is recorded as a success at step {step?.ToString(CultureInfo.InvariantCulture) ?? "none"}"
                );
                var model = await CachedOutAsync(repo, TempGitRepo.ExperimentRef(baseline, name), "model.txt");
                Assert.True(
                    model == ModelAfter(CheckpointSteps),
                    $"{what}: {name} is recorded as a success with the model\n{model}"
                );
            }

            Assert.Equal(ModelAfter(CheckpointSteps), repo.ReadFile("model.txt"));
        }

        log.WriteLine(
            $"{trials} kills of a checkpointing run ({string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}); "
                + $"{resumed} reruns resumed from a checkpoint; each repository sound"
        );
    }

    /// <summary>The sample project (a cached out <c>model/model.bin</c> and metrics) with a pause mid-stage.</summary>
    private static async Task<TempGitRepo> CachedOutProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteSampleProject();
        // A pause between the model and the metrics: kills land mid-stage as well as in the tool's own work.
        var script = repo.ReadFile("train.sh").Replace("mkdir -p model", "sleep 0.2\nmkdir -p model", StringComparison.Ordinal);
        repo.WriteFile("train.sh", script);
        await repo.ExpOkAsync("init");
        await repo.CommitAllAsync("Add sample project");
        return repo;
    }

    /// <summary>A bash stage taking <see cref="CheckpointSteps"/> checkpoints of <c>model.txt</c>, with metrics per step.</summary>
    private static async Task<TempGitRepo> CheckpointProjectAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        var snippet = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snippets", "checkpoint.sh"));
        repo.WriteFile(
            "train.sh",
            snippet
                + $$"""
                start=0
                if [ "$EXP_RESUME" = 1 ]; then start=$EXP_CHECKPOINT_STEP; else : > model.txt; fi
                STEP=$start
                while [ "$STEP" -lt {{CheckpointSteps}} ]; do
                  STEP=$((STEP + 1))
                  sleep 0.05
                  echo "step $STEP" >> model.txt
                  printf '{"step": %s}\n' "$STEP" > metrics.json
                  checkpoint
                done

                """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: bash train.sh
                deps:
                  - train.sh
                outs:
                  - model.txt:
                      checkpoint: true
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.ExpOkAsync("init");
        await repo.CommitAllAsync("Add checkpointing project");
        return repo;
    }

    /// <summary>How long one undisturbed run takes here, to spread kill moments over it (never asserted on).</summary>
    private static async Task<TimeSpan> MeasureRunAsync(string root, params string[] args)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await ExpTool.RunAsync(root, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return clock.Elapsed;
    }

    /// <summary>Starts the tool in its own process group, kills the group after <paramref name="delayMs"/>; says how it ended.</summary>
    private static async Task<string> KillAfterAsync(string root, int delayMs, params string[] args)
    {
        using var tool = ExpTool.StartInOwnProcessGroup(root, args);
        await Task.Delay(delayMs);
        tool.KillProcessGroup();
        var result = await tool.WaitAsync();
        return result.ExitCode == 0 ? "after the run ended" : "mid-run";
    }

    /// <summary>
    /// Runs the tool again after a kill. A stale ref lock that the killed run left is the one thing a user must clear
    /// by hand: the error must name it, and then clearing it must be enough.
    /// </summary>
    private static async Task<ToolResult> RunAgainAsync(TempGitRepo repo, string[] args, string what)
    {
        var result = await repo.ExpAsync(args);
        if (result.ExitCode != 0 && StaleLockRegex().Match(result.StdErr) is { Success: true } match)
        {
            Assert.Single(result.ErrorLines);
            var lockFile = match.Value;
            File.Delete(Path.IsPathRooted(lockFile) ? lockFile : repo.FullPath(lockFile));
            result = await repo.ExpAsync(args);
        }

        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        return result;
    }

    /// <summary>What must hold after any kill: git's objects sound, the cache intact, no run still "running".</summary>
    private static async Task AssertSoundAsync(TempGitRepo repo, string what)
    {
        var fsck = await repo.TryGitAsync("fsck", "--no-dangling", "--no-progress");
        Assert.True(fsck.ExitCode == 0, $"{what}: git fsck failed:\n{fsck}");
        if (Directory.Exists(repo.FullPath(".exp/cache/sha256")))
        {
            AssertCacheIntact(repo);
        }

        var runs = await repo.ExpAsync("runs", "list", "--json");
        Assert.True(runs.ExitCode == 0, $"{what}: runs list failed:\n{runs}");
        var running = JsonNode.Parse(runs.StdOut)!.AsArray().Where(r => (string)r!["status"]! == "running").ToList();
        Assert.True(running.Count == 0, $"{what}: a run whose process is gone is still listed as running:\n{runs.StdOut}");
    }

    /// <summary>Every recorded success holds its own params' result: metrics and the cached model agree with its lr.</summary>
    private static async Task AssertEveryExperimentIsItsOwnResultAsync(TempGitRepo repo, string what)
    {
        var refs = await repo.ExperimentRefsAsync();
        Assert.NotEmpty(refs);
        foreach (var reference in refs.Where(r => !r.StartsWith("refs/exps/failed/", StringComparison.Ordinal)))
        {
            var parameters = await repo.GitAsync("show", reference + ":params.yaml");
            var lr = LrRegex().Match(parameters).Groups[1].Value;
            var metrics = JsonNode.Parse(await repo.GitAsync("show", reference + ":metrics.json"))!;
            var expectedAcc = 1 - double.Parse(lr, CultureInfo.InvariantCulture);
            Assert.True(
                Math.Abs((double)metrics["acc"]! - expectedAcc) < 1e-9,
                $"{what}: {reference} with lr={lr} records acc={metrics["acc"]}"
            );
            Assert.Equal($"model trained with lr={lr}\n", await CachedOutAsync(repo, reference, "model/model.bin"));
        }
    }

    /// <summary>The bytes of a cached out as the experiment's lock file names them.</summary>
    private static async Task<string> CachedOutAsync(TempGitRepo repo, string commit, string path)
    {
        var lockText = await repo.GitAsync("show", commit + ":exp.lock");
        var entry = new Regex(@"path: ""?" + Regex.Escape(path) + @"""?\s+sha256: ""?([0-9a-f]{64})").Match(lockText);
        Assert.True(entry.Success, $"exp.lock of {commit} names no hash for {path}:\n{lockText}");
        var sha = entry.Groups[1].Value;
        var file = repo.FullPath(Path.Combine(".exp", "cache", "sha256", sha[..2], sha[2..]));
        Assert.True(File.Exists(file), $"{path} of {commit} ({sha}) is not in the cache");
        return File.ReadAllText(file);
    }

    private static async Task<IReadOnlyList<JsonNode>> ShowRowsAsync(TempGitRepo repo)
    {
        var show = await repo.ExpOkAsync("show", "--json");
        return JsonNode.Parse(show.StdOut)!.AsArray().Where(r => (string)r!["type"]! == "experiment").Select(r => r!).ToList();
    }

    [GeneratedRegex(@"\S*refs/exps/\S+\.lock")]
    private static partial Regex StaleLockRegex();

    [GeneratedRegex(@"lr: ([0-9.]+)")]
    private static partial Regex LrRegex();
}
