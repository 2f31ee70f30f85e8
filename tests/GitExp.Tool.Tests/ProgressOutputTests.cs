using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// Hashing and caching of large outs: a line that updates in place on a terminal and is gone when the work is done;
/// nothing when the output is redirected, one line with the totals with <c>-v</c>, nothing with <c>-q</c>.
/// </summary>
public sealed class ProgressOutputTests
{
    private const string ClearLine = "\r\u001b[2K";

    /// <summary>A stage whose out is a folder of 30 files of 1 MiB (random bytes, so no two share an object).</summary>
    private static Task<QueueProject> LargeOutProjectAsync() =>
        QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                ["make.sh"] = "mkdir -p data\nfor i in $(seq 1 30); do head -c 1048576 /dev/urandom > data/f$i.bin; done\n",
                ["exp.yaml"] = """
                stages:
                  make:
                    cmd: sh make.sh
                    deps: [make.sh]
                    outs: [data]

                """,
            }
        );

    /// <summary>What the screen shows: a line cleared and rewritten keeps only its last text.</summary>
    private static List<string> Screen(string output) =>
        output
            .Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split('\n')
            .Select(l =>
                l[(l.LastIndexOf(ClearLine, StringComparison.Ordinal) + 1)..].Replace("\u001b[2K", "", StringComparison.Ordinal)
            )
            .ToList();

    [Fact]
    public async Task Caching_a_large_out_on_a_terminal_is_one_line_that_updates_in_place_and_goes_when_done()
    {
        await using var project = await LargeOutProjectAsync();

        var run = await ExpTool.RunOnSizelessTerminalAsync(project.Root, "run", "-n", "big");

        Assert.NotNull(run);
        Assert.True(run.ExitCode == 0, run.ToString());
        // Shown as soon as the work is known, then rewritten in place (at most ten times a second).
        Assert.Contains("Caching outs of 'make': 0 B of 30.0 MiB, 0 of 30 files", run.StdOut);
        Assert.Contains(ClearLine + "Caching outs of 'make': ", run.StdOut);
        Assert.DoesNotContain(Screen(run.StdOut), l => l.Contains("Caching outs", StringComparison.Ordinal));
        Assert.Contains(Screen(run.StdOut), l => l.StartsWith("Stage 'make' ran in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redirected_run_shows_no_progress_verbose_one_line_of_totals_and_quiet_nothing()
    {
        await using var project = await LargeOutProjectAsync();

        var plain = await project.ExpOkAsync("run", "-n", "plain");
        var verbose = await project.ExpOkAsync("run", "-f", "-n", "verbose", "-v");
        var quiet = await project.ExpOkAsync("run", "-f", "-n", "quiet", "-q");

        Assert.DoesNotContain("Caching", plain.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Hashing", plain.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", plain.StdOut, StringComparison.Ordinal);
        var totals = Assert.Single(
            verbose.StdOut.ReplaceLineEndings("\n").Split('\n'),
            l => l.Contains("outs of", StringComparison.Ordinal)
        );
        Assert.Matches(@"^Cached outs of 'make': 30\.0 MiB, 30 files in \d+\.\d s\.$", totals);
        Assert.DoesNotContain("\u001b", verbose.StdOut, StringComparison.Ordinal);
        Assert.Equal("", quiet.StdOut);
    }

    [Fact]
    public async Task Status_that_must_read_files_shows_hashing_on_a_terminal_and_nothing_when_redirected()
    {
        await using var project = await LargeOutProjectAsync();
        await project.ExpOkAsync("run", "-n", "big");
        var state = Path.Combine(project.Root, ".exp", "tmp", "state");

        File.Delete(state);
        var terminal = await ExpTool.RunOnSizelessTerminalAsync(project.Root, "status");
        File.Delete(state);
        var redirected = await project.ExpOkAsync("status");

        Assert.NotNull(terminal);
        Assert.True(terminal.ExitCode == 0, terminal.ToString());
        // The dep (make.sh) is found first, then the out's 30 files: the totals grow as files to read are found.
        Assert.Matches(@"Hashing files of 'make': [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B, \d+ of \d+ files?", terminal.StdOut);
        Assert.Equal("Everything is up to date.", Screen(terminal.StdOut).Single(l => l.Length > 0).Trim());
        Assert.Equal("Everything is up to date.\n", redirected.StdOut.ReplaceLineEndings("\n"));
    }
}
