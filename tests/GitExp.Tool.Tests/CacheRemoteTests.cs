using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Cache remotes in a folder: <c>remote</c> commands, <c>exp push/pull</c> with outs, <c>cache push|pull|status</c>.</summary>
public sealed class CacheRemoteTests
{
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
    public async Task Exp_push_sends_the_outs_to_a_folder_remote_and_a_pulled_clone_applies_them_byte_identical()
    {
        using var project = await CacheRemoteProject.CreateAsync();
        var repo = project.Repo;
        using var storage = TempGitRepo.CreateEmptyFolder();
        await repo.ExpOkAsync("remote", "add", "storage", storage.Root, "-d");
        await repo.CommitAllAsync("Add the cache remote");
        await repo.GitAsync("push", "-q", "origin", "main");
        await repo.ExpOkAsync("run", "-n", "exp-a", "-S", "seed=2");

        var pushed = await repo.ExpOkAsync("push", "origin", "exp-a");

        Assert.Contains("Pushed experiment 'exp-a'", pushed.StdOut);
        // data/ (3 files and its manifest) and model.bin: 5 objects.
        Assert.True(pushed.StdOut.Contains("Pushed 5 objects", StringComparison.Ordinal), pushed.ToString());
        Assert.Contains("to cache remote 'storage'", pushed.StdOut);
        Assert.Contains("0 already there.", pushed.StdOut);
        Assert.Equal(5, CacheRemoteProject.Objects(storage.Root).Count);
        CacheRemoteProject.AssertObjectsIntact(storage.Root);

        var again = await repo.ExpOkAsync("push", "origin", "exp-a", "--run-cache");
        Assert.Contains("already up to date on 'origin'", again.StdOut);
        Assert.Contains("1 run-cache entries.", again.StdOut);
        Assert.Matches(@"Pushed \d+ objects? .*; [5-9] already there", again.StdOut);
        Assert.Single(Directory.GetFiles(Path.Combine(storage.Root, "runs"), "*", SearchOption.AllDirectories));

        using var clone = await TempGitRepo.CloneAsync(project.Origin.Root);
        var pulled = await clone.ExpOkAsync("pull", "origin", "--run-cache");

        Assert.Contains("Pulled experiment 'exp-a'", pulled.StdOut);
        Assert.Matches(@"Pulled [5-9] objects", pulled.StdOut);
        Assert.DoesNotContain("not transferred", pulled.StdOut);
        var applied = await clone.ExpOkAsync("apply", "exp-a");
        Assert.Empty(applied.ErrorLines);
        CacheRemoteProject.AssertSameFiles(repo, clone, "model.bin");
        CacheRemoteProject.AssertSameFiles(repo, clone, "data");

        // The run-cache came along: the same inputs in the clone restore the outs instead of running the stage.
        await clone.GitAsync("checkout", "-q", "--", ".");
        await clone.GitAsync("clean", "-q", "-fdx", "-e", ".exp");
        Assert.False(clone.Exists("model.bin"));
        clone.WriteFile("params.yaml", "seed: 2\n");
        var rerun = await clone.ExpOkAsync("run", "-n", "exp-again");
        Assert.Contains("restoring its outs from the run-cache", rerun.StdOut);
    }

