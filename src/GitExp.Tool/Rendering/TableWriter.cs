using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GitExp.Tool.Rendering;

/// <summary>Writes a header and rows as a console table, Markdown, or CSV.</summary>
internal static class TableWriter
{
    /// <summary>
    /// A console table fitted to <see cref="TableFit.Width"/>: whole columns are left out, least important first,
    /// and one note line names them; a value is never split or cut.
    /// </summary>
    public static void Console(
        TextWriter output,
        IReadOnlyList<string> header,
        IReadOnlyList<IReadOnlyList<string>> rows,
        int rightAlignFrom,
        TableFit fit
    )
    {
        var importance = fit.Importance;
        var required = fit.Required;
        var noun = "column";
        if (fit.Transpose)
        {
            (header, rows) = Transposed(header, rows, fit.NameColumn);
            // The field names, then the rows in their order.
            importance = [.. Enumerable.Range(0, header.Count)];
            required = 1;
            rightAlignFrom = 1;
            noun = fit.RowNoun;
        }

        var valueWidths = Enumerable
            .Range(0, header.Count)
            .Select(i => rows.Select(r => CellWidth(r[i])).DefaultIfEmpty(0).Max())
            .ToList();
        var (kept, hidden, headerWidths) = TableFit.Choose(
            valueWidths,
            [.. header.Select(CellWidth)],
            fit.Width,
            importance,
            required
        );
        var console = AnsiConsole.Create(
            new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = output == System.Console.Out && !System.Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = ColorSystemSupport.Detect,
            }
        );
        // Exactly the table's own width: Spectre never wraps a cell, even when the required columns alone are wider.
        console.Profile.Width = Math.Max(TableFit.TableWidth(kept.Select(i => Math.Max(valueWidths[i], headerWidths[i]))), 1);
        var table = new Table().Border(TableBorder.Simple);
        foreach (var i in kept)
        {
            var title = CellWidth(header[i]) > headerWidths[i] ? header[i][..(headerWidths[i] - 1)] + "…" : header[i];
            var column = new TableColumn(Markup.Escape(title)).NoWrap();
            table.AddColumn(i >= rightAlignFrom ? column.RightAligned() : column);
        }

        foreach (var row in rows)
        {
            table.AddRow(kept.Select(i => new Text(row[i])).ToArray());
        }

        console.Write(table);
        if (hidden.Count > 0)
        {
            output.WriteLine(TableFit.Note([.. hidden.Select(i => header[i])], noun, fit.Hint, fit.Width));
        }
    }

    /// <summary>One row per column and one column per row, headed by the row's name.</summary>
    private static (IReadOnlyList<string>, IReadOnlyList<IReadOnlyList<string>>) Transposed(
        IReadOnlyList<string> header,
        IReadOnlyList<IReadOnlyList<string>> rows,
        int nameColumn
    )
    {
        var transposedHeader = new List<string> { header[nameColumn] };
        transposedHeader.AddRange(rows.Select(r => r[nameColumn]));
        var transposedRows = Enumerable
            .Range(0, header.Count)
            .Where(i => i != nameColumn)
            .Select(i => (IReadOnlyList<string>)[header[i], .. rows.Select(r => r[i])])
            .ToList();
        return (transposedHeader, transposedRows);
    }

    private static int CellWidth(string text) =>
        text.Length == 0 ? 0 : ((IRenderable)new Text(text)).Measure(MeasureOptions, int.MaxValue).Max;

    private static readonly RenderOptions MeasureOptions = new(
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }).Profile.Capabilities,
        new Size(int.MaxValue, int.MaxValue)
    );

    /// <summary>
    /// The width tables fit: <c>--width</c>, else $COLUMNS (as git reads it), else the terminal's width (80 when a
    /// terminal reports none); null, no limit, for redirected output, so scripts get whole rows.
    /// </summary>
    internal static int? Width(int? requested, bool terminal, int reported, string? columns)
    {
        if (requested is { } asked)
        {
            return asked == 0 ? null : asked;
        }

        if (
            int.TryParse(
                columns,
                System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture,
                out var c
            )
            && c > 0
        )
        {
            return c;
        }

        return !terminal ? null
            : reported > 0 ? reported
            : 80;
    }

    /// <summary>The width tables written to <paramref name="output"/> fit, from <c>--width</c> and the environment.</summary>
    public static int? Width(int? requested, TextWriter output)
    {
        var terminal = output == System.Console.Out && !System.Console.IsOutputRedirected;
        return Width(
            requested,
            terminal,
            terminal ? System.Console.WindowWidth : 0,
            Environment.GetEnvironmentVariable("COLUMNS")
        );
    }

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
