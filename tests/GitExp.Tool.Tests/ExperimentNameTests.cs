using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Every name a user gives an experiment is checked in full before anything runs or changes.</summary>
public sealed class ExperimentNameTests
{
    public static TheoryData<string, string> BadNames =>
        new()
        {
            { new string('a', 256), "bytes" },
            { string.Concat(Enumerable.Repeat("é", 130)), "bytes" }, // 130 characters, 260 bytes
            { "HEAD", "HEAD" },
            { "FETCH_HEAD", "FETCH_HEAD" },
            { "ORIG_HEAD", "ORIG_HEAD" },
            { "MERGE_HEAD", "MERGE_HEAD" },
            { "workspace", "workspace" },
            { "@{1}", "@{" },
            { "x@{u}", "@{" },
            { "@", "'@'" },
            { "a/b", "/" },
            { "bad..name", "bad..name" },
            { "ends.lock", "ends.lock" },
            { "caret^2", "^" },
        };

    private static void AssertRefused(ToolResult result, string flag, string mention)
    {
        Assert.True(result.ExitCode == 2, $"expected exit 2:\n{result}");
        Assert.DoesNotContain("   at ", result.StdErr);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(flag, line);
        Assert.Contains(mention, line);
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_bad_name_is_refused_by_run_queue_and_rename_before_anything_happens(string name, string mention)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        AssertRefused(await repo.ExpAsync("run", "-n", name), "--name", mention);
        AssertRefused(await repo.ExpAsync("run", "--queue", "-n", name), "--name", mention);
        Assert.Equal(0, repo.TrainRuns());
        Assert.Empty(await repo.ExperimentRefsAsync());
        Assert.Equal("", await repo.GitAsync("status", "--porcelain", "--untracked-files=no"));

        await repo.ExpOkAsync("run", "-n", "good");
        var refs = await repo.ExperimentRefsAsync();
        AssertRefused(await repo.ExpAsync("rename", "good", name), "new name", mention);
        Assert.Equal(refs, await repo.ExperimentRefsAsync());
    }

    [Fact]
    public async Task A_name_of_250_bytes_works_end_to_end()
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        var name = new string('n', 250);

        await repo.ExpOkAsync("run", "-n", name);

        Assert.Equal(name, (await repo.ExpOkAsync("list", "--name-only")).StdOut.Trim());
    }
}
