using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>axe-core on the pages, filled with 12 runs of 20 params and 10 metrics: no serious or critical violation.</summary>
public sealed class AccessibilityBrowserTests(WideRunsProject ui, Browser browser)
    : IClassFixture<WideRunsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [Fact]
    public async Task Runs_compare_executions_artifacts_and_run_pages_have_no_serious_accessibility_violations()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(12);
        await _session.AssertAccessibleAsync("runs");
        await Page.Locator("#columns").ClickAsync();
        await _session.AssertAccessibleAsync("runs with the column chooser open");
        await Page.Locator("#view-chart").ClickAsync();
        await Expect(Page.Locator("#runs-chart canvas")).ToHaveCountAsync(1);
        await _session.AssertAccessibleAsync("runs chart");

        var three = string.Join(",", ui.Runs.Take(3).Select(r => r.Id));
        await Page.GotoAsync("/compare?ids=" + three);
        await Expect(Page.Locator("#parallel canvas")).ToHaveCountAsync(1);
        await _session.AssertAccessibleAsync("compare");

        foreach (var path in new[] { "/executions", "/artifacts", "/run?id=" + ui.Runs[0].Id })
        {
            await Page.GotoAsync(path);
            await Expect(Page.Locator("body[data-loaded]")).ToHaveCountAsync(1);
            await _session.AssertAccessibleAsync(path);
        }
    }
}
