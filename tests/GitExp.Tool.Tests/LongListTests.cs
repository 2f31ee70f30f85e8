using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GitExp.Tool.Rendering;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// 500 experiments (decision 0040): a terminal gets a screenful and one line saying how many more there are; redirected
/// output, --json and --csv keep every row; --all on a terminal goes through the pager.
/// </summary>
public sealed partial class LongListTests
{
    private const int Count = 500;
    private static readonly (int Rows, int Columns) Terminal = (40, 200);
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public async Task Show_on_a_terminal_prints_a_screenful_and_the_more_line()
    {
        using var repo = await ManyExperimentsAsync();

        var result = await ExpTool.RunOnTerminalAsync(repo.Root, Terminal, NoEnvironment, "show");

        if (result is null)
        {
            // No 'script' on this machine: the same decision, taken where the height is read.
            Assert.Equal(40, Screen.Height(true, 40, null));
            return;
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.StdOut);
        Assert.True(lines.Count <= Terminal.Rows, $"more than a screenful ({lines.Count} lines):\n{result.StdOut}");
        var shown = ExperimentRows(lines);
        Assert.Equal(Terminal.Rows - 9, shown.Count);
        // The newest first: exp-499 was committed last.
        Assert.Contains("exp-499", shown[0]);
        Assert.Equal(
            $"{Count - shown.Count} more experiments of main not shown: use --limit N or --all",
            lines.Last(l => l.Length > 0)
        );
    }

    [Fact]
    public async Task Show_redirected_prints_every_experiment_and_no_more_line()
    {
        using var repo = await ManyExperimentsAsync();

        var table = await repo.ExpOkAsync("show");
        var csv = await repo.ExpOkAsync("show", "--csv");

        Assert.Equal(Count, ExperimentRows(Lines(table.StdOut)).Count);
        Assert.DoesNotContain("more experiments", table.StdOut);
        Assert.Equal(Count, ExperimentRows(Lines(csv.StdOut)).Count);
    }

    [Fact]
    public async Task Show_limit_cuts_every_format_and_says_how_many_more()
    {
        using var repo = await ManyExperimentsAsync();

        var table = await repo.ExpOkAsync("show", "--limit", "10", "--sort-by", "m", "--sort-order", "desc");
        var json = await repo.ExpOkAsync("show", "--limit", "10", "--json");

        var rows = ExperimentRows(Lines(table.StdOut));
        Assert.Equal(10, rows.Count);
        // Sorted as asked, then cut: the highest m (exp-499's) comes first.
        Assert.Contains("exp-499", rows[0]);
        Assert.Equal("490 more experiments of main not shown: use --limit N or --all", Lines(table.StdOut)[^1]);
        Assert.Equal(10, CountOf(json.StdOut, "\"type\": \"experiment\""));
    }

    [Fact]
    public async Task Show_all_on_a_terminal_goes_through_the_pager_and_no_pager_prints_it()
    {
        using var repo = await ManyExperimentsAsync();
        var paged = Path.Combine(repo.Root, "paged.txt");
        var pager = new Dictionary<string, string> { ["GITEXP_PAGER"] = $"cat > '{paged}'" };

        var viaPager = await ExpTool.RunOnTerminalAsync(repo.Root, Terminal, pager, "show", "--all");
        if (viaPager is null)
        {
            Assert.Null(Screen.PagerCommand("", "less"));
            return;
        }

        var direct = await ExpTool.RunOnTerminalAsync(repo.Root, Terminal, pager, "show", "--all", "--no-pager");

        Assert.True(viaPager.ExitCode == 0, viaPager.ToString());
        Assert.Equal(Count, ExperimentRows(Lines(File.ReadAllText(paged))).Count);
        Assert.Empty(ExperimentRows(Lines(viaPager.StdOut)));
        Assert.Equal(Count, ExperimentRows(Lines(direct!.StdOut)).Count);
    }

