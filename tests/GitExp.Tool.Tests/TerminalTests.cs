using GitExp.Tool.Rendering;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

public sealed class TerminalTests
{
    [Theory]
    [InlineData("show", "first")]
    [InlineData("runs list", "Status")]
    [InlineData("queue status", "queued")]
    [InlineData("diff", "lr")]
    public async Task Tables_print_on_a_terminal_that_reports_no_size(string command, string shown)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();
        await repo.ExpOkAsync("run", "-n", "first", "-S", "train.lr=0.2");
        await repo.ExpOkAsync("run", "--queue", "-n", "queued", "-S", "train.lr=0.3");

        var result = await ExpTool.RunOnSizelessTerminalAsync(repo.Root, command.Split(' '));

        if (result is null)
        {
            // No 'script' on this machine: the same decision, taken where the width is read.
            Assert.Equal(80, TableWriter.Width(null, true, 0, null));
            return;
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("Console width", result.StdOut);
        Assert.DoesNotContain("   at ", result.StdOut);
        Assert.Contains(shown, result.StdOut);
    }

    [Theory]
    [InlineData(120, null, 120)]
    [InlineData(0, null, 80)]
    [InlineData(0, "100", 100)]
    [InlineData(0, "0", 80)]
    [InlineData(0, "wide", 80)]
    public void A_terminal_without_a_width_falls_back_to_COLUMNS_then_80(int reported, string? columns, int expected) =>
        Assert.Equal(expected, TableWriter.Width(null, true, reported, columns));
}
