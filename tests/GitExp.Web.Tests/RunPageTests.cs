using System.Text.RegularExpressions;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The run page's tabs, a stage's details, browsable folders and bounded previews, and the banner of an archived run.</summary>
public sealed partial class RunPageTests(ActionsProject ui, Browser browser)
    : IClassFixture<ActionsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    private string Art => ui.Ids["art"];

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [Fact]
    public async Task First_screen_shows_the_tabs_and_the_overview_and_the_tab_stays_in_the_address()
    {
        await Page.GotoAsync("/run?id=" + Art);
        await Expect(Page.Locator("[role=tab]"))
            .ToHaveTextAsync(["Overview", "Charts", "Stages", "Artifacts", "Log", "Checkpoints"]);
        await Expect(Page.Locator("#tab-overview")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(Page.Locator("#meta dd[data-field='Status']")).ToHaveTextAsync("succeeded");
        // The overview's run facts and metrics are on the first screen (900 px), not below a long page.
        foreach (var selector in new[] { "[role=tablist]", "#meta", "#metrics" })
        {
            var box = (await Page.Locator(selector).BoundingBoxAsync())!;
            Assert.True(box.Y < 900, $"{selector} starts at {box.Y} px");
        }

        await Expect(Page.Locator("#panel-log")).ToBeHiddenAsync();
        await PageChecks.AssertAsync(Page, "run-overview");

        await Page.Locator("#tab-log").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("#log$"));
        await Expect(Page.Locator("#log")).ToContainTextAsync("trained with lr=0.1");
        await Expect(Page.Locator("#panel-overview")).ToBeHiddenAsync();
        await Page.ReloadAsync();
        await Expect(Page.Locator("#tab-log")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(Page.Locator("#log")).ToBeVisibleAsync();
        await PageChecks.AssertAsync(Page, "run-log");

        // Arrow keys move between tabs, as in any tab list.
        await Page.Locator("#tab-log").FocusAsync();
        await Page.Keyboard.PressAsync("ArrowRight");
        await Expect(Page.Locator("#tab-checkpoints")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(Page.Locator("#checkpoints")).ToHaveTextAsync("No checkpoints.");
        await PageChecks.AssertAccessibleAsync(Page, "run-checkpoints");
        await Page.Locator("#tab-charts").ClickAsync();
        await Expect(Page.Locator("#plots")).ToContainTextAsync("No step history");
        await PageChecks.AssertAccessibleAsync(Page, "run-charts");
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task Clicking_a_stage_shows_its_command_deps_outs_params_log_and_artifacts()
    {
        await Page.GotoAsync("/run?id=" + Art + "#stages");
        await Page.Locator("#stage-graph .stage-box[data-stage='train']").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("#stages/train$"));
        await Expect(Page.Locator("#stage-title")).ToHaveTextAsync("train");
        await Expect(Page.Locator("#stage-command")).ToHaveTextAsync("sh train.sh");
        await Expect(Page.Locator("#stage-deps li")).ToHaveTextAsync(["train.sh"]);
        await Expect(Page.Locator("#stage-params li"))
            .ToHaveTextAsync(["params.yaml:train.lr", "params.yaml:train.epochs", "params.yaml:train.optimizer"]);
        await Expect(Page.Locator("#stage-outs")).ToContainTextAsync("model (out)");
        await Expect(Page.Locator("#stage-outs")).ToContainTextAsync("metrics.json (metric, in Git)");
        await Expect(Page.Locator("#stage-facts dd[data-field='Status']")).ToHaveTextAsync("ran");
        await Expect(Page.Locator("#stage-facts dd[data-field='Cache hit']")).ToHaveTextAsync("no");
        await Expect(Page.Locator("#stage-facts dd[data-field='Duration']")).Not.ToHaveTextAsync("-");
        await Expect(Page.Locator("#stage-artifacts")).ToContainTextAsync("dot.png");
        await Expect(Page.Locator("#stage-artifacts")).ToContainTextAsync("model/ (folder, 2 files)");
        // Its own part of the log: its command's output, not another stage's.
        await Expect(Page.Locator("#stage-log")).ToContainTextAsync("# stage train at ");
        await Expect(Page.Locator("#stage-log")).ToContainTextAsync("trained with lr=0.1");
        await Expect(Page.Locator("#stage-log")).Not.ToContainTextAsync("tick");
        await PageChecks.AssertAsync(Page, "run-stage");

        // The address opens the same stage.
        await Page.ReloadAsync();
        await Expect(Page.Locator("#stage-title")).ToHaveTextAsync("train");
        await Expect(Page.Locator("#stage-graph .stage-box[data-stage='train']")).ToHaveAttributeAsync("aria-pressed", "true");
        // A folder artifact links to the Artifacts tab with the folder open.
        await Page.Locator("#stage-artifacts a", new() { HasText = "model/" }).ClickAsync();
        await Expect(Page.Locator("#tab-artifacts")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(Page.Locator("#artifact-list tr[data-path='model/weights.txt']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_folder_opens_to_its_files_and_previews_are_bounded()
    {
        await Page.GotoAsync("/run?id=" + Art + "#artifacts");
        var weights = Page.Locator("#artifact-list tr[data-path='model/weights.txt']");
        await Expect(weights).ToBeHiddenAsync();
        await Page.Locator("button.folder-toggle[data-folder='model']").ClickAsync();
        await Expect(weights).ToBeVisibleAsync();
        await Expect(Page.Locator("button.folder-toggle[data-folder='model']")).ToHaveAttributeAsync("aria-expanded", "true");
        // A file of the folder downloads itself, not the folder's JSON error.
        var download = await Page.RunAndWaitForDownloadAsync(() => weights.Locator("a.download").ClickAsync());
        Assert.Equal("weights lr=0.1\n", await File.ReadAllTextAsync((await download.PathAsync())!));

        await Expect(Page.Locator("#previews figure", new() { HasText = "loss.csv" }).Locator("table"))
            .ToContainTextAsync("0.25");
        foreach (var body in await Page.Locator("#previews .preview-body").AllAsync())
        {
            var height = await body.EvaluateAsync<int>("b => b.getBoundingClientRect().height");
            Assert.True(height <= 320, $"a preview is {height} px tall");
        }

        await PageChecks.AssertAsync(Page, "run-artifacts");

        // The artifacts of all runs: a folder opens on its run's page, never its raw JSON error.
        await Page.GotoAsync("/artifacts");
        await Page.Locator("#artifacts td[data-column=path] a", new() { HasText = "model/" }).ClickAsync();
        await Expect(Page.Locator("#tab-artifacts")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(weights).ToBeVisibleAsync();
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task An_archived_run_shows_a_banner_that_restores_it()
    {
        var archived = await ui.PostAsync($"/api/runs/{Art}/archive");
        archived.EnsureSuccessStatusCode();
        try
        {
            await Page.GotoAsync("/run?id=" + Art);
            await Expect(Page.Locator("#run-banner")).ToContainTextAsync("This run is archived");
            await PageChecks.AssertAsync(Page, "run-archived");
            await Page.Locator("#banner-restore").ClickAsync();
            await Expect(Page.Locator("#run-banner")).ToHaveCountAsync(0);
            Assert.False((bool)(await ui.GetJsonAsync("/api/runs/" + Art))["archived"]!);
        }
        finally
        {
            await ui.PostAsync($"/api/runs/{Art}/restore");
        }
    }
}