    [Fact]
    public async Task Runs_list_on_a_terminal_prints_a_screenful_and_redirected_every_run()
    {
        using var repo = await ManyExperimentsAsync();
        await repo.ExpOkAsync("runs", "reindex");

        var terminal = await ExpTool.RunOnTerminalAsync(repo.Root, Terminal, NoEnvironment, "runs", "list");
        var redirected = await repo.ExpOkAsync("runs", "list");
        var limited = await repo.ExpOkAsync("runs", "list", "-n", "5");

        Assert.Equal(Count, ExperimentRows(Lines(redirected.StdOut)).Count);
        Assert.DoesNotContain("more runs", redirected.StdOut);
        Assert.Equal(5, ExperimentRows(Lines(limited.StdOut)).Count);
        Assert.Equal($"{Count - 5} more runs not shown: use -n N or --all", Lines(limited.StdOut)[^1]);
        if (terminal is not null)
        {
            Assert.True(terminal.ExitCode == 0, terminal.ToString());
            var lines = Lines(terminal.StdOut);
            Assert.True(lines.Count <= Terminal.Rows, $"more than a screenful ({lines.Count} lines):\n{terminal.StdOut}");
            var shown = ExperimentRows(lines).Count;
            Assert.Equal(Terminal.Rows - Screen.Reserved, shown);
            Assert.Equal($"{Count - shown} more runs not shown: use -n N or --all", lines.Last(l => l.Length > 0));
        }
    }

    [Theory]
    [InlineData("show --limit 0", "error: --limit 0: expected a number of rows of at least 1")]
    [InlineData("show --limit 3 --all", "error: --limit and --all cannot be used together: choose one")]
    [InlineData("runs list -n -1", "error: --limit -1: expected a number of rows of at least 1")]
    public async Task A_bad_limit_is_one_line_naming_the_flag(string command, string expected)
    {
        using var repo = await TempGitRepo.WithSampleProjectAsync();

        var result = await repo.ExpAsync(command.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal([expected], result.ErrorLines);
    }

    /// <summary>The text's lines without trailing spaces, and without the terminal's mode sequences (keypad on and off).</summary>
    private static List<string> Lines(string text) =>
        [.. TerminalModes().Replace(text, "").ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Select(l => l.TrimEnd())];

    [GeneratedRegex(@"\x1b(\[\?[0-9;]*[a-zA-Z]|[=>])")]
    private static partial Regex TerminalModes();

    private static List<string> ExperimentRows(List<string> lines) =>
        [.. lines.Where(l => l.Contains("exp-", StringComparison.Ordinal))];

    private static int CountOf(string text, string part) => text.Split(part).Length - 1;

    /// <summary>
    /// A baseline (stage with params.yaml and metrics.json) and 500 experiments on it, <c>exp-000</c> to <c>exp-499</c>
    /// a second apart with <c>m</c> = their number, written by one <c>git fast-import</c> as the tool would record them.
    /// </summary>
    private static async Task<TempGitRepo> ManyExperimentsAsync()
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "exp.yaml",
            "stages:\n  train:\n    cmd: echo\n    params:\n      - params.yaml:\n    metrics:\n      - metrics.json:\n          cache: false\n"
        );
        repo.WriteFile("params.yaml", "lr: 0.1\n");
        repo.WriteFile("metrics.json", "{\"m\": 0}\n");
        var baseline = await repo.CommitAllAsync("baseline");
        var stream = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"exp-{i:D3}");
            stream.Append(CultureInfo.InvariantCulture, $"commit {TempGitRepo.ExperimentRef(baseline, name)}\n");
            stream.Append(CultureInfo.InvariantCulture, $"committer t <t@example.invalid> {1_700_000_000 + i} +0000\n");
            Data(stream, $"exp: {name}\n");
            stream.Append(CultureInfo.InvariantCulture, $"from {baseline}\n");
            stream.Append("M 100644 inline params.yaml\n");
            Data(stream, string.Create(CultureInfo.InvariantCulture, $"lr: {i}\n"));
            stream.Append("M 100644 inline metrics.json\n");
            Data(stream, string.Create(CultureInfo.InvariantCulture, $"{{\"m\": {i}}}\n"));
            stream.Append('\n');
        }

        var input = Path.Combine(repo.Root, ".git", "fast-import.txt");
        await File.WriteAllTextAsync(input, stream.ToString());
        var import = new ProcessStartInfo("sh") { WorkingDirectory = repo.Root };
        foreach (var arg in new[] { "-c", "git fast-import --quiet < \"$1\"", "sh", input })
        {
            import.ArgumentList.Add(arg);
        }

        var result = await ExpTool.RunProcessAsync(import);
        Assert.True(result.ExitCode == 0, result.ToString());
        return repo;
    }

    private static void Data(StringBuilder stream, string text) =>
        stream.Append(CultureInfo.InvariantCulture, $"data {Encoding.UTF8.GetByteCount(text)}\n").Append(text).Append('\n');
}
