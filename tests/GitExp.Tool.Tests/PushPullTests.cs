using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary><c>exp push</c>, <c>exp pull</c> and <c>exp list &lt;remote&gt;</c> against a real bare repository as origin.</summary>
public sealed class PushPullTests
{
    /// <summary>The sample project with main pushed to a bare <c>origin</c>; the caller disposes both.</summary>
    private static async Task<(TempGitRepo Repo, TempGitRepo Origin)> WithOriginAsync()
    {
        var repo = await TempGitRepo.WithSampleProjectAsync();
        var origin = await TempGitRepo.InitBareAsync();
        await repo.GitAsync("remote", "add", "origin", origin.Root);
        await repo.GitAsync("push", "-q", "origin", "main");
        return (repo, origin);
    }

    private static string AssertOneLineError(ToolResult result, int exitCode, params string[] mentions)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}:\n{result}");
        Assert.DoesNotContain("   at ", result.StdErr);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, line);
        }

        return line;
    }

    [Fact]
    public async Task Push_of_a_name_sends_that_ref_and_push_without_names_sends_the_baselines_experiments_but_no_queue_entry()
    {
        var (repo, origin) = await WithOriginAsync();
        using var _ = repo;
        using var __ = origin;
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        await repo.ExpOkAsync("run", "--queue", "-n", "queued", "-S", "train.lr=0.3");
        var refA = TempGitRepo.ExperimentRef(head, "exp-a");
        var refB = TempGitRepo.ExperimentRef(head, "exp-b");
        var commitA = await repo.GitAsync("rev-parse", refA);

        var named = await repo.ExpOkAsync("push", "origin", "exp-a");

        Assert.Contains($"Pushed experiment 'exp-a' ({commitA[..7]}) to 'origin'.", named.StdOut);
        Assert.Equal([refA], await origin.ExperimentRefsAsync());
        Assert.Equal(commitA, await origin.GitAsync("rev-parse", refA));
        Assert.Equal("commit", await origin.GitAsync("cat-file", "-t", commitA));

        var all = await repo.ExpOkAsync("push", "origin");

        Assert.Contains("Pushed experiment 'exp-b'", all.StdOut);
        Assert.Contains($"Experiment 'exp-a' ({commitA[..7]}) is already up to date on 'origin'.", all.StdOut);
        Assert.Equal([refA, refB], await origin.ExperimentRefsAsync());
        Assert.Contains("refs/exps/queue/", string.Join('\n', await repo.ExperimentRefsAsync()));
    }

    [Fact]
    public async Task Pull_into_a_fresh_clone_shows_the_experiment_with_its_metrics_and_apply_warns_about_the_missing_cached_out()
    {
        var (repo, origin) = await WithOriginAsync();
        using var _ = repo;
        using var __ = origin;
        var head = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("push", "origin", "-A");
        using var clone = await TempGitRepo.CloneAsync(origin.Root);

        var pulled = await clone.ExpOkAsync("pull", "origin");

        Assert.Contains("Pulled experiment 'exp-a'", pulled.StdOut);
        Assert.Contains("runs reindex", pulled.StdOut);
        Assert.Equal([TempGitRepo.ExperimentRef(head, "exp-a")], await clone.ExperimentRefsAsync());
        var show = await clone.ExpOkAsync("show");
        var row = Assert.Single(show.StdOut.Split('\n'), l => l.Contains("exp-a", StringComparison.Ordinal));
        Assert.Contains("0.8", row); // acc = 1 - lr
        Assert.Contains("0.4", row); // loss = 2 * lr

        var applied = await clone.ExpAsync("apply", "exp-a");

        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("Applied experiment 'exp-a'", applied.StdOut);
        Assert.Contains("lr: 0.2 ", clone.ReadFile("params.yaml"));
        Assert.Equal(repo.ReadFile("metrics.json"), clone.ReadFile("metrics.json"));
        Assert.False(clone.Exists("model/model.bin"));
        var warning = Assert.Single(applied.ErrorLines);
        Assert.StartsWith("warning: ", warning);
        Assert.Contains("model/model.bin", warning);
        Assert.Contains("dotnet exp run", warning);
        Assert.Contains(".exp/cache", warning);

        // With the cache copied over, the same apply restores the out and warns no more.
        CopyTree(repo.FullPath(".exp/cache"), clone.FullPath(".exp/cache"));
        var complete = await clone.ExpOkAsync("apply", "exp-a");
        Assert.Empty(complete.ErrorLines);
        Assert.Equal("model trained with lr=0.2\n", clone.ReadFile("model/model.bin"));

        var reindexed = await clone.ExpOkAsync("runs", "reindex");
        Assert.Contains("Added 1 run(s)", reindexed.StdOut);
        Assert.Contains("exp-a", (await clone.ExpOkAsync("runs", "list")).StdOut);
    }

    [Fact]
    public async Task List_of_a_remote_groups_its_experiments_by_baseline_like_the_local_listing()
    {
        var (repo, origin) = await WithOriginAsync();
        using var _ = repo;
        using var __ = origin;
        var first = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.GitAsync("checkout", "-q", "--", ".");
        repo.WriteFile("notes.txt", "second baseline\n");
        await repo.GitAsync("add", "notes.txt");
        await repo.GitAsync("commit", "-q", "-m", "second");
        var second = await repo.HeadAsync();
        await repo.ExpOkAsync("run", "-n", "exp-b", "-S", "train.lr=0.05");
        Assert.Equal("", (await repo.ExpOkAsync("list", "origin")).StdOut);
        await repo.ExpOkAsync("push", "origin", "-A");

        var current = await repo.ExpOkAsync("list", "origin");
        var all = await repo.ExpOkAsync("list", "origin", "-A");
        var names = await repo.ExpOkAsync("list", "origin", "-A", "--name-only");

        var b = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(second, "exp-b"));
        var a = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(first, "exp-a"));
        Assert.Equal($"main:\n\t{b[..7]} [exp-b]\n", current.StdOut.ReplaceLineEndings("\n"));
        Assert.Contains($"{first[..7]}:\n\t{a[..7]} [exp-a]\n", all.StdOut.ReplaceLineEndings("\n"));
        Assert.Contains($"main:\n\t{b[..7]} [exp-b]\n", all.StdOut.ReplaceLineEndings("\n"));
        Assert.Equal(["exp-a", "exp-b"], names.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task A_diverged_experiment_is_refused_without_force_and_replaced_with_it_both_ways()
    {
        var (repo, origin) = await WithOriginAsync();
        using var _ = repo;
        using var __ = origin;
        var head = await repo.HeadAsync();
        var refA = TempGitRepo.ExperimentRef(head, "exp-a");
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("push", "origin", "exp-a");
        var original = await repo.GitAsync("rev-parse", refA);
        using var clone = await TempGitRepo.CloneAsync(origin.Root);
        await clone.ExpOkAsync("pull", "origin", "exp-a");
        await clone.ExpOkAsync("run", "-n", "exp-a", "-f", "-S", "train.lr=0.3");
        var rerun = await clone.GitAsync("rev-parse", refA);
        Assert.NotEqual(original, rerun);

        var refused = await clone.ExpAsync("push", "origin", "exp-a");

        AssertOneLineError(refused, 6, "'exp-a'", "diverged", "--force");
        Assert.Equal(original, await origin.GitAsync("rev-parse", refA));

        var forced = await clone.ExpOkAsync("push", "origin", "exp-a", "--force");

        Assert.Contains("replacing the diverged one", forced.StdOut);
        Assert.Equal(rerun, await origin.GitAsync("rev-parse", refA));

        var pullRefused = await repo.ExpAsync("pull", "origin");

        AssertOneLineError(pullRefused, 6, "'exp-a'", "diverged", "--force");
        Assert.Equal(original, await repo.GitAsync("rev-parse", refA));

        await repo.ExpOkAsync("pull", "origin", "-f");

        Assert.Equal(rerun, await repo.GitAsync("rev-parse", refA));
    }

    [Fact]
    public async Task Bad_remotes_unknown_names_and_nothing_to_transfer_are_one_line_errors()
    {
        var (repo, origin) = await WithOriginAsync();
        using var _ = repo;
        using var __ = origin;

        AssertOneLineError(await repo.ExpAsync("push", "origin"), 5, "nothing to push");
        AssertOneLineError(await repo.ExpAsync("pull", "origin"), 5, "nothing to pull", "'origin'");

        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "train.lr=0.2");

        AssertOneLineError(await repo.ExpAsync("push", "nope", "exp-a"), 5, "'nope'", "git remote -v");
        AssertOneLineError(await repo.ExpAsync("pull", "nope"), 5, "'nope'", "git remote -v");
        AssertOneLineError(await repo.ExpAsync("list", "nope"), 5, "'nope'", "git remote -v");
        AssertOneLineError(await repo.ExpAsync("push", "origin", "no-such"), 5, "'no-such'");
        AssertOneLineError(await repo.ExpAsync("pull", "origin", "no-such"), 5, "'no-such'", "'origin'");

        // A remote that is configured but unreachable: git's own first line is passed on.
        await repo.GitAsync("remote", "add", "gone", Path.Combine(origin.Root, "missing.git"));
        AssertOneLineError(
            await repo.ExpAsync("push", "gone", "exp-a"),
            7,
            "remote 'gone'",
            "does not appear to be a git repository"
        );
        await repo.GitAsync("remote", "add", "offline", "http://127.0.0.1:9/repo.git");
        AssertOneLineError(await repo.ExpAsync("pull", "offline", "-A"), 7, "remote 'offline'", "127.0.0.1");
        Assert.Empty(await origin.ExperimentRefsAsync());
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
