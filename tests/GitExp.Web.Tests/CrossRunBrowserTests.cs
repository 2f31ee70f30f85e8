using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The artifacts, executions and pipelines pages and the compare extras, in Chromium against the real server.</summary>
public sealed class CrossRunBrowserTests(PipelineUiProject ui, Browser browser)
    : IClassFixture<PipelineUiProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    private List<string> Dialogs => _session.Dialogs;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private Task ScreenshotAsync(string name) => _session.ScreenshotAsync(name);

    [Fact]
    public async Task Artifacts_page_lists_and_filters_outputs_with_links_to_their_runs_and_downloads()
    {
        await Page.GotoAsync("/");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Artifacts", Exact = true }).ClickAsync();
        // a and b have 4 each; broken, which failed in train, only its prepare's data/rows.txt.
        await Expect(Page.Locator("#artifacts tbody tr")).ToHaveCountAsync(9);
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 1 · 9 artifacts");

        await Page.Locator("#kind").SelectOptionAsync("plot");
        await Expect(Page.Locator("#artifacts tbody tr")).ToHaveCountAsync(2);
        await Page.Locator("#filter").FillAsync("name = a");
        await Page.Locator("#filter").PressAsync("Enter");
        var row = Page.Locator("#artifacts tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator("td[data-column=path] a"))
            .ToHaveAttributeAsync("href", $"/api/runs/{ui.Ids["a"]}/artifacts/plots/curve.png");
        await Expect(row.Locator("td[data-column=run] a")).ToHaveAttributeAsync("href", "/run?id=" + ui.Ids["a"]);

        await Page.Locator("#kind").SelectOptionAsync("");
        await Page.Locator("#q").FillAsync("rows");
        await Expect(Page.Locator("#artifacts tbody td[data-column=path]")).ToHaveTextAsync(["data/rows.txt"]);
        await Page.Locator("#filter").FillAsync("");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#artifacts tbody tr")).ToHaveCountAsync(3);
        await ScreenshotAsync("artifacts");
        Assert.Empty(Dialogs);
    }

    [Fact]
    public async Task Executions_page_shows_statuses_and_cache_hits_and_filters_by_status()
    {
        await Page.GotoAsync("/executions");
        await Expect(Page.Locator("#executions tbody tr")).ToHaveCountAsync(6);
        await ScreenshotAsync("executions");

        await Page.Locator("#status").SelectOptionAsync("failed");
        var failed = Page.Locator("#executions tbody tr");
        await Expect(failed).ToHaveCountAsync(1);
        await Expect(failed.Locator("td[data-column=stage]")).ToHaveTextAsync("train");
        await Expect(failed.Locator("td[data-column=exit]")).ToHaveTextAsync("5");
        await Expect(failed.Locator("td[data-column=run]")).ToHaveTextAsync("broken");

        await Page.Locator("#status").SelectOptionAsync("");
        await Page.Locator("#cache-hit").SelectOptionAsync("true");
        await Expect(Page.Locator("#executions tbody td[data-column=status]")).ToHaveTextAsync(["up-to-date", "up-to-date"]);
        await Expect(Page.Locator("#executions tbody td[data-column=cache]")).ToHaveTextAsync(["yes", "yes"]);
    }

    [Fact]
    public async Task Pipelines_page_shows_each_file_with_its_versions()
    {
        await Page.GotoAsync("/pipelines");
        var exp = Page.Locator("section.pipeline[data-file='exp.yaml']");
        await Expect(exp.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(exp.Locator("tbody tr td:nth-child(4)")).ToHaveTextAsync(["Edit the pipeline", "Two stages"]);
        await Expect(exp).ToContainTextAsync("Stages: prepare, train · 2 versions");
        await ScreenshotAsync("pipelines");
    }

    [Fact]
    public async Task Run_page_draws_the_stage_graph_with_each_stages_status()
    {
        await Page.GotoAsync("/run?id=" + ui.Ids["b"] + "#stages");
        var boxes = Page.Locator("#stage-graph .stage-box");
        await Expect(boxes).ToHaveCountAsync(2);
        await Expect(boxes.Locator(".stage-name")).ToHaveTextAsync(["prepare", "train"]);
        await Expect(boxes.Locator(".stage-status")).ToHaveTextAsync(["up-to-date", "ran"]);
        await Expect(boxes.Nth(0)).ToContainTextAsync("cache hit");
        await Expect(boxes.Nth(1).Locator(".stage-status")).ToHaveClassAsync("stage-status exec-ran");
        var line = Page.Locator("#stage-graph svg line");
        await Expect(line).ToHaveCountAsync(1);
        await Expect(line).ToHaveAttributeAsync("data-from", "prepare");
        await Expect(line).ToHaveAttributeAsync("data-to", "train");

        // train is one column to the right of prepare, and the line joins the two boxes' facing edges.
        var prepare = (await boxes.Nth(0).BoundingBoxAsync())!;
        var train = (await boxes.Nth(1).BoundingBoxAsync())!;
        var drawn = (await line.BoundingBoxAsync())!;
        Assert.True(train.X > prepare.X + prepare.Width, $"train at x={train.X}, prepare ends at {prepare.X + prepare.Width}");
        Assert.Equal(prepare.Y, train.Y);
        Assert.InRange(drawn.X, prepare.X + prepare.Width - 2, prepare.X + prepare.Width + 2);
        Assert.InRange(drawn.X + drawn.Width, train.X - 2, train.X + 2);
        await ScreenshotAsync("run-stages");

        await Page.GotoAsync("/run?id=" + ui.Ids["broken"] + "#stages");
        await Expect(Page.Locator("#stage-graph .stage-box .stage-status")).ToHaveTextAsync(["up-to-date", "failed"]);
        await Expect(Page.Locator("#stage-graph .stage-box").Nth(1)).ToContainTextAsync("exit 5");
        await ScreenshotAsync("run-stages-failed");
        Assert.Empty(Dialogs);
    }

    [Fact]
    public async Task Compare_shows_parallel_coordinates_and_the_same_artifact_of_each_run()
    {
        await Page.GotoAsync($"/compare?ids={ui.Ids["a"]},{ui.Ids["b"]}");
        await Expect(Page.Locator("#parallel canvas")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#parallel .u-legend")).ToContainTextAsync("b");
        await Expect(Page.Locator("#artifact-path")).ToHaveValueAsync("plots/curve.png");
        await Expect(Page.Locator("#artifact-side img")).ToHaveCountAsync(2);
        await Expect(Page.Locator("#artifact-side img").First)
            .ToHaveAttributeAsync("src", $"/api/runs/{ui.Ids["a"]}/artifacts/plots/curve.png");
        await ScreenshotAsync("compare-extras");

        await Page.Locator("#artifact-path").SelectOptionAsync("model/model.bin");
        await Expect(Page.Locator("#artifact-side a[href$='/artifacts/model/model.bin']")).ToHaveCountAsync(2);
        Assert.Empty(Dialogs);
    }
}
