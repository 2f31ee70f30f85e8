using System.Globalization;
using Microsoft.Playwright;

namespace GitExp.Bench;

/// <summary><c>ui-chart</c>: the runs page's chart view of one metric against a param across all 10,000 runs.</summary>
internal static partial class UiBench
{
    private const double ChartTargetMs = 1000;

    public static int Chart(string[] args) => WithStore(args, "ui-chart", ChartBench);

    private static int ChartBench(Store store) =>
        WithBrowser(
            store,
            async (page, server) =>
            {
                var url = new Uri(
                    server.Address,
                    "/?view=chart&y=metrics.metrics.json:metric_00&x=params.params.yaml:param_01"
                ).ToString();
                var plotted =
                    $"{store.Runs.ToString(CultureInfo.InvariantCulture)} of {store.Runs.ToString(CultureInfo.InvariantCulture)} runs plotted";
                async Task Once()
                {
                    await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
                    // Every run's point drawn (the info line is written with the chart), then a frame painted.
                    await page.WaitForFunctionAsync(
                        "text => document.querySelector('#chart-info')?.textContent === text && document.querySelector('#runs-chart canvas')",
                        plotted
                    );
                    await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
                }

                var ours = await BestAsync(5, page, Once, warmUp: true);
                Console.WriteLine($"ui-chart: '{await page.Locator("#chart-info").InnerTextAsync()}'");
                var baseline = await BlankAsync(page, server);
                return Summary.Report(
                    "ui-chart",
                    ours,
                    baseline,
                    ours / baseline,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"ours < {ChartTargetMs:F0} ms from navigation to one metric against a param of every run drawn; baseline navigation to {BlankPath}"
                    ),
                    ours < ChartTargetMs
                );
            }
        );
}
