using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class ManageTests
{
    private static async Task RunAsync(TempGitRepo repo, string name, string lr) =>
        await repo.ExpOkAsync("run", "-n", name, "-S", "train.lr=" + lr);

    [Fact]
    public async Task Rename_moves_the_ref_and_list_shows_the_new_name()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await RunAsync(repo, "old-name", "0.2");
        var commit = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "old-name"));

        var renamed = await repo.ExpOkAsync("rename", "old-name", "new-name");

        Assert.Equal("Renamed 'old-name' to 'new-name'.", renamed.StdOut.Trim());
        Assert.Equal([TempGitRepo.ExperimentRef(head, "new-name")], await repo.ExperimentRefsAsync());
        Assert.Equal(commit, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "new-name")));
        Assert.Equal("new-name", (await repo.ExpOkAsync("list", "--name-only")).StdOut.Trim());
        Assert.Equal(
            $"main:\n\t{commit[..7]} [new-name]",
            (await repo.ExpOkAsync("list")).StdOut.ReplaceLineEndings("\n").Trim()
        );
    }

    // DVC tests/func/experiments/test_rename.py: test_same_name, test_existing_name
    [Fact]
    public async Task Renaming_to_its_own_name_does_nothing_and_to_a_taken_name_needs_force()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        await RunAsync(repo, "first-name", "0.2");
        await RunAsync(repo, "second-name", "0.3");
        var second = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "second-name"));
        var refs = await repo.ExperimentRefsAsync();

        var same = await repo.ExpOkAsync("rename", "second-name", "second-name");
        var refused = await repo.ExpAsync("rename", "second-name", "first-name");

        Assert.Contains("nothing to do", same.StdOut);
        Assert.Equal(6, refused.ExitCode);
        Assert.Contains("-f", Assert.Single(refused.ErrorLines));
        Assert.Equal(refs, await repo.ExperimentRefsAsync());

        await repo.ExpOkAsync("rename", "second-name", "first-name", "-f");

        Assert.Equal([TempGitRepo.ExperimentRef(head, "first-name")], await repo.ExperimentRefsAsync());
        Assert.Equal(second, await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(head, "first-name")));
    }

    [Fact]
    public async Task Remove_by_name_and_keep_leave_exactly_the_other_experiments()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await RunAsync(repo, "one", "0.2");
        await RunAsync(repo, "two", "0.3");
        await RunAsync(repo, "three", "0.4");
        await RunAsync(repo, "four", "0.5");

        await repo.ExpOkAsync("remove", "one", "two");
        Assert.Equal(["four", "three"], await NamesAsync(repo));

        var kept = await repo.ExpOkAsync("remove", "--keep", "three");
        Assert.Equal("Removed 1 experiment(s): four.", kept.StdOut.Trim());
        Assert.Equal(["three"], await NamesAsync(repo));
    }

    [Fact]
    public async Task Remove_rev_and_all_commits_remove_by_baseline()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var first = await repo.HeadAsync();
        await RunAsync(repo, "on-first", "0.2");
        await repo.GitAsync("checkout", "-q", "--", "params.yaml");
        repo.WriteFile("README.md", "second\n");
        await repo.GitAsync("add", "README.md");
        await repo.GitAsync("commit", "-q", "-m", "second");
        var second = await repo.HeadAsync();
        await RunAsync(repo, "on-second", "0.3");
        await RunAsync(repo, "on-second-too", "0.4");

        await repo.ExpOkAsync("remove", "--rev", first[..7]);

        Assert.Equal(
            [TempGitRepo.ExperimentRef(second, "on-second"), TempGitRepo.ExperimentRef(second, "on-second-too")],
            await repo.ExperimentRefsAsync()
        );

        await repo.ExpOkAsync("remove", "-A");

        Assert.Empty(await repo.ExperimentRefsAsync());
        Assert.Equal("", (await repo.ExpOkAsync("list", "-A", "--name-only")).StdOut.Trim());
    }

    [Fact]
    public async Task Names_with_rev_or_all_commits_remove_only_those_names_within_that_scope()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var first = await repo.HeadAsync();
        await RunAsync(repo, "x1", "0.2");
        await RunAsync(repo, "x2", "0.3");
        await repo.GitAsync("checkout", "-q", "--", "params.yaml");
        repo.WriteFile("README.md", "second\n");
        await repo.GitAsync("add", "README.md");
        await repo.GitAsync("commit", "-q", "-m", "second");
        var second = await repo.HeadAsync();
        await RunAsync(repo, "x1", "0.4");
        await RunAsync(repo, "x2", "0.5");

        var removed = await repo.ExpOkAsync("remove", "--rev", first[..7], "x2");

        Assert.Equal("Removed 1 experiment(s): x2.", removed.StdOut.Trim());
        Assert.Equal(
            [
                TempGitRepo.ExperimentRef(first, "x1"),
                TempGitRepo.ExperimentRef(second, "x1"),
                TempGitRepo.ExperimentRef(second, "x2"),
            ],
            (await repo.ExperimentRefsAsync()).Order(StringComparer.Ordinal).ToList()
        );

        var missing = await repo.ExpAsync("remove", "--rev", first[..7], "x2");
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("'x2'", Assert.Single(missing.ErrorLines));
        Assert.Equal(3, (await repo.ExperimentRefsAsync()).Count);

        await repo.ExpOkAsync("remove", "-A", "x1");

        Assert.Equal([TempGitRepo.ExperimentRef(second, "x2")], await repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task A_removed_or_overwritten_experiment_is_recoverable_with_plain_git()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var head = await repo.HeadAsync();
        var reference = TempGitRepo.ExperimentRef(head, "keeper");
        await RunAsync(repo, "keeper", "0.2");
        var first = await repo.GitAsync("rev-parse", reference);
        await repo.ExpOkAsync("run", "-f", "-n", "keeper", "-S", "train.lr=0.3");
        var second = await repo.GitAsync("rev-parse", reference);
        Assert.NotEqual(first, second);

        // A moved ref keeps its history in its reflog.
        Assert.Equal([second, first], (await repo.GitAsync("log", "-g", "--format=%H", reference)).Split('\n'));

        await repo.ExpOkAsync("remove", "keeper");
        Assert.Empty(await repo.ExperimentRefsAsync());

        // A deleted ref loses its reflog in Git; the removal log keeps what it pointed at, as docs/commands.md says.
        var line = File.ReadAllLines(repo.FullPath(".git/logs/refs/exps-removed"))
            .Last(l => l.EndsWith(reference, StringComparison.Ordinal));
        var commit = line.Split(' ')[0];
        Assert.Equal(second, commit);
        await repo.GitAsync("gc", "-q", "--prune=now");
        await repo.GitAsync("update-ref", reference, commit);

        Assert.Equal("keeper", (await repo.ExpOkAsync("list", "--name-only")).StdOut.Trim());
        await repo.ExpOkAsync("apply", "keeper");
        Assert.Contains("lr: 0.3 ", repo.ReadFile("params.yaml"));
    }

    [Fact]
    public async Task Remove_of_an_unknown_name_fails_and_removes_nothing()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await RunAsync(repo, "one", "0.2");

        var result = await repo.ExpAsync("remove", "one", "nope");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'nope'", Assert.Single(result.ErrorLines));
        Assert.Equal(["one"], await NamesAsync(repo));
    }

    // DVC tests/func/experiments/test_ls.py: test_ls (rev/num/all-commits) and the sha-only and name-only outputs
    [Fact]
    public async Task List_selects_baselines_by_rev_and_num_and_prints_sha_and_name_as_dvc_does()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var first = await repo.HeadAsync();
        await RunAsync(repo, "exp-a", "0.2");
        var a = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(first, "exp-a"));
        var second = await repo.CommitAllAsync("second");
        await repo.GitAsync("tag", "v2");
        await RunAsync(repo, "exp-b", "0.3");
        var b = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(second, "exp-b"));
        var third = await repo.CommitAllAsync("third");
        await RunAsync(repo, "exp-c", "0.4");
        var c = await repo.GitAsync("rev-parse", TempGitRepo.ExperimentRef(third, "exp-c"));

        var head = await repo.ExpOkAsync("list");
        var two = await repo.ExpOkAsync("list", "-n", "2");
        var byRev = await repo.ExpOkAsync("list", "--rev", second[..7]);
        var shas = await repo.ExpOkAsync("list", "-A", "--sha-only");
        var names = await repo.ExpOkAsync("list", "--rev", "v2", "-n", "2", "--names-only");

        Assert.Equal($"main:\n\t{c[..7]} [exp-c]\n", head.StdOut.ReplaceLineEndings("\n"));
        Assert.Contains($"main:\n\t{c[..7]} [exp-c]\n", two.StdOut.ReplaceLineEndings("\n"));
        Assert.Contains($"v2:\n\t{b[..7]} [exp-b]\n", two.StdOut.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("exp-a", two.StdOut);
        Assert.Equal($"v2:\n\t{b[..7]} [exp-b]\n", byRev.StdOut.ReplaceLineEndings("\n"));
        Assert.Equal(
            new[] { a, b, c }.Order(StringComparer.Ordinal),
            shas.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)
        );
        Assert.Equal(
            ["exp-a", "exp-b"],
            names.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)
        );
        Assert.Equal(2, (await repo.ExpAsync("list", "--sha-only", "--name-only")).ExitCode);
    }

    // DVC tests/func/experiments/test_remove.py::test_remove_experiments_by_ref
    [Fact]
    public async Task Remove_by_full_ref_removes_nothing_when_one_name_is_unknown()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await RunAsync(repo, "e0", "0.2");
        await RunAsync(repo, "e1", "0.3");
        await RunAsync(repo, "e2", "0.4");
        var refs = await repo.ExperimentRefsAsync();

        var refused = await repo.ExpAsync("remove", refs[0], refs[1], "non-exist");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("'non-exist'", Assert.Single(refused.ErrorLines));
        Assert.Equal(refs, await repo.ExperimentRefsAsync());

        await repo.ExpOkAsync("remove", refs[0], refs[1]);

        Assert.Equal([refs[2]], await repo.ExperimentRefsAsync());
    }

    // DVC test_remove.py::test_remove_special_queued_experiments and test_remove_all_experiments_queued_and_completed
    [Fact]
    public async Task Queue_entries_are_removed_by_name_or_commit_like_experiments()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var ids = new List<string>();
        foreach (var (name, lr) in new[] { ("queue1", "0.11"), ("queue2", "0.12"), ("queue3", "0.13") })
        {
            var queued = await repo.ExpOkAsync("run", "--queue", "-n", name, "-S", "train.lr=" + lr);
            ids.Add(queued.StdOut.Split("with id ")[1][..10]);
        }

        await RunAsync(repo, "ran1", "0.2");
        await RunAsync(repo, "ran2", "0.3");
        var queue2Commit = await repo.GitAsync("rev-parse", "refs/exps/queue/" + ids[1]);

        var removed = await repo.ExpOkAsync("remove", "queue1", queue2Commit[..5], "ran1");

        Assert.Contains($"Removed 2 queue entries: queue1 ({ids[0]}), queue2 ({ids[1]}).", removed.StdOut);
        Assert.Contains("Removed 1 experiment(s): ran1.", removed.StdOut);
        Assert.Equal(
            new[] { "refs/exps/queue/" + ids[2], TempGitRepo.ExperimentRef(await repo.HeadAsync(), "ran2") }.Order(
                StringComparer.Ordinal
            ),
            await repo.ExperimentRefsAsync()
        );

        await repo.ExpOkAsync("remove", "-A", "--queue");

        Assert.Empty(await repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task Num_widens_rev_to_that_many_commits_back()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await RunAsync(repo, "oldest", "0.2");
        await repo.CommitAllAsync("second");
        await RunAsync(repo, "middle", "0.3");
        await repo.CommitAllAsync("third");
        await RunAsync(repo, "newest", "0.4");

        await repo.ExpOkAsync("remove", "--rev", "HEAD", "-n", "2");

        Assert.Equal(["oldest"], await NamesAsync(repo));
        var refused = await repo.ExpAsync("remove", "-n", "2", "oldest");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--num", Assert.Single(refused.ErrorLines));
    }

    // DVC test_remove.py::test_remove_remote
    [Fact]
    public async Task Git_remote_removes_the_remotes_experiments_by_ref_or_name()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        using var origin = await TempGitRepo.InitBareAsync();
        await repo.GitAsync("remote", "add", "origin", origin.Root);
        await RunAsync(repo, "e0", "0.2");
        await RunAsync(repo, "e1", "0.3");
        await RunAsync(repo, "e2", "0.4");
        await repo.ExpOkAsync("push", "origin", "e0", "e1", "e2");
        var refs = await repo.ExperimentRefsAsync();

        await repo.ExpOkAsync("remove", "-g", "origin", refs[0], "e1");

        Assert.Equal(refs.Last(), (await origin.GitAsync("for-each-ref", "--format=%(refname)", "refs/exps/")).Trim());
        Assert.Equal(refs, await repo.ExperimentRefsAsync());
        var missing = await repo.ExpAsync("remove", "--git-remote", "origin", "foo");
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("no experiment named 'foo' on 'origin'", Assert.Single(missing.ErrorLines));
    }

    private static async Task<List<string>> NamesAsync(TempGitRepo repo) =>
        (await repo.ExperimentRefsAsync()).Select(r => r[(r.LastIndexOf('/') + 1)..]).Order(StringComparer.Ordinal).ToList();
}
