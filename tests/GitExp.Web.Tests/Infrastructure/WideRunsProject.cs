using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core.Tracking;
using GitExp.Tool.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// 12 runs written straight into the store, each with 20 params (<c>model.encoder.p00</c> to <c>p19</c>: the first
/// 10 differ between runs, the last 10 are the same in all) (<c>p09</c> is text, an optimizer's name) and 10 metrics (<c>eval.m0</c> to <c>m9</c>: the first 8
/// differ, <c>m8</c> and <c>m9</c> do not); <c>wide-03</c> has no <c>m0</c>, long titles: what makes a runs table wide.
/// </summary>
public sealed class WideRunsProject : UiProject
{
    public const int DifferingParams = 10;
    public const int DifferingMetrics = 8;

    /// <summary><c>model.encoder.p09</c>, the one text param: run i has <c>Optimizers[i % 3]</c>.</summary>
    public static readonly string[] Optimizers = ["sgd", "adam", "rmsprop"];

    private static readonly DateTimeOffset Day = new(2026, 1, 6, 7, 0, 0, TimeSpan.Zero);

    public List<RunRecord> Runs { get; } =
        Enumerable
            .Range(0, 12)
            .Select(i => new RunRecord
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"{i:D2}d1de5e{i:D2}"),
                ExperimentName = $"wide-{i:D2}",
                Baseline = new string('b', 40),
                Commit = new string('c', 40),
                Title = $"a rather long title for run {i} that should not widen the page",
                Status = i % 4 == 3 ? RunStatus.Failed : RunStatus.Succeeded,
                Created = Day.AddMinutes(i),
                Started = Day.AddMinutes(i),
                Finished = Day.AddMinutes(i).AddSeconds(30 + i),
                Params = Enumerable
                    .Range(0, 20)
                    .ToDictionary(
                        p => string.Create(CultureInfo.InvariantCulture, $"params.yaml:model.encoder.p{p:D2}"),
                        p =>
                            p == 9
                                ? JsonValue.Create(Optimizers[i % 3])
                                : (JsonNode?)JsonValue.Create(p < DifferingParams ? i * 0.001 + p : p * 1.5)
                    ),
                Metrics = Enumerable
                    .Range(0, 10)
                    .Where(m => !(i == 3 && m == 0))
                    .ToDictionary(
                        m => string.Create(CultureInfo.InvariantCulture, $"metrics.json:eval.m{m}"),
                        m => new MetricSummary(
                            JsonValue.Create(m < DifferingMetrics ? (i + 1) * 0.0137 * (m + 1) : 0.5),
                            null,
                            null
                        )
                    ),
            })
            .ToList();

    protected override Task PrepareAsync(TempGitRepo repo)
    {
        using (var store = RunStore.Open(Path.Combine(repo.Root, ".exp", "runs.db")))
        {
            foreach (var run in Runs)
            {
                store.Save(run);
            }
        }

        SqliteConnection.ClearAllPools();
        return Task.CompletedTask;
    }
}
