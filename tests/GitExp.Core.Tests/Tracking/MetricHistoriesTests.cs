using GitExp.Core.Tracking;

namespace GitExp.Core.Tests.Tracking;

public sealed class MetricHistoriesTests
{
    private static MetricSource Metric(string file, string name, string stage = "train") =>
        new($"{file}:{name}", file, name, stage);

    private static PlotColumn Column(string file, string name, double first, string stage = "train") =>
        new(file, name, stage, [(1, first), (2, first + 1)]);

    /// <summary>Metric key → the first value of the history it got, the way a test can read at a glance.</summary>
    private static Dictionary<string, double> Match(MetricSource[] metrics, PlotColumn[] columns) =>
        MetricHistories.Match(metrics, columns).ToDictionary(p => p.Key, p => p.Value[0].Value);

    [Fact]
    public void Flat_dotted_slashed_and_nested_keys_each_get_their_own_column()
    {
        var matched = Match(
            [
                Metric("live/metrics.json", "loss"),
                Metric("live/metrics.json", "train.acc"), // Live.Log("train.acc")
                Metric("live/metrics.json", "val/acc"), // Live.Log("val/acc"), written as given
                Metric("live/metrics.json", "test.acc"), // nested JSON {"test": {"acc"}}, history logged as "test/acc"
                Metric("live/metrics.json", "eval.f1"), // nested JSON, history in a column named by the leaf
                Metric("live/metrics.json", "step"),
            ],
            [
                Column("live/plots/metrics/loss.tsv", "loss", 1),
                Column("live/plots/metrics/train.acc.tsv", "train.acc", 2),
                Column("live/plots/metrics/val/acc.tsv", "val/acc", 3),
                Column("live/plots/metrics/test/acc.tsv", "test/acc", 4),
                Column("live/plots/metrics/eval/f1.tsv", "f1", 5),
            ]
        );

        Assert.Equal(
            new Dictionary<string, double>
            {
                ["live/metrics.json:loss"] = 1,
                ["live/metrics.json:train.acc"] = 2,
                ["live/metrics.json:val/acc"] = 3,
                ["live/metrics.json:test.acc"] = 4,
                ["live/metrics.json:eval.f1"] = 5,
            },
            matched
        );
    }

    [Fact]
    public void A_leaf_column_goes_to_the_key_it_names_exactly_not_to_every_key_ending_in_it()
    {
        var matched = Match(
            [Metric("metrics.json", "acc"), Metric("metrics.json", "train.acc"), Metric("metrics.json", "val.acc")],
            [Column("plots/acc.tsv", "acc", 1)]
        );

        Assert.Equal(new Dictionary<string, double> { ["metrics.json:acc"] = 1 }, matched);
    }

    [Fact]
    public void Two_files_with_the_same_key_each_take_the_column_nearest_them()
    {
        var matched = Match(
            [Metric("a/metrics.json", "acc"), Metric("b/metrics.json", "acc")],
            [Column("b/plots/acc.tsv", "acc", 2), Column("a/plots/acc.tsv", "acc", 1)]
        );

        Assert.Equal(new Dictionary<string, double> { ["a/metrics.json:acc"] = 1, ["b/metrics.json:acc"] = 2 }, matched);
    }

    [Fact]
    public void Two_files_with_the_same_key_take_the_column_of_their_own_stage()
    {
        var matched = Match(
            [Metric("a.json", "acc", stage: "a"), Metric("b.json", "acc", stage: "b")],
            [Column("plots/b.tsv", "acc", 2, stage: "b")]
        );

        Assert.Equal(new Dictionary<string, double> { ["b.json:acc"] = 2 }, matched);
    }

    [Fact]
    public void A_column_that_two_metrics_fit_equally_well_is_nobodys()
    {
        var tiedMetrics = Match([Metric("a.json", "acc"), Metric("b.json", "acc")], [Column("plots/acc.tsv", "acc", 1)]);
        var tiedColumns = Match(
            [Metric("metrics.json", "acc")],
            [Column("plots/one.tsv", "acc", 1), Column("plots/two.tsv", "acc", 2)]
        );
        var tiedLeaves = Match(
            [Metric("metrics.json", "train.acc"), Metric("metrics.json", "val.acc")],
            [Column("plots/acc.tsv", "acc", 1)]
        );

        Assert.Empty(tiedMetrics);
        Assert.Empty(tiedColumns);
        Assert.Empty(tiedLeaves);
    }
}
