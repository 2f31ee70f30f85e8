using GitExp.Core.Git;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Git;

public sealed class GitRepositoryTests : IDisposable
{
    private readonly TempGitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Workspace_tree_holds_changes_and_untracked_files_but_not_ignored_ones_and_leaves_the_index_alone()
    {
        _repo.Write(".gitignore", "*.log\n");
        _repo.Write("README.md", "changed\n");
        _repo.Write("new/file.txt", "new\n");
        _repo.Write("debug.log", "ignored\n");
        _repo.Write("model.bin", "cached out\n");
        var index = _repo.IndexFingerprint();
        var git = await _repo.OpenAsync();

        var tree = await git.WriteWorkspaceTreeAsync(["model.bin"]);

        var files = _repo.Git("ls-tree", "-r", "--name-only", tree).Split('\n');
        Assert.Equal([".gitignore", "README.md", "new/file.txt"], files);
        Assert.Equal("changed", _repo.Git("cat-file", "-p", tree + ":README.md"));
        Assert.Equal(index, _repo.IndexFingerprint());
        Assert.Contains("?? new/", _repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task Ref_update_with_a_stale_old_value_is_refused_and_changes_nothing()
    {
        var git = await _repo.OpenAsync();
        var head = await git.HeadCommitAsync();
        await git.UpdateRefsAsync([new RefUpdate("refs/exps/test/a", head, GitRepository.ZeroId)], "test");

        var error = await Assert.ThrowsAsync<ExpException>(() =>
            git.UpdateRefsAsync(
                [
                    new RefUpdate("refs/exps/test/b", head, GitRepository.ZeroId),
                    new RefUpdate("refs/exps/test/a", null, new string('1', 40)),
                ],
                "test"
            )
        );

        Assert.Equal(ExitCode.Conflict, error.Code);
        Assert.Equal(head, await git.ResolveCommitAsync("refs/exps/test/a"));
        Assert.Null(await git.ResolveCommitAsync("refs/exps/test/b"));
    }

    [Fact]
    public async Task Listing_refs_gives_commit_tree_parent_and_subject()
    {
        var git = await _repo.OpenAsync();
        var head = await git.HeadCommitAsync();
        var tree = await git.TreeOfAsync(head);
        var commit = await git.CommitTreeAsync(tree, [head], "exp: first\n\nbody\n");
        await git.UpdateRefsAsync([new RefUpdate("refs/exps/ab/cd/first", commit, GitRepository.ZeroId)], "test");

        var refs = await git.ListRefsAsync("refs/exps/");

        var info = Assert.Single(refs);
        Assert.Equal(
            ("refs/exps/ab/cd/first", commit, tree, head, "exp: first"),
            (info.Name, info.Commit, info.Tree, info.Parents.Single(), info.Subject)
        );
    }

    [Fact]
    public async Task Listed_refs_read_their_commit_facts_once_and_then_from_the_cache_with_the_same_result()
    {
        var git = await _repo.OpenAsync();
        var head = await git.HeadCommitAsync();
        var tree = await git.TreeOfAsync(head);
        var commit = await git.CommitTreeAsync(
            tree,
            [head],
            "exp: first\n\nbody\n\nExp-Step: 3\nExp-Note: folded\n  over two lines\n"
        );
        await git.UpdateRefsAsync([new RefUpdate("refs/exps/ab/cd/first", commit, GitRepository.ZeroId)], "test");
        var cachePath = System.IO.Path.Combine(_repo.Path, "commit-facts");
        git.CommitFactsCache = new GitExp.Core.Project.FactsFile(cachePath);

        var fresh = Assert.Single(await git.ListRefsAsync("refs/exps/"));
        Assert.True(File.Exists(cachePath));
        // Poison git's answer: a listing that still asked git for the commit's facts would now fail.
        _repo.Git("replace", commit, head);
        git.CommitFactsCache = new GitExp.Core.Project.FactsFile(cachePath);
        var cached = Assert.Single(await git.ListRefsAsync("refs/exps/"));

        Assert.Equal("Exp-Step: 3\nExp-Note: folded over two lines\n", fresh.Trailers);
        Assert.Equal(
            (fresh.Name, fresh.Commit, fresh.Tree, fresh.Parents.Single(), fresh.CommitTime, fresh.Subject, fresh.Trailers),
            (cached.Name, cached.Commit, cached.Tree, cached.Parents.Single(), cached.CommitTime, cached.Subject, cached.Trailers)
        );
    }

    [Fact]
    public async Task Object_reader_reads_many_blobs_in_order_and_reports_missing_ones_as_null()
    {
        var big = new string('x', 300_000);
        _repo.Write("big.txt", big);
        _repo.Git("add", "big.txt");
        _repo.Git("commit", "-q", "-m", "big");
        var git = await _repo.OpenAsync();
        using var reader = git.OpenObjectReader();
        // Far more reply bytes than a pipe buffer holds: reading must not deadlock against writing.
        var names = Enumerable
            .Range(0, 40)
            .SelectMany(_ => new[] { "HEAD:big.txt", "HEAD:missing.txt", "HEAD:README.md" })
            .ToList();

        var blobs = reader.ReadMany(names);

        for (var i = 0; i < names.Count; i += 3)
        {
            Assert.Equal(big.Length, blobs[i]!.Length);
            Assert.Null(blobs[i + 1]);
            Assert.Equal("hello\n", System.Text.Encoding.UTF8.GetString(blobs[i + 2]!));
        }

        Assert.Equal("hello\n", reader.ReadText("HEAD:README.md"));
    }

    [Fact]
    public async Task Object_reader_hands_each_object_to_the_callback_in_request_order_with_missing_ones_as_null()
    {
        var big = new string('y', 200_000);
        _repo.Write("big.txt", big);
        _repo.Git("add", "big.txt");
        _repo.Git("commit", "-q", "-m", "big");
        var git = await _repo.OpenAsync();
        using var reader = git.OpenObjectReader();
        var names = Enumerable.Range(0, 30).SelectMany(_ => new[] { "HEAD:big.txt", "HEAD:nope" }).ToList();
        var seen = new List<(int Index, int? Length)>();

        reader.ReadEach(names, (index, bytes) => seen.Add((index, bytes?.Length)));

        Assert.Equal(Enumerable.Range(0, names.Count), seen.Select(s => s.Index));
        Assert.All(seen, s => Assert.Equal(s.Index % 2 == 0 ? big.Length : null, s.Length));
        // The reader is left at a reply boundary: the next request gets its own answer.
        Assert.Equal("hello\n", reader.ReadText("HEAD:README.md"));
    }

    [Fact]
    public async Task Checking_out_a_tree_changes_adds_and_deletes_files_without_touching_head_or_index()
    {
        var git = await _repo.OpenAsync();
        var head = await git.HeadCommitAsync();
        var headTree = await git.TreeOfAsync(head);
        _repo.Write("README.md", "experiment\n");
        _repo.Write("added.txt", "added\n");
        var target = await git.WriteWorkspaceTreeAsync([]);
        _repo.Git("checkout", "--", "README.md");
        File.Delete(Path.Combine(_repo.Path, "added.txt"));
        var index = _repo.IndexFingerprint();

        await git.CheckoutTreeAsync(headTree, target);

        Assert.Equal("experiment\n", _repo.Read("README.md"));
        Assert.Equal("added\n", _repo.Read("added.txt"));
        Assert.Equal(head, await git.HeadCommitAsync());
        Assert.Equal(index, _repo.IndexFingerprint());

        await git.CheckoutTreeAsync(target, headTree);

        Assert.False(File.Exists(Path.Combine(_repo.Path, "added.txt")));
        Assert.Equal("hello\n", _repo.Read("README.md"));
    }

    [Fact]
    public async Task Outside_a_repository_is_a_user_error()
    {
        using var folder = new TempFolder();

        var error = await Assert.ThrowsAsync<ExpException>(() => GitRepository.DiscoverAsync(folder.Path));

        Assert.Equal(ExitCode.NotARepository, error.Code);
        Assert.Contains("git init", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repository_without_commits_is_a_user_error()
    {
        using var folder = new TempFolder();
        System
            .Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["init", "-q", folder.Path]))!
            .WaitForExit();
        var git = await GitRepository.DiscoverAsync(folder.Path);

        var error = await Assert.ThrowsAsync<ExpException>(() => git.HeadCommitAsync());

        Assert.Equal(ExitCode.NotARepository, error.Code);
        Assert.Contains("no commit", error.Message, StringComparison.Ordinal);
    }
}