    [Fact]
    public async Task Cache_pull_refuses_a_tampered_object_and_names_an_object_the_remote_lacks()
    {
        using var project = await CacheRemoteProject.CreateAsync(files: 1);
        var repo = project.Repo;
        using var storage = TempGitRepo.CreateEmptyFolder();
        await repo.ExpOkAsync("remote", "add", "storage", storage.Root);
        await repo.ExpOkAsync("run");
        await repo.CommitAllAsync("Run");
        await repo.GitAsync("push", "-q", "origin", "main");

        var status = await repo.ExpOkAsync("cache", "status", "-r", "storage");
        Assert.Contains("new:     data", status.StdOut);
        Assert.Contains("new:     model.bin", status.StdOut);
        await repo.ExpOkAsync("cache", "push", "-r", "storage", "-j", "2");
        Assert.Contains("in sync (2 outs)", (await repo.ExpOkAsync("cache", "status", "-r", "storage")).StdOut);

        using var clone = await TempGitRepo.CloneAsync(project.Origin.Root);
        var model = await clone.GitAsync("show", "HEAD:exp.lock");
        var sha = System.Text.RegularExpressions.Regex.Match(model, @"path: model\.bin\s+sha256: ([0-9a-f]{64})").Groups[1].Value;
        var remoteObject = Path.Combine(storage.Root, "sha256", sha[..2], sha[2..]);
        CacheRemoteProject.Tamper(remoteObject);

        var refused = await clone.ExpAsync("cache", "pull", "-r", "storage");

        AssertOneLineError(refused, 7, sha, "'model.bin'", "damaged", "'storage'");
        Assert.False(File.Exists(clone.FullPath($".exp/cache/sha256/{sha[..2]}/{sha[2..]}")));
        Assert.False(clone.Exists("model.bin"));
        Assert.Empty(Directory.GetFiles(clone.FullPath(".exp/cache/tmp")));

        File.Delete(remoteObject);
        var missing = await clone.ExpAsync("cache", "pull", "-r", "storage", "model.bin");
        AssertOneLineError(missing, 5, sha, "'model.bin'", "missing on remote 'storage'");

        // Pushed again from the clone that has it, the pull completes and restores the absent outs.
        await repo.ExpOkAsync("cache", "push", "-r", "storage");
        var pulled = await clone.ExpOkAsync("cache", "pull", "-r", "storage");
        Assert.Matches(@"Pulled [12] objects?", pulled.StdOut);
        Assert.Contains("Restored 2 outs", pulled.StdOut);
        CacheRemoteProject.AssertSameFiles(repo, clone, "model.bin");
        CacheRemoteProject.AssertSameFiles(repo, clone, "data");
    }

    [Fact]
    public async Task Remote_commands_keep_credentials_in_the_ignored_local_file_and_read_dvc_remotes()
    {
        using var project = await CacheRemoteProject.CreateAsync(files: 1);
        var repo = project.Repo;

        await repo.ExpOkAsync("remote", "add", "box", "ssh://me@example.invalid:2222/srv/cache");
        await repo.ExpOkAsync("remote", "add", "disk", "/mnt/cache", "-d");
        var secret = await repo.ExpOkAsync("remote", "modify", "box", "password", "s3cret");
        await repo.ExpOkAsync("remote", "modify", "box", "user", "alice");

        Assert.Contains(".exp/config.local.yaml", secret.StdOut);
        Assert.DoesNotContain("s3cret", secret.StdOut);
        Assert.DoesNotContain("s3cret", repo.ReadFile(".exp/config.yaml"));
        Assert.Contains("user: \"alice\"", repo.ReadFile(".exp/config.yaml"));
        Assert.Contains("s3cret", repo.ReadFile(".exp/config.local.yaml"));
        var gitStatus = await repo.GitAsync("status", "--porcelain", "--untracked-files=all");
        Assert.DoesNotContain("config.local.yaml", gitStatus);
        Assert.Contains(".exp/config.yaml", gitStatus);

        repo.WriteFile(".dvc/config", "[core]\n    remote = shared\n['remote \"shared\"']\n    url = ../dvc-store\n");
        var list = (await repo.ExpOkAsync("remote", "list")).StdOut;
        Assert.Contains("box     ssh://me@example.invalid:2222/srv/cache", list);
        Assert.Contains("disk    /mnt/cache  (default)", list);
        Assert.Contains("shared  ../dvc-store  (.dvc/config)", list);

        await repo.ExpOkAsync("remote", "default", "box");
        Assert.Equal("box\n", (await repo.ExpOkAsync("remote", "default")).StdOut);
        await repo.ExpOkAsync("remote", "remove", "box");
        Assert.DoesNotContain("box", repo.ReadFile(".exp/config.yaml"));
        Assert.DoesNotContain("s3cret", repo.ReadFile(".exp/config.local.yaml"));
        // core.remote named the removed remote: DVC's default applies again.
        Assert.Equal("shared\n", (await repo.ExpOkAsync("remote", "default")).StdOut);

        AssertOneLineError(await repo.ExpAsync("remote", "add", "disk", "/elsewhere"), 6, "'disk'", "already exists");
        AssertOneLineError(await repo.ExpAsync("remote", "modify", "disk", "colour", "red"), 2, "'colour'", "url, user");
        AssertOneLineError(await repo.ExpAsync("remote", "add", "web", "s3://bucket/x"), 2, "s3://bucket/x", "not supported");
        AssertOneLineError(await repo.ExpAsync("cache", "push", "-r", "nowhere"), 5, "-r 'nowhere'", "dotnet exp remote list");
    }
}
