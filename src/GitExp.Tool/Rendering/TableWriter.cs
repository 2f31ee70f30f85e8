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
        // Straight to stdout through one buffer: the console's own writer flushes every line.
        using var buffered = ReferenceEquals(output, System.Console.Out)
            ? new StreamWriter(System.Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16)
            : null;
        var writer = buffered ?? output;
        Render(writer, header, rows, kept, [.. valueWidths.Zip(headerWidths, Math.Max)], headerWidths, rightAlignFrom);
        if (hidden.Count > 0)
        {
            writer.WriteLine(TableFit.Note([.. hidden.Select(i => header[i])], noun, fit.Hint, fit.Width));
        }
    }

    /// <summary>
    /// The table with the simple border, character for character as Spectre.Console drew it before: a blank border
    /// line, the header, a rule (none without rows), the rows and a blank border line, with one space of edge and
    /// padding each side of a cell. Each line is padded from widths measured once, so the time is linear in the cells
    /// (Spectre's layout took 7 s and 1.3 GiB of allocations for 10,000 rows of 34 columns).
    /// </summary>
    private static void Render(
        TextWriter output,
        IReadOnlyList<string> header,
        IReadOnlyList<IReadOnlyList<string>> rows,
        IReadOnlyList<int> kept,
        IReadOnlyList<int> widths,
        IReadOnlyList<int> headerWidths,
        int rightAlignFrom
    )
    {
        var line = new StringBuilder();
        void Line(Func<int, string> cell, Func<int, int> cellWidth)
        {
            line.Clear().Append(' ');
            foreach (var i in kept)
            {
                var text = cell(i);
                var pad = widths[i] - cellWidth(i);
                line.Append(' ');
                if (i >= rightAlignFrom)
                {
                    line.Append(' ', pad).Append(text);
                }
                else
                {
                    line.Append(text).Append(' ', pad);
                }

                line.Append(' ', 2);
            }

            output.WriteLine(line);
        }

        var border = new string(' ', TableFit.TableWidth(kept.Select(i => widths[i])));
        output.WriteLine(border);
        Line(
            i => CellWidth(header[i]) > headerWidths[i] ? header[i][..(headerWidths[i] - 1)] + "…" : header[i],
            i => Math.Min(CellWidth(header[i]), headerWidths[i])
        );
        if (rows.Count > 0)
        {
            output.WriteLine(new string('─', border.Length));
        }
        foreach (var row in rows)
        {
            Line(i => OneLine(row[i]), i => CellWidth(OneLine(row[i])));
        }

        output.WriteLine(border);
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

    /// <summary>A value on one line: a line break would tear the table's rows apart.</summary>
    private static string OneLine(string text) => text.AsSpan().IndexOfAny('\n', '\r') < 0 ? text : text.ReplaceLineEndings(" ");

    /// <summary>Terminal cells the text takes: one per character for the common scripts and box drawing, else Spectre's measure.</summary>
    private static int CellWidth(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or (>= '\u007f' and < '\u00a0') or (>= '\u0300' and < '\u2500') or >= '\u2580')
            {
                return ((IRenderable)new Text(OneLine(text))).Measure(MeasureOptions, int.MaxValue).Max;
            }
        }

        return text.Length;
    }

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
