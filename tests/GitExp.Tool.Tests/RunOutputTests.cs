using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// What <c>exp run</c> prints when its output is redirected: the checkpoints of a stage in one line (not one line
/// each), every checkpoint with <c>-v</c>, nothing but errors with <c>-q</c>.
/// </summary>
public sealed class RunOutputTests
{
    private const int Steps = 5;

    /// <summary>A stage that records <see cref="Steps"/> checkpoints through the bash protocol snippet.</summary>
    private static async Task<QueueProject> CheckpointingProjectAsync()
    {
        var snippet = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snippets", "checkpoint.sh"));
        return await QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                ["train.sh"] =
                    snippet
                    + ": > model.txt\n"
                    + $"for STEP in $(seq 1 {Steps}); do\n  echo \"step $STEP\" >> model.txt\n  checkpoint\ndone\n",
                ["exp.yaml"] = """
                stages:
                  train:
                    cmd: bash train.sh
                    deps:
                      - train.sh
                    outs:
                      - model.txt:
                          checkpoint: true

                """,
            }
        );
    }

    [Fact]
    public async Task Checkpoints_of_a_stage_are_told_in_one_line_when_output_is_redirected()
    {
        await using var project = await CheckpointingProjectAsync();

        var run = await project.ExpOkAsync("run", "-n", "steps");

        var line = Assert.Single(Lines(run.StdOut), l => l.StartsWith("Checkpoint", StringComparison.Ordinal));
        Assert.Matches($@"^Checkpoint {Steps} of 'steps' recorded \([0-9a-f]{{7}}\); {Steps} checkpoints this run", line);
        Assert.Contains("Running stage 'train':", run.StdOut);
        Assert.Matches(@"\nStage 'train' ran in \d+\.\d s\.\n", run.StdOut);
        Assert.Contains("Ran experiment 'steps'", run.StdOut);
    }

    [Fact]
    public async Task Checkpoints_on_a_terminal_are_one_line_that_updates_in_place()
    {
        await using var project = await CheckpointingProjectAsync();

        var run = await ExpTool.RunOnSizelessTerminalAsync(project.Repo.Root, "run", "-n", "steps");

        Assert.NotNull(run);
        Assert.True(run.ExitCode == 0, run.ToString());
        // What the screen shows: a line cleared and rewritten ("\r" then erase-line) keeps only its last text.
        var screen = run
            .StdOut.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split('\n')
            .Select(l =>
                l[(l.LastIndexOf("\r\u001b[2K", StringComparison.Ordinal) + 1)..]
                    .Replace("\u001b[2K", "", StringComparison.Ordinal)
            )
            .ToList();
        var line = Assert.Single(screen, l => l.StartsWith("Checkpoint", StringComparison.Ordinal));
        Assert.StartsWith($"Checkpoint {Steps} of 'steps' recorded", line);
        // Every checkpoint was shown, each in place of the one before.
        Assert.All(Enumerable.Range(1, Steps), s => Assert.Contains($"Checkpoint {s} of 'steps' recorded", run.StdOut));
        Assert.Contains("\r\u001b[2K", run.StdOut);
    }

    [Fact]
    public async Task Verbose_run_lists_every_checkpoint()
    {
        await using var project = await CheckpointingProjectAsync();

        var run = await project.ExpOkAsync("run", "-n", "steps", "-v");

        Assert.Equal(
            [.. Enumerable.Range(1, Steps).Select(s => $"Checkpoint {s} of 'steps' recorded")],
            Lines(run.StdOut).Where(l => l.StartsWith("Checkpoint", StringComparison.Ordinal)).Select(l => l[..^11])
        );
    }

    [Fact]
    public async Task Quiet_run_prints_nothing_but_records_the_experiment()
    {
        await using var project = await CheckpointingProjectAsync();

        var run = await project.ExpOkAsync("run", "-n", "steps", "-q");

        Assert.Equal("", run.StdOut);
        Assert.Equal("", run.StdErr);
        Assert.Contains("steps", (await project.ExpOkAsync("list")).StdOut);
    }

    [Fact]
    public async Task Quiet_queue_and_run_all_print_nothing_but_the_failure_and_verbose_shows_each_entrys_run_by_id()
    {
        await using var project = await QueueProject.CreateTrainingAsync();

        var queued = await project.ExpOkAsync("run", "--queue", "-q", "-S", "lr=0.2,0.3", "-n", "quiet");
        var ran = await project.ExpOkAsync("run", "--run-all", "-q");
        await project.ExpOkAsync("run", "--queue", "-q", "-n", "doomed", "-S", "fail=3");
        var failed = await project.ExpAsync("run", "--run-all", "-q");

        Assert.Equal("", queued.StdOut + queued.StdErr);
        Assert.Equal("", ran.StdOut + ran.StdErr);
        Assert.Equal("", failed.StdOut);
        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("experiment 'doomed'", Assert.Single(failed.ErrorLines));
        var names = (await project.ExpOkAsync("list", "--name-only")).StdOut;
        Assert.Contains("quiet-1", names);
        Assert.Contains("quiet-2", names);

        var entry = (await project.ExpOkAsync("run", "--queue", "-n", "loud", "-S", "lr=0.4")).StdOut.Split("with id ")[1][..10];
        var verbose = await project.ExpOkAsync("run", "--run-all", "-v");

        var lines = Lines(verbose.StdOut);
        Assert.Contains($"[{entry}] Running stage 'train':", lines);
        Assert.Contains($"[{entry}] > sh train.sh", lines);
        Assert.Contains(lines, l => l.StartsWith($"[{entry}] loud: succeeded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Quiet_and_verbose_together_are_refused_in_one_line()
    {
        await using var project = await CheckpointingProjectAsync();

        var run = await project.ExpAsync("run", "-q", "-v");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["error: --quiet and --verbose cannot be used together: choose one"], run.ErrorLines);
    }

    [Theory]
    [InlineData(4.2, "4.2 s")]
    [InlineData(187, "3 min 07 s")]
    [InlineData(7500, "2 h 05 min")]
    public void Elapsed_time_reads_in_the_largest_units_that_fit(double seconds, string expected) =>
        Assert.Equal(expected, GitExp.Tool.Rendering.RunEventsWriter.Elapsed(TimeSpan.FromSeconds(seconds)));

    private static List<string> Lines(string text) => [.. text.ReplaceLineEndings("\n").Split('\n')];
}
