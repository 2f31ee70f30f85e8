using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>Deleting runs asks first; the runs page's Deleted view lists them and restores them.</summary>
public sealed class DeleteRestoreBrowserTests(WideRunsProject ui, Browser browser)
    : IClassFixture<WideRunsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator Rows => Page.Locator("#runs tbody tr");

    private ILocator Row(string name) =>
        Page.Locator("#runs tbody tr", new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    private string Id(string name) => ui.Runs.Single(r => r.ExperimentName == name).Id;

    private async Task<bool> DeletedAsync(string name) => (bool)(await ui.GetJsonAsync("/api/runs/" + Id(name)))["deleted"]!;

    [Fact]
    public async Task Deleting_asks_first_and_the_deleted_view_restores_runs()
    {
        await Page.GotoAsync("/");
        await Expect(Rows).ToHaveCountAsync(12);
        await Row("wide-00").Locator("input.select").CheckAsync();
        await Row("wide-01").Locator("input.select").CheckAsync();
        await Page.Locator("#delete-selected").ClickAsync();
        var dialog = Page.Locator("dialog.confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("p")).ToContainTextAsync("Delete 2 runs (wide-00, wide-01)?");
        await _session.ScreenshotAsync("runs-delete-confirm");
        await Page.Locator("#confirm-cancel").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        Assert.False(await DeletedAsync("wide-00"));

        await Page.Locator("#delete-selected").ClickAsync();
        await Page.Locator("#confirm-ok").ClickAsync();
        await Expect(Rows).ToHaveCountAsync(10);
        Assert.True(await DeletedAsync("wide-00"));
        Assert.True(await DeletedAsync("wide-01"));

        await Page.Locator("#show").SelectOptionAsync("deleted");
        await Expect(Rows).ToHaveCountAsync(2);
        await Expect(Page.Locator("#deleted-note")).ToBeVisibleAsync();
        Assert.Contains("deleted=true", Page.Url, StringComparison.Ordinal);
        await _session.AssertFitsAsync(1000, "runs-deleted");
        await Row("wide-00").GetByRole(AriaRole.Button, new() { Name = "Restore wide-00" }).ClickAsync();
        await Expect(Rows).ToHaveCountAsync(1);
        Assert.False(await DeletedAsync("wide-00"));

        // The run page: restoring asks nothing, deleting asks, and Cancel keeps the run.
        await Page.GotoAsync("/run?id=" + Id("wide-01"));
        await Expect(Page.Locator("#delete")).ToHaveTextAsync("Restore deleted run");
        await Page.Locator("#delete").ClickAsync();
        await Expect(Page.Locator("#delete")).ToHaveTextAsync("Delete");
        Assert.False(await DeletedAsync("wide-01"));
        await Page.Locator("#delete").ClickAsync();
        await Expect(Page.Locator("dialog.confirm p")).ToContainTextAsync("Delete run wide-01?");
        await Page.Keyboard.PressAsync("Escape");
        await Expect(Page.Locator("dialog.confirm")).ToHaveCountAsync(0);
        Assert.False(await DeletedAsync("wide-01"));
        Assert.Empty(_session.Dialogs);
    }
}
