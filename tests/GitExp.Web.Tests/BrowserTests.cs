using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>Debian's Chromium, headless, driven by Playwright (no browser download is possible here).</summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // A loaded machine running other test projects in parallel can be slow to re-render.
        SetDefaultExpectTimeout(10_000);
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(
            new()
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args =
                [
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            }
        );
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>What a person sees and does in the pages, against the real tool's server.</summary>
public sealed class BrowserTests(UiProject ui, Browser browser) : IClassFixture<UiProject>, IClassFixture<Browser>, IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    private List<string> Dialogs => _session.Dialogs;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator Row(string name) =>
        Page.Locator("#runs tbody tr", new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    private async Task<List<string>> NamesAsync() =>
        (await Page.Locator("#runs tbody td[data-column=name]").AllInnerTextsAsync()).ToList();

    private Task ScreenshotAsync(string name) => _session.ScreenshotAsync(name);

    [Fact]
    public async Task Runs_page_filters_sorts_and_bookmarks()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(4);
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 1 · 4 runs");

        await Page.Locator("#runs th[data-column='metrics.metrics.json:acc']").ClickAsync();
        await Expect(Page.Locator("#runs th.sorted-desc")).ToHaveTextAsync("acc");
        Assert.Equal(["lr-01", "lr-02", "lr-03", "lr-05"], await NamesAsync());
        await Page.Locator("#runs th[data-column='metrics.metrics.json:acc']").ClickAsync();
        await Expect(Page.Locator("#runs th.sorted-asc")).ToHaveTextAsync("acc");
        Assert.Equal(["lr-05", "lr-03", "lr-02", "lr-01"], await NamesAsync());

        await Page.Locator("#filter").FillAsync("metrics.acc >= 0.8");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(2);
        Assert.Equal(["lr-02", "lr-01"], await NamesAsync());

        await Page.Locator("#filter").FillAsync("metrics.acc >");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#error")).ToHaveTextAsync("filter 'metrics.acc >': expected a value at position 14 (the end)");

        await Page.Locator("#filter").FillAsync("");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(4);
        await Row("lr-03").Locator("button.star").ClickAsync();
        await Expect(Page.Locator("#runs tbody tr").First.Locator("td[data-column=name]")).ToHaveTextAsync("lr-03");
        await Expect(Page.Locator("#runs tbody tr").First.Locator("button.star")).ToHaveClassAsync("star on");
        await ScreenshotAsync("runs");

        await Row("lr-03").Locator("button.star").ClickAsync();
        await Expect(Row("lr-03").Locator("button.star")).ToHaveClassAsync("star");
        Assert.Empty(Dialogs);
    }

    [Fact]
    public async Task Run_page_saves_a_note_that_survives_a_reload()
    {
        await Page.GotoAsync("/");
        await Row("lr-03").GetByRole(AriaRole.Link, new() { Name = "lr-03" }).ClickAsync();
        await Expect(Page.Locator("#run-name")).ToHaveTextAsync("lr-03");
        await Expect(Page.Locator("#params")).ToContainTextAsync("params.yaml:train.lr");
        await Expect(Page.Locator("#metrics tbody tr").First).ToHaveTextAsync("metrics.json:acc0.70.70.7");
        await Page.Locator("#tab-charts").ClickAsync();
        await Expect(Page.Locator("#plots canvas")).ToHaveCountAsync(1);
        await Page.Locator("#tab-log").ClickAsync();
        await Expect(Page.Locator("#log")).ToContainTextAsync("trained with lr=0.3");

        await Page.Locator("#tab-overview").ClickAsync();
        await Page.Locator("#notes").FillAsync("loss still falling at step 4 <b>try more epochs</b>");
        await Page.Locator("#title-input").FillAsync("mid lr");
        var saved = await Page.RunAndWaitForResponseAsync(
            () => Page.Locator("#save").ClickAsync(),
            r => r.Url.EndsWith("/annotate", StringComparison.Ordinal)
        );
        Assert.Equal(200, saved.Status);
        await Expect(Page.Locator("#error")).ToBeEmptyAsync();
        await Page.ReloadAsync();

        await Expect(Page.Locator("#notes")).ToHaveValueAsync("loss still falling at step 4 <b>try more epochs</b>");
        await Expect(Page.Locator("#title-input")).ToHaveValueAsync("mid lr");
        await ScreenshotAsync("run");
        var shown = (await ui.Repo.ExpOkAsync("runs", "show", ui.Ids["lr-03"], "--json")).StdOut;
        Assert.Contains("try more epochs", shown);
    }

    [Fact]
    public async Task Three_selected_runs_compare_side_by_side_with_differences_and_charts()
    {
        await Page.GotoAsync("/");
        foreach (var name in new[] { "lr-01", "lr-02", "lr-05" })
        {
            await Row(name).Locator("input.select").CheckAsync();
        }

        await Expect(Page.Locator("#compare")).ToHaveTextAsync("Compare (3)");
        await Page.Locator("#compare").ClickAsync();

        await Expect(Page.Locator("h1")).ToHaveTextAsync("Compare 3 runs");
        var lr = Page.Locator("#params tr[data-key='params.yaml:train.lr']");
        await Expect(lr.Locator("td")).ToHaveTextAsync(["params.yaml:train.lr", "0.1", "0.2", "0.5"]);
        await Expect(lr).ToHaveClassAsync("differs");
        var epochs = Page.Locator("#params tr[data-key='params.yaml:train.epochs']");
        await Expect(epochs).Not.ToHaveClassAsync("differs");
        await Expect(Page.Locator("#metrics tr[data-key='metrics.json:acc'] td"))
            .ToHaveTextAsync(["metrics.json:acc", "0.9", "0.8-0.1", "0.5-0.4"]);
        await Expect(Page.Locator("#plots canvas")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#plots .u-legend")).ToContainTextAsync("lr-02");
        await ScreenshotAsync("compare");

        await Page.Locator("#only-changed").CheckAsync();
        await Expect(epochs).ToHaveCountAsync(0);
        await Expect(lr).ToHaveCountAsync(1);
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator("#csv").ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("param,params.yaml:train.lr,0.1,0.2,0.5", csv);
        Assert.DoesNotContain("train.epochs", csv);
    }

    [Fact]
    public async Task A_script_title_shows_as_text_and_no_dialog_fires()
    {
        await Page.GotoAsync("/");
        await Expect(Row("lr-02").Locator("td[data-column=title]")).ToHaveTextAsync(UiProject.ScriptTitle);
        await Page.GotoAsync("/run?id=" + ui.Ids["lr-02"]);
        await Expect(Page.Locator("#title-input")).ToHaveValueAsync(UiProject.ScriptTitle);
        await Page.GotoAsync($"/compare?ids={ui.Ids["lr-02"]},{ui.Ids["lr-01"]}");
        await Expect(Page.Locator("#params thead")).ToContainTextAsync(UiProject.ScriptTitle);

        Assert.Equal(0, await Page.Locator("script:not([src])").CountAsync());
        Assert.Empty(Dialogs);
    }
}
