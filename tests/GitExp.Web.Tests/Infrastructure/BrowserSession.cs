using Microsoft.Playwright;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// One browser context on a UI server, as a person sees it: a page at a fixed size, the dialogs it opened
/// (a script injected through run data would open one), and screenshots kept as test artifacts.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>
    /// Where screenshots are kept: <c>artifacts/test-results/screenshots</c> of the checkout the tests were built in
    /// (beside the TRX files), else the test output's <c>screenshots</c>.
    /// </summary>
    public static readonly string Screenshots = ScreenshotFolder();

    private readonly IBrowserContext _context;

    private BrowserSession(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        Page.Dialog += (_, dialog) =>
        {
            Dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
    }

    public IPage Page { get; }

    public List<string> Dialogs { get; } = [];

    /// <param name="browser">The browser.</param>
    /// <param name="baseAddress">The UI server's address.</param>
    /// <param name="timeZone">The browser's time zone (an IANA name); null keeps the machine's.</param>
    public static async Task<BrowserSession> OpenAsync(IBrowser browser, Uri baseAddress, string? timeZone = null)
    {
        var context = await browser.NewContextAsync(
            new()
            {
                BaseURL = baseAddress.ToString(),
                ViewportSize = new() { Width = 1400, Height = 900 },
                TimezoneId = timeZone,
                Locale = "en-US",
            }
        );
        context.SetDefaultTimeout(15_000);
        return new BrowserSession(context, await context.NewPageAsync());
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    public Task ScreenshotAsync(string name) => ScreenshotAsync(Page, name);

    /// <summary>
    /// Sets the window's width, then asserts that the page does not scroll sideways
    /// (<c>document.documentElement.scrollWidth &lt;= innerWidth</c>) and keeps a screenshot named
    /// <c>{name}-{width}</c>.
    /// </summary>
    public async Task AssertFitsAsync(int width, string name)
    {
        await Page.SetViewportSizeAsync(width, 900);
        // Two frames, so the layout of the new width has been made.
        await Page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        var widths = await Page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, innerWidth]");
        var (scrollWidth, innerWidth) = (widths[0], widths[1]);
        Assert.True(
            scrollWidth <= innerWidth,
            $"{name} at {width} px: the page is {scrollWidth} px wide in a {innerWidth} px window"
        );
        await ScreenshotAsync($"{name}-{width}");
    }

    /// <summary>axe-core on the page as it is now: no serious or critical violation (<see cref="PageChecks"/>).</summary>
    public Task AssertAccessibleAsync(string name) => PageChecks.AssertAccessibleAsync(Page, name);

    private static string ScreenshotFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitExp.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts", "test-results", "screenshots");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "screenshots");
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
