using System.Text.Json.Nodes;
using GitExp.Core.Tests.Infrastructure;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests.Tracking;

/// <summary>
/// The filter grammar of <c>runs list --filter</c>: comparisons, keys, precedence, and its errors. Filters run
/// in SQL over a real store holding the runs below.
/// </summary>
public sealed class RunFilterTests(RunFilterTests.Store store) : IClassFixture<RunFilterTests.Store>
{
    /// <summary>The runs below in a store on disk, r1 newest.</summary>
    public sealed class Store : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public Store()
        {
            using var store = RunStore.Open(DbPath);
            var created = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (var i = 0; i < Runs.Length; i++)
            {
                store.Save(Runs[i] with { Created = created.AddMinutes(-i) });
            }
        }

        public string DbPath => _tmp.Combine(".exp", "runs.db");

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            _tmp.Dispose();
        }
    }

    private static RunRecord Run(
        string id,
        RunStatus status = RunStatus.Succeeded,
        double? acc = null,
        double? loss = null,
        double? lr = null,
        string? name = null,
        string? title = null,
        params string[] tags
    )
    {
        var metrics = new Dictionary<string, MetricSummary>();
        if (acc is { } a)
        {
            metrics["metrics.json:acc"] = new MetricSummary(JsonValue.Create(a), a, a);
        }

        if (loss is { } l)
        {
            metrics["eval/metrics.json:loss"] = new MetricSummary(JsonValue.Create(l), l, l);
        }

        var parameters = new Dictionary<string, JsonNode?>();
        if (lr is { } r)
        {
            parameters["params.yaml:train.lr"] = JsonValue.Create(r);
        }

        return new RunRecord
        {
            Id = id,
            Baseline = "b0",
            Status = status,
            ExperimentName = name,
            Title = title,
            Tags = tags,
            Metrics = metrics,
            Params = parameters,
        };
    }

    private static readonly RunRecord[] Runs =
    [
        Run("r1", RunStatus.Succeeded, acc: 0.95, loss: 9, lr: 0.01, name: "bold-lark", title: "big model run", "keep"),
        Run("r2", RunStatus.Failed, acc: 0.85, loss: 10, lr: 0.1, name: "calm-owl", title: "Small Model", "drop", "keep"),
        Run("r3", RunStatus.Succeeded, acc: 0.5, loss: 100, lr: 0.001, name: "dark-fox", title: null),
        Run("r4", RunStatus.Running),
    ];

    private string[] Select(string filter)
    {
        using var runs = RunStore.Open(store.DbPath);
        return runs.Find(new RunQuery { Filter = RunFilter.Parse(filter) }, RunParts.Fields).Select(r => r.Id).ToArray();
    }

    [Theory]
    [InlineData("metrics.acc > 0.9", new[] { "r1" })]
    [InlineData("metrics.acc >= 0.85", new[] { "r1", "r2" })]
    [InlineData("metrics.acc<0.9", new[] { "r2", "r3" })]
    // As text "9" > "10"; as numbers 9 < 10.
    [InlineData("metrics.loss < 10", new[] { "r1" })]
    [InlineData("metrics.loss <= 10", new[] { "r1", "r2" })]
    [InlineData("metrics.loss = 1e2", new[] { "r3" })]
    [InlineData("metrics.loss != 100", new[] { "r1", "r2" })]
    public void Numbers_compare_as_numbers(string filter, string[] expected) => Assert.Equal(expected, Select(filter));

    [Theory]
    [InlineData("metrics.metrics.json:acc > 0.9", new[] { "r1" })]
    [InlineData("metrics.eval/metrics.json:loss > 50", new[] { "r3" })]
    [InlineData("metrics.loss > 50", new[] { "r3" })]
    [InlineData("params.train.lr = 0.01", new[] { "r1" })]
    [InlineData("params.params.yaml:train.lr = 0.1", new[] { "r2" })]
    [InlineData("params.train.lr < 0.05", new[] { "r1", "r3" })]
    public void Metric_and_param_keys_may_be_bare_or_file_qualified(string filter, string[] expected) =>
        Assert.Equal(expected, Select(filter));

    [Theory]
    [InlineData("status = succeeded", new[] { "r1", "r3" })]
    [InlineData("STATUS = SUCCEEDED", new[] { "r1", "r3" })]
    [InlineData("status != succeeded", new[] { "r2", "r4" })]
    [InlineData("name = Calm-Owl", new[] { "r2" })]
    public void Text_compares_case_insensitively(string filter, string[] expected) => Assert.Equal(expected, Select(filter));

    [Theory]
    // and binds tighter than or.
    [InlineData("status = failed or metrics.acc > 0.9 and params.train.lr = 0.001", new[] { "r2" })]
    [InlineData("(status = failed or metrics.acc > 0.9) and params.train.lr = 0.01", new[] { "r1" })]
    [InlineData("metrics.acc > 0.9 or status = failed and metrics.acc < 0.6", new[] { "r1" })]
    [InlineData("not status = succeeded", new[] { "r2", "r4" })]
    [InlineData("not status = succeeded and metrics.acc > 0", new[] { "r2" })]
    [InlineData("not (status = succeeded or status = failed)", new[] { "r4" })]
    [InlineData("status = succeeded AND NOT metrics.acc > 0.9", new[] { "r3" })]
    public void And_binds_tighter_than_or_and_not_and_parentheses_group(string filter, string[] expected) =>
        Assert.Equal(expected, Select(filter));

    [Theory]
    [InlineData("title ~ model", new[] { "r1", "r2" })]
    [InlineData("title ~ SMALL", new[] { "r2" })]
    [InlineData("name ~ o", new[] { "r1", "r2", "r3" })]
    [InlineData("title = 'big model run'", new[] { "r1" })]
    [InlineData("title = \"Small Model\"", new[] { "r2" })]
    [InlineData("title ~ 'l m'", new[] { "r2" })]
    [InlineData("title = 'and'", new string[0])]
    public void Tilde_is_contains_and_quoted_values_keep_their_spaces(string filter, string[] expected) =>
        Assert.Equal(expected, Select(filter));

    [Theory]
    [InlineData("tag = keep", new[] { "r1", "r2" })]
    [InlineData("tag = drop", new[] { "r2" })]
    [InlineData("tag = KEEP and not tag = drop", new[] { "r1" })]
    public void Tag_matches_any_tag_of_the_run(string filter, string[] expected) => Assert.Equal(expected, Select(filter));

    [Theory]
    [InlineData("metrics.acc < 1")]
    [InlineData("metrics.acc != 0.123")]
    [InlineData("params.train.lr > 0")]
    [InlineData("title ~ ''")]
    [InlineData("name != nobody")]
    public void A_run_without_the_field_never_matches(string filter)
    {
        Assert.DoesNotContain("r4", Select(filter));
        Assert.NotEmpty(Select(filter));
    }

    [Theory]
    [InlineData("nope = 1", "nope", 1)]
    [InlineData("status = succeeded and colour = red", "colour", 24)]
    [InlineData("metrics.acc > 0.9 and status", null, 29)]
    [InlineData("metrics.acc 0.9", "0.9", 13)]
    [InlineData("metrics.acc >", null, 14)]
    [InlineData("metrics.acc > and status = failed", "and", 15)]
    [InlineData("metrics.acc > )", ")", 15)]
    [InlineData("title = 'big model", "'", 9)]
    [InlineData("(status = failed or metrics.acc > 0.9", "(", 1)]
    [InlineData("status = failed)", ")", 16)]
    [InlineData("status = failed extra", "extra", 17)]
    [InlineData("status = failed and", null, 20)]
    public void A_malformed_filter_is_a_usage_error_naming_the_token_and_its_position(string filter, string? token, int position)
    {
        var error = Assert.Throws<ExpException>(() => RunFilter.Parse(filter));

        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.StartsWith("--filter '" + filter + "'", error.Message);
        Assert.Contains($"position {position}", error.Message);
        if (token is not null)
        {
            Assert.Contains(token, error.Message[("--filter '" + filter + "'").Length..]);
        }

        Assert.DoesNotContain('\n', error.Message);
    }
}
