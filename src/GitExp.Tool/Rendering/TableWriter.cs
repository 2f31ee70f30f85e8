using System.Text;
using Spectre.Console;

namespace GitExp.Tool.Rendering;

/// <summary>Writes a header and rows as a console table, Markdown, or CSV.</summary>
internal static class TableWriter
{
    public static void Console(
        TextWriter output,
        IReadOnlyList<string> header,
        IReadOnlyList<IReadOnlyList<string>> rows,
        int rightAlignFrom
    )
    {
        var console = AnsiConsole.Create(
            new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = output == System.Console.Out && !System.Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = ColorSystemSupport.Detect,
            }
        );
        // Redirected output has no width; a wide virtual one keeps each row on one line for scripts and diffs.
        console.Profile.Width =
            output == System.Console.Out && !System.Console.IsOutputRedirected
                ? TerminalWidth(System.Console.WindowWidth, Environment.GetEnvironmentVariable("COLUMNS"))
                : 4096;
        var table = new Table().Border(TableBorder.Simple);
        for (var i = 0; i < header.Count; i++)
        {
            var column = new TableColumn(Markup.Escape(header[i])).NoWrap();
            table.AddColumn(i >= rightAlignFrom ? column.RightAligned() : column);
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => new Text(cell)).ToArray());
        }

        console.Write(table);
    }

    /// <summary>The terminal's width; a terminal that reports none (a pty without a size) gets $COLUMNS, else 80.</summary>
    internal static int TerminalWidth(int reported, string? columns) =>
        reported > 0 ? reported
        : int.TryParse(
            columns,
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out var c
        )
        && c > 0
            ? c
        : 80;

    public static void Markdown(TextWriter output, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        output.WriteLine("| " + string.Join(" | ", header.Select(EscapeMarkdown)) + " |");
        output.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
        {
            output.WriteLine("| " + string.Join(" | ", row.Select(EscapeMarkdown)) + " |");
        }
    }

    public static void Csv(TextWriter output, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        output.WriteLine(string.Join(',', header.Select(EscapeCsv)));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join(',', row.Select(EscapeCsv)));
        }
    }

    private static string EscapeMarkdown(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);

    private static string EscapeCsv(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
