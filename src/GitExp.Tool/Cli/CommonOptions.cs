using System.CommandLine;
using GitExp.Core;
using GitExp.Core.Experiments;
using GitExp.Core.Project;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary>Options and helpers several commands share.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table." };

    public static Option<bool> Markdown() => new("--md") { Description = "Print a Markdown table." };

    public static Option<bool> Csv() => new("--csv") { Description = "Print CSV." };

    public static Option<int?> Width() =>
        new("--width")
        {
            Description =
                "Fit tables in N columns, hiding whole columns (default: $COLUMNS, else the terminal's width; 0: no limit).",
        };

    public static Option<bool> Transpose() =>
        new("--transpose") { Description = "Print the table turned: one row per column, one column per row." };

    /// <summary>How a command's console table fits: the checked <c>--width</c>, else the terminal's, and <c>--transpose</c>.</summary>
    public static TableFit Fit(
        ParseResult result,
        Option<int?> width,
        Option<bool> transpose,
        TextWriter output,
        IReadOnlyList<int> importance,
        int required,
        int nameColumn,
        string rowNoun,
        string hint
    )
    {
        var asked = result.GetValue(width);
        if (asked is < 0 or > 0 and < MinimumWidth)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"--width {asked}: expected 0 (no limit) or a number of columns of at least {MinimumWidth}"
            );
        }

        return new TableFit(
            TableWriter.Width(asked, output),
            result.GetValue(transpose),
            importance,
            required,
            nameColumn,
            rowNoun,
            hint
        );
    }

    private const int MinimumWidth = 20;

    /// <summary><c>--all</c> of a listing: every row, even on a terminal (through a pager when longer than the screen).</summary>
    public static Option<bool> AllRows(string noun) =>
        new("--all") { Description = $"Every {noun}, even on a terminal (paged when longer than the screen)." };

    /// <summary><c>--no-pager</c>: print long output on a terminal as it is.</summary>
    public static Option<bool> NoPager() =>
        new("--no-pager") { Description = "Never page long output ($GITEXP_PAGER, $PAGER or less) on a terminal." };

    /// <summary>
    /// How many rows a listing shows: the <c>--limit</c> asked for (at least 1) for every format; else, for a table on
    /// a terminal without <c>--all</c>, <paramref name="screenful"/> of the terminal's height; else null, every row.
    /// </summary>
    public static int? RowLimit(
        ParseResult result,
        Option<int?> limit,
        Option<bool> all,
        bool table,
        TextWriter output,
        Func<int, int> screenful
    )
    {
        var asked = result.GetValue(limit);
        if (asked is { } n)
        {
            if (n < 1)
            {
                throw new ExpException(ExitCode.Usage, $"{limit.Name} {n}: expected a number of rows of at least 1");
            }

            if (result.GetValue(all))
            {
                throw new ExpException(ExitCode.Usage, $"{limit.Name} and --all cannot be used together: choose one");
            }

            return n;
        }

        return table && !result.GetValue(all) && Screen.Height(output) is { } height ? Math.Max(screenful(height), 1) : null;
    }

    public static Task<ExpProject> OpenProjectAsync(CancellationToken cancellationToken) =>
        ExpProject.OpenAsync(Environment.CurrentDirectory, cancellationToken);

    /// <summary><c>--targets</c> of params and metrics commands: only these files.</summary>
    public static Option<string[]> TargetFiles(string noun) =>
        new("--targets") { Description = $"Only these {noun} files (repeatable).", AllowMultipleArgumentsPerToken = true };

    /// <summary><c>--precision</c>: significant digits of numbers in tables and CSV.</summary>
    public static Option<int> Precision() =>
        new("--precision")
        {
            Description = "Significant digits of numbers (1 to 17).",
            DefaultValueFactory = _ => ValueFormat.DefaultPrecision,
        };

    /// <summary>The digits asked for, or one line saying what is expected.</summary>
    public static int CheckPrecision(int digits) =>
        digits is >= 1 and <= 17
            ? digits
            : throw new ExpException(ExitCode.Usage, $"--precision {digits}: expected 1 to 17 significant digits");

    /// <summary>Paths the user typed (relative to the current folder) as repo-relative paths.</summary>
    public static IReadOnlySet<string> RepoPaths(ExpProject project, IEnumerable<string> paths) =>
        paths.Select(p => project.ToRepoPath(Path.GetFullPath(p))).ToHashSet(StringComparer.Ordinal);

    /// <summary>A warning: one line on stderr, the command goes on.</summary>
    public static void Warn(string message) => Console.Error.WriteLine("warning: " + message);

    /// <summary>This command line as the user typed it (arguments with spaces quoted), for the run store.</summary>
    public static string CommandLine() =>
        "dotnet exp "
        + string.Join(
            ' ',
            Environment.GetCommandLineArgs().Skip(1).Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a)
        );

    /// <summary>Refuses two mutually exclusive output formats with one line naming both.</summary>
    public static void OneFormat(ParseResult result, params Option<bool>[] formats)
    {
        var chosen = formats.Where(f => result.GetValue(f)).Select(f => f.Name).ToList();
        if (chosen.Count > 1)
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{string.Join(" and ", chosen)} cannot be used together: choose one output format"
            );
        }
    }
}
