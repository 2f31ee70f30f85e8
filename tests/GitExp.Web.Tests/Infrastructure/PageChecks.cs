using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// What every page must get right as it is shown: no sideways scroll at the two window widths people use, no serious
/// or critical accessibility violation (axe-core), and a screenshot at each width kept as a test artifact.
/// </summary>
public static class PageChecks
{
    public static readonly int[] Widths = [1400, 1000];

    /// <summary>
    /// At each width: the page is no wider than the window (wide tables and graphs scroll inside their own box), and a
    /// screenshot <c>name-WIDTH.png</c> is kept; then axe-core finds no serious or critical violation. Leaves the page
    /// at 1,400 px.
    /// </summary>
    public static async Task AssertAsync(IPage page, string name)
    {
        foreach (var width in Widths)
        {
            await page.SetViewportSizeAsync(width, 900);
            // Layout settles on the next frame after a resize.
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            var both = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
            Assert.True(both[0] <= both[1], $"{name} at {width} px: the page is {both[0]} px wide in a {both[1]} px window");
            await BrowserSession.ScreenshotAsync(page, $"{name}-{width}");
        }

        await page.SetViewportSizeAsync(1400, 900);
        await AssertAccessibleAsync(page, name);
    }

    /// <summary>axe-core on the page as it is now: no serious or critical violation (each found is listed with its elements).</summary>
    public static async Task AssertAccessibleAsync(IPage page, string name)
    {
        // Frames are a run's own artifacts (an HTML report, sandboxed without scripts): axe cannot run inside them and
        // would wait for them; they are the user's content, not the UI's.
        var result = await page.RunAxe(new AxeRunOptions { Iframes = false });
        var severe = result
            .Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v =>
                $"{v.Impact} {v.Id} ({v.Help}): {string.Join("; ", v.Nodes.Take(3).Select(n => n.Target + " " + n.Html))}"
            )
            .ToList();
        Assert.True(severe.Count == 0, $"{name}: axe-core found\n{string.Join("\n", severe)}");
    }
}
