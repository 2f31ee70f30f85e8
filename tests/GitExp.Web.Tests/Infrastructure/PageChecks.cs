using Microsoft.Playwright;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>What every page must get right at the two window widths people use: no sideways scroll, and a screenshot of each kept.</summary>
public static class PageChecks
{
    public static readonly int[] Widths = [1400, 1000];

    /// <summary>
    /// At each width: the page is no wider than the window (wide tables and graphs scroll inside their own box),
    /// and a screenshot <c>name-WIDTH.png</c> is kept. Leaves the page at 1,400 px.
    /// </summary>
    public static async Task FitsAndScreenshotAsync(IPage page, string name)
    {
        foreach (var width in Widths)
        {
            await page.SetViewportSizeAsync(width, 900);
            // Layout settles on the next frame after a resize.
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            var (scroll, inner) = await WidthsAsync(page);
            Assert.True(scroll <= inner, $"{name} at {width} px: the page is {scroll} px wide in a {inner} px window");
            await BrowserSession.ScreenshotAsync(page, $"{name}-{width}");
        }

        await page.SetViewportSizeAsync(1400, 900);
    }

    private static async Task<(int Scroll, int Inner)> WidthsAsync(IPage page)
    {
        var both = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        return (both[0], both[1]);
    }
}
