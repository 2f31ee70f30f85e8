using System.Security.Cryptography;
using System.Text;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// Deps outside the repository (decision 37): AndreaVidali/dvc-dag's fixture project tracks its tool's code at
/// <c>../../../src</c>, dberenbaum/datacomp a shared <c>/mnt/efs</c> folder. DVC hashes them where they are, records
/// them in dvc.lock as written and never caches them.
/// </summary>
public sealed class OutsideDepTests : IDisposable
{
    // The repository sits in a folder of its own, so '../shared' is a real place beside it that the test owns.
    private readonly TempGitRepo _outer = TempGitRepo.CreateEmptyFolder();

    public void Dispose() => _outer.Dispose();

    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    private async Task<TempGitRepo> ProjectAsync(string cmd)
    {
        _outer.WriteFile("shared/labels.txt", "a\n");
        _outer.WriteFile("data.txt", "1\n");
        var project = Path.Combine(_outer.Root, "project");
        Directory.CreateDirectory(project);
        var repo = await TempGitRepo.InitInAsync(project);
        repo.WriteFile(
            "dvc.yaml",
            $"stages:\n  train:\n    cmd: {cmd}\n    deps:\n    - ../shared/labels.txt\n    - {_outer.FullPath("data.txt")}\n    outs:\n    - out.txt\n"
        );
        await repo.CommitAllAsync("A pipeline reading files beside the repository");
        return repo;
    }

    [Fact]
    public async Task A_dep_outside_the_repository_is_locked_as_written_and_a_change_to_it_reruns_the_stage()
    {
        using var repo = await ProjectAsync("(echo out; cat ../shared/labels.txt) > out.txt");

        await repo.ExpOkAsync("run", "-n", "first");

        Assert.Equal("out\na\n", repo.ReadFile("out.txt"));
        var lockText = repo.ReadFile("dvc.lock");
        Assert.Contains(
            $"    - path: ../shared/labels.txt\n      hash: md5\n      md5: {Md5("a\n")}\n      size: 2\n",
            lockText,
            StringComparison.Ordinal
        );
        Assert.Contains(
            $"    - path: {_outer.FullPath("data.txt")}\n      hash: md5\n      md5: {Md5("1\n")}\n",
            lockText,
            StringComparison.Ordinal
        );
        // Hashed, never cached: only the out is in the cache.
        Assert.True(repo.Exists($".exp/cache/files/md5/{Md5("out\na\n")[..2]}/{Md5("out\na\n")[2..]}"));
        Assert.False(repo.Exists($".exp/cache/files/md5/{Md5("a\n")[..2]}/{Md5("a\n")[2..]}"));
        Assert.False(repo.Exists($".exp/cache/files/md5/{Md5("1\n")[..2]}/{Md5("1\n")[2..]}"));
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());

        _outer.WriteFile("shared/labels.txt", "b\n");
        _outer.WriteFile("data.txt", "2\n");
        var status = (await repo.ExpOkAsync("status")).StdOut;
        Assert.Contains("dep '../shared/labels.txt' modified", status, StringComparison.Ordinal);
        Assert.Contains($"dep '{_outer.FullPath("data.txt")}' modified", status, StringComparison.Ordinal);

        await repo.ExpOkAsync("run", "-n", "second");

        Assert.Equal("out\nb\n", repo.ReadFile("out.txt"));
        Assert.Contains($"md5: {Md5("b\n")}", repo.ReadFile("dvc.lock"), StringComparison.Ordinal);
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
    }

    [Fact]
    public async Task A_missing_dep_outside_the_repository_is_missing_to_status_and_stops_the_run_in_one_line()
    {
        using var repo = await ProjectAsync("cat ../shared/labels.txt > out.txt");
        await repo.ExpOkAsync("run", "-n", "first");
        File.Delete(_outer.FullPath("shared/labels.txt"));

        Assert.Contains("dep '../shared/labels.txt' missing", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);
        var run = await repo.ExpAsync("run", "-n", "second");

        Assert.NotEqual(0, run.ExitCode);
        var error = Assert.Single(run.ErrorLines);
        Assert.Contains("depends on '../shared/labels.txt', which does not exist", error, StringComparison.Ordinal);
    }

    // A queued or temp run works in a copy under .exptmp/<id>; '../shared' from there is another place, so the dep
    // is read where the workspace has it, and the experiment's lock is the one a workspace run writes.
    [Fact]
    public async Task A_queued_or_temp_run_reads_a_relative_dep_outside_the_repository_beside_the_workspace()
    {
        using var repo = await ProjectAsync("echo trained > out.txt");

        await repo.ExpOkAsync("run", "--queue", "-n", "queued");
        await repo.ExpOkAsync("run", "--run-all");
        await repo.ExpOkAsync("run", "--temp", "--wait", "-n", "temp");

        var head = await repo.HeadAsync();
        foreach (var name in new[] { "queued", "temp" })
        {
            var lockText = await repo.GitAsync("show", TempGitRepo.ExperimentRef(head, name) + ":dvc.lock");
            Assert.Contains(
                $"- path: ../shared/labels.txt\n      hash: md5\n      md5: {Md5("a\n")}",
                lockText.ReplaceLineEndings("\n"),
                StringComparison.Ordinal
            );
        }
    }

    [Fact]
    public async Task A_cached_out_outside_the_repository_is_refused_in_one_line_and_an_uncached_one_is_written_there()
    {
        using var repo = await ProjectAsync("cat ../shared/labels.txt > out.txt");
        repo.WriteFile(
            "dvc.yaml",
            "stages:\n  copy:\n    cmd: cp ../shared/labels.txt ../copy.txt\n    deps:\n    - ../shared/labels.txt\n    outs:\n    - ../copy.txt\n"
        );

        var refused = await repo.ExpAsync("run");

        Assert.NotEqual(0, refused.ExitCode);
        var error = Assert.Single(refused.ErrorLines);
        Assert.Contains(
            "dvc.yaml:7:7: stage 'copy': 'outs': '../copy.txt' is outside the repository, where a cached out cannot be",
            error,
            StringComparison.Ordinal
        );
        Assert.False(File.Exists(_outer.FullPath("copy.txt")));

        repo.WriteFile(
            "dvc.yaml",
            "stages:\n  copy:\n    cmd: cp ../shared/labels.txt ../copy.txt\n    deps:\n    - ../shared/labels.txt\n    outs:\n    - ../copy.txt:\n        cache: false\n"
        );
        await repo.ExpOkAsync("run");

        Assert.Equal("a\n", File.ReadAllText(_outer.FullPath("copy.txt")));
        Assert.Contains(
            $"  - path: ../copy.txt\n      hash: md5\n      md5: {Md5("a\n")}",
            repo.ReadFile("dvc.lock"),
            StringComparison.Ordinal
        );
        Assert.Equal("Everything is up to date.", (await repo.ExpOkAsync("status")).StdOut.Trim());
        File.WriteAllText(_outer.FullPath("copy.txt"), "edited\n");
        Assert.Contains("out '../copy.txt' modified", (await repo.ExpOkAsync("status")).StdOut, StringComparison.Ordinal);
    }
}
