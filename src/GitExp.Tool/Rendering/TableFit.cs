namespace GitExp.Tool.Rendering;

/// <summary>
/// How a console table meets a width: which columns matter most, which never go, and what the note about hidden
/// columns suggests. Columns are dropped whole, least important first; a value is never split (decision 0028).
/// </summary>
/// <param name="Width">The width to fit; null fits nothing (redirected output without --width or $COLUMNS).</param>
/// <param name="Transpose">One row per column and one column per row, named by <paramref name="NameColumn"/>.</param>
/// <param name="Importance">Column indices, most important first; columns not listed follow in their order.</param>
/// <param name="Required">How many of the first <paramref name="Importance"/> columns are never dropped.</param>
/// <param name="NameColumn">The column that names a row; it heads the row's column in the transposed view.</param>
/// <param name="RowNoun">What a row is ("experiment", "run"), for the note of the transposed view.</param>
/// <param name="Hint">The options that show hidden columns, as in "--width, --transpose or --json".</param>
internal sealed record TableFit(
    int? Width,
    bool Transpose,
    IReadOnlyList<int> Importance,
    int Required,
    int NameColumn,
    string RowNoun,
    string Hint
)
{
    /// <summary>
    /// The columns kept, in table order; those left out, most important first; and the width of each header, which
    /// is shortened (never a value) only when the columns that always stay are wider than the width.
    /// </summary>
    public static (List<int> Kept, List<int> Hidden, int[] HeaderWidths) Choose(
        IReadOnlyList<int> valueWidths,
        IReadOnlyList<int> headerWidths,
        int? width,
        IReadOnlyList<int> importance,
        int required
    )
    {
        var order = importance
            .Where(i => i >= 0 && i < valueWidths.Count)
            .Concat(Enumerable.Range(0, valueWidths.Count))
            .Distinct()
            .ToList();
        var headers = headerWidths.ToArray();
        int Width(IEnumerable<int> columns) => TableWidth(columns.Select(i => Math.Max(valueWidths[i], headers[i])));
        var kept = order.Count;
        while (width is { } limit && kept > Math.Min(required, order.Count) && Width(order.Take(kept)) > limit)
        {
            kept--;
        }

        // Still too wide: long headers over short values give way, least important first, down to a few characters.
        for (var k = kept - 1; k >= 0 && width is { } limit && Width(order.Take(kept)) > limit; k--)
        {
            var i = order[k];
            var excess = Width(order.Take(kept)) - limit;
            var shortest = Math.Max(valueWidths[i], Math.Min(headers[i], ShortestHeader));
            headers[i] = Math.Max(shortest, headers[i] - excess);
        }

        return (order.Take(kept).Order().ToList(), order.Skip(kept).ToList(), headers);
    }

    private const int ShortestHeader = 6;

    /// <summary>A table's width with the simple border: one space of edge and one of padding each side of a cell.</summary>
    public static int TableWidth(IEnumerable<int> columnWidths)
    {
        var widths = columnWidths.ToList();
        return widths.Count == 0 ? 0 : widths.Sum() + (3 * widths.Count) + 1;
    }

    /// <summary>
    /// One line saying how many columns were left out, as many of their names as fit, and how to see them.
    /// </summary>
    public static string Note(IReadOnlyList<string> hidden, string noun, string hint, int? width)
    {
        var count = $"{hidden.Count} {noun}{(hidden.Count == 1 ? "" : "s")} hidden";
        var tail = $": use {hint}";
        for (var shown = hidden.Count; shown > 0; shown--)
        {
            var names = string.Join(", ", hidden.Take(shown)) + (shown < hidden.Count ? ", …" : "");
            var line = $"{count} ({names}){tail}";
            if (width is not { } limit || line.Length <= limit)
            {
                return line;
            }
        }

        return count + tail;
    }
}
