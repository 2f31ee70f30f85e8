using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Cache remotes over SSH/SFTP, against OpenSSH's sshd on a loopback port (one per class).</summary>
public sealed class SshRemoteTests(SshServer server) : IClassFixture<SshServer>
{
    private Task<ToolResult> ExpAsync(TempGitRepo repo, params string[] args) =>
        ExpTool.RunAsync(repo.Root, server.Environment, args);

    private async Task<ToolResult> ExpOkAsync(TempGitRepo repo, params string[] args)
    {
        var result = await ExpAsync(repo, args);
        Assert.True(result.ExitCode == 0, $"dotnet exp {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    [Fact]
    public async Task Exp_push_over_ssh_and_pull_into_a_clone_restores_byte_identical_outs_and_refuses_a_tampered_object()
    {
        using var project = await CacheRemoteProject.CreateAsync();
        var repo = project.Repo;
        var (folder, url) = server.NewRemoteFolder();
        await ExpOkAsync(repo, "remote", "add", "box", url, "-d");
        await repo.CommitAllAsync("Add the cache remote");
        await repo.GitAsync("push", "-q", "origin", "main");
        await ExpOkAsync(repo, "run", "-n", "exp-a", "-S", "seed=2");

        var pushed = await ExpOkAsync(repo, "push", "origin", "exp-a", "-j", "2");

        Assert.Contains("Pushed 5 objects", pushed.StdOut);
        Assert.Contains("to cache remote 'box'", pushed.StdOut);
        Assert.Equal(5, CacheRemoteProject.Objects(folder).Count);
        CacheRemoteProject.AssertObjectsIntact(folder);
        Assert.Empty(Directory.GetFiles(folder, ".*.tmp", SearchOption.AllDirectories));
        Assert.Contains("5 already there", (await ExpOkAsync(repo, "cache", "push")).StdOut);

        using var clone = await TempGitRepo.CloneAsync(project.Origin.Root);
        var model = Path.Combine(folder, "sha256", await ObjectOfAsync(repo, "exp-a", "model.bin"));
        CacheRemoteProject.Tamper(model);

        var refused = await ExpAsync(clone, "pull", "origin", "exp-a");

        Assert.Equal(7, refused.ExitCode);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("'model.bin'", line);
        Assert.Contains("damaged", line);
        Assert.DoesNotContain("   at ", refused.StdErr);

        File.Delete(model);
        await ExpOkAsync(repo, "push", "origin", "exp-a");
        var pulled = await ExpOkAsync(clone, "pull", "origin", "exp-a");
        Assert.Contains("from cache remote 'box'", pulled.StdOut);
        var applied = await ExpOkAsync(clone, "apply", "exp-a");
        Assert.Empty(applied.ErrorLines);
        CacheRemoteProject.AssertSameFiles(repo, clone, "model.bin");
        CacheRemoteProject.AssertSameFiles(repo, clone, "data");
        CheckpointChain.AssertCacheIntact(clone);
    }

    [Fact]
    public async Task A_push_killed_mid_way_leaves_only_whole_objects_and_the_next_push_sends_the_rest()
    {
        using var project = await CacheRemoteProject.CreateAsync(files: 40, kib: 1024);
        var repo = project.Repo;
        var (folder, url) = server.NewRemoteFolder();
        await ExpOkAsync(repo, "remote", "add", "box", url, "-d");
        await ExpOkAsync(repo, "run");
        const int total = 42; // 40 files, data/'s manifest and model.bin

        using (var push = ExpTool.Start(repo.Root, server.Environment, "cache", "push", "-j", "1"))
        {
            await QueueProject.WaitUntilAsync(
                () => Task.FromResult(CacheRemoteProject.Objects(folder).Count >= 3),
                "the push sent 3 objects"
            );
            push.Kill();
            await push.WaitAsync();
        }

        var sent = CacheRemoteProject.Objects(folder).Count;
        Assert.InRange(sent, 3, total - 1);
        CacheRemoteProject.AssertObjectsIntact(folder);

        var resumed = await ExpOkAsync(repo, "cache", "push");

        Assert.Contains($"Pushed {total - sent} objects", resumed.StdOut);
        Assert.Contains($"{sent} already there", resumed.StdOut);
        Assert.Equal(total, CacheRemoteProject.Objects(folder).Count);
        CacheRemoteProject.AssertObjectsIntact(folder);
    }

    [Fact]
    public async Task A_host_key_not_in_known_hosts_is_refused_in_one_line()
    {
        using var project = await CacheRemoteProject.CreateAsync(files: 1);
        var repo = project.Repo;
        var (_, url) = server.NewRemoteFolder();
        await ExpOkAsync(repo, "remote", "add", "box", url, "-d");
        await ExpOkAsync(repo, "run");
        var home = Path.Combine(server.Folder, "stranger");
        Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        File.Copy(Path.Combine(server.Home, ".ssh", "config"), Path.Combine(home, ".ssh", "config"));
        File.Copy(Path.Combine(server.Home, ".ssh", "id_test"), Path.Combine(home, ".ssh", "id_test"));

        var result = await ExpTool.RunAsync(repo.Root, new Dictionary<string, string> { ["HOME"] = home }, "cache", "status");

        Assert.Equal(7, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("host key", line);
        Assert.Contains("known_hosts", line);
        Assert.Contains($"ssh -p {server.Port}", line);
    }

    /// <summary>"ab/cdef…": where the object of an out an experiment's lock records lives under <c>sha256/</c>.</summary>
    private static async Task<string> ObjectOfAsync(TempGitRepo repo, string experiment, string path)
    {
        var head = await repo.HeadAsync();
        var text = await repo.GitAsync("show", $"{TempGitRepo.ExperimentRef(head, experiment)}:exp.lock");
        var sha = System
            .Text.RegularExpressions.Regex.Match(
                text,
                $@"path: {System.Text.RegularExpressions.Regex.Escape(path)}\s+sha256: ([0-9a-f]{{64}})"
            )
            .Groups[1]
            .Value;
        return Path.Combine(sha[..2], sha[2..]);
    }
}
