using GitExp.Core.Tracking;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The runs page's headers sort every column on the server, paging included (40 runs, pages of 25).</summary>
public sealed class RunsSortBrowserTests(RunsPageApiTests.ManyRuns ui, Browser browser)
    : IClassFixture<RunsPageApiTests.ManyRuns>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private async Task<List<string>> ColumnAsync(string column) =>
        (await Page.Locator($"#runs tbody td[data-column={column}]").AllInnerTextsAsync()).ToList();

    [Fact]
    public async Task Clicking_the_title_and_id_headers_sorts_the_whole_list_on_the_server()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 2 · 40 runs");

        await Page.Locator("#runs th[data-column=title]").ClickAsync();
        await Expect(Page.Locator("#runs th.sorted-desc")).ToHaveTextAsync("Title");
        // Bookmarked runs first (exp-05 "beta 05"; exp-20 has no title), then beta NN, newest first.
        var titles = await ColumnAsync("title");
        Assert.Equal(["beta 05", "", "beta 38", "beta 37", "beta 35"], titles.Take(5));
        await Page.Locator("#runs th[data-column=title]").ClickAsync();
        await Expect(Page.Locator("#runs th.sorted-asc")).ToHaveTextAsync("Title");
        Assert.Equal(["beta 05", "", "Alpha 03", "Alpha 06", "Alpha 09"], (await ColumnAsync("title")).Take(5));
        await Page.GetByText("Next ›").ClickAsync();
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 2 of 2 · 40 runs");
        // The runs without a title come last, newest first.
        Assert.Equal(["", "", ""], (await ColumnAsync("title")).TakeLast(3));

        await Page.Locator("#runs th[data-column=id]").ClickAsync();
        await Expect(Page.Locator("#runs th.sorted-desc")).ToHaveTextAsync("Id");
        var ids = await ColumnAsync("id");
        Assert.Equal(ids.Skip(2).OrderDescending(StringComparer.Ordinal), ids.Skip(2));
        Assert.Equal("39ab07", ids[2]);
    }

    [Fact]
    public async Task The_status_list_shows_interrupted_runs_with_a_badge_and_a_resumed_run_links_to_the_run_it_resumed()
    {
        var interrupted = ui.Runs.Where(r => r.Status == RunStatus.Interrupted).ToList();
        await Page.GotoAsync("/");
        await Page.Locator("#status").SelectOptionAsync("interrupted");

        await Expect(Page.Locator("#page-info")).ToHaveTextAsync($"Page 1 of 1 · {interrupted.Count} runs");
        await Expect(Page.Locator("#runs tbody td.status-interrupted")).ToHaveCountAsync(interrupted.Count);
        Assert.Contains("status=interrupted", Page.Url, StringComparison.Ordinal);
        await _session.ScreenshotAsync("runs-interrupted");

        var resumed = ui.Runs.Single(r => r.ResumedFrom is not null);
        await Page.GotoAsync("/run?id=" + resumed.Id);
        await Page.Locator("#resumed-from").ClickAsync();
        await Expect(Page.Locator("#run-name")).ToHaveTextAsync("exp-38");
        await Expect(Page.Locator("#run-status")).ToHaveClassAsync("status-interrupted");
    }
}
