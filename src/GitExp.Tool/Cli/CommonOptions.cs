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

    public static Task<ExpProject> OpenProjectAsync(CancellationToken cancellationToken) =>
        ExpProject.OpenAsync(Environment.CurrentDirectory, cancellationToken);

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
