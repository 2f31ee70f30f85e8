using System.Globalization;
using Microsoft.Playwright;

namespace GitExp.Bench;

/// <summary><c>ui-run</c>: the run page with its tabs, over the same 10,000-run store as the other UI benches.</summary>
internal static partial class UiBench
{
    private const double RunPageTargetMs = 500;

    public static int RunPage(string[] args) => WithStore(args, "ui-run", RunPageBench);

    private static int RunPageBench(Store store) =>
        WithBrowser(
            store,
            async (page, server) =>
            {
                // A run with 1,000-step histories: the heaviest run page of the store.
                var url = new Uri(server.Address, "/run?id=" + store.HistoryIds[0]).ToString();
                async Task Once()
                {
                    await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
                    // The first screen: the tabs, the overview selected, its facts, params and metrics filled.
                    await page.WaitForFunctionAsync(
                        "() => document.querySelector('#tab-overview[aria-selected=true]') !== null"
                            + " && document.querySelector('#meta dd') !== null"
                            + $" && document.querySelectorAll('#params tbody tr').length === {ParamCount}"
                            + $" && document.querySelectorAll('#metrics tbody tr').length === {MetricCount}"
                    );
                    await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
                }

                var ours = await BestAsync(5, page, Once, warmUp: true);

                // For information: the Charts tab of the same run (its histories' step plots), from the click.
                var charts = await BestAsync(
                    3,
                    page,
                    async () =>
                    {
                        await page.GotoAsync(url + "#charts", new() { WaitUntil = WaitUntilState.Commit });
                        await page.WaitForFunctionAsync(
                            $"() => document.querySelectorAll('#plots .plot canvas').length === {HistoryMetrics}"
                        );
                    },
                    warmUp: true
                );
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"ui-run: the Charts tab ({HistoryMetrics} plots of {HistorySteps} steps) in {charts:F0} ms"
                    )
                );
                var baseline = await BlankAsync(page, server);
                return Summary.Report(
                    "ui-run",
                    ours,
                    baseline,
                    ours / baseline,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"ours < {RunPageTargetMs:F0} ms from navigation to the tabs and the overview (20 params, 10 metrics) of a run with {HistoryMetrics} 1,000-step histories; baseline navigation to {BlankPath}"
                    ),
                    ours < RunPageTargetMs
                );
            }
        );
}
