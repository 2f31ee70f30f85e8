namespace GitExp.Core.Tracking;

/// <summary>A metric a run ends with: its key (<c>file:key</c>), its file, the key within the file and the stage that writes the file.</summary>
public sealed record MetricSource(string Key, string File, string Name, string? Stage);

/// <summary>One column of a plot file (<c>step&lt;tab&gt;name</c>): a step history, not yet tied to a metric.</summary>
public sealed record PlotColumn(string File, string Name, string? Stage, IReadOnlyList<(long Step, double Value)> Points);

/// <summary>
/// Ties plot columns to the metrics they are the step histories of, by the rule in docs/runs.md: a column
/// and a metric pair up when each is the other's one best match, so two metrics never share a history and
/// a tie gives no history rather than a wrong one.
/// </summary>
public static class MetricHistories
{
    /// <summary>The step history of each metric that has one, by metric key.</summary>
    public static Dictionary<string, IReadOnlyList<(long Step, double Value)>> Match(
        IReadOnlyList<MetricSource> metrics,
        IReadOnlyList<PlotColumn> columns
    )
    {
        var ranks = new Rank?[metrics.Count, columns.Count];
        for (var m = 0; m < metrics.Count; m++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                ranks[m, c] = RankOf(metrics[m], columns[c]);
            }
        }

        var matched = new Dictionary<string, IReadOnlyList<(long, double)>>(StringComparer.Ordinal);
        for (var m = 0; m < metrics.Count; m++)
        {
            if (Best(columns.Count, c => ranks[m, c]) is { } c && Best(metrics.Count, other => ranks[other, c]) == m)
            {
                matched[metrics[m].Key] = columns[c].Points;
            }
        }

        return matched;
    }

    /// <summary>How well a column fits a metric, compared field by field; null when its name does not fit at all.</summary>
    private readonly record struct Rank(int Name, int Stage, int Folders) : IComparable<Rank>
    {
        public int CompareTo(Rank other) =>
            Name != other.Name ? Name.CompareTo(other.Name)
            : Stage != other.Stage ? Stage.CompareTo(other.Stage)
            : Folders.CompareTo(other.Folders);
    }

    private static Rank? RankOf(MetricSource metric, PlotColumn column)
    {
        var name =
            metric.Name == column.Name ? 3
            // Live writes a name as given; a nested key reads "train/acc" as JSON's "train.acc".
            : Separated(metric.Name) == Separated(column.Name) ? 2
            // A column named by a leaf alone ("acc") fits a nested key ending in it ("train.acc").
            : column.Name.IndexOfAny(Separators) < 0 && Leaf(metric.Name) == column.Name ? 1
            : 0;
        if (name == 0)
        {
            return null;
        }

        return new Rank(
            name,
            metric.Stage is not null && metric.Stage == column.Stage ? 1 : 0,
            CommonFolders(metric.File, column.File)
        );
    }

    /// <summary>The index whose rank is higher than every other's; null when none fits or the best is tied.</summary>
    private static int? Best(int count, Func<int, Rank?> rank)
    {
        int? best = null;
        var tied = false;
        for (var i = 0; i < count; i++)
        {
            if (rank(i) is not { } r)
            {
                continue;
            }

            var order = best is { } b ? r.CompareTo(rank(b)!.Value) : 1;
            if (order > 0)
            {
                best = i;
                tied = false;
            }
            else if (order == 0)
            {
                tied = true;
            }
        }

        return tied ? null : best;
    }

    private static readonly char[] Separators = ['.', '/'];

    private static string Separated(string name) => name.Replace('/', '.');

    private static string Leaf(string name) => name[(name.LastIndexOfAny(Separators) + 1)..];

    /// <summary>How many folders the two files' paths start with alike.</summary>
    private static int CommonFolders(string a, string b)
    {
        var left = a.Split('/')[..^1];
        var right = b.Split('/')[..^1];
        var common = 0;
        while (common < left.Length && common < right.Length && left[common] == right[common])
        {
            common++;
        }

        return common;
    }
}
