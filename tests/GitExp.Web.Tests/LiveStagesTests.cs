using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The run page's stage graph while the run runs: each stage turns done as it finishes, without a reload.</summary>
public sealed class LiveStagesTests(LiveStagesProject ui, Browser browser)
    : IClassFixture<LiveStagesProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [Fact]
    public async Task Run_page_marks_each_stage_done_as_it_finishes_and_the_one_at_work_as_running()
    {
        ui.Hold("live");
        using var run = ExpTool.Start(ui.Repo.Root, "run", "-n", "live");
        await ui.WaitUntilAtAsync("live", "prepare");
        var id = (string)(await ui.GetJsonAsync("/api/runs?q=live"))["runs"]![0]!["id"]!;

        await Page.GotoAsync("/run?id=" + id + "#stages");
        var boxes = Page.Locator("#stage-graph .stage-box");
        await Expect(boxes.Locator(".stage-name")).ToHaveTextAsync(["prepare", "train"]);
        await Expect(boxes.Locator(".stage-status")).ToHaveTextAsync(["running", "not run"]);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");

        // The run is held at train now, so prepare can only have turned done through the live page.
        ui.Release("live", "prepare");
        await ui.WaitUntilAtAsync("live", "train");
        await Expect(boxes.Locator(".stage-status")).ToHaveTextAsync(["ran", "running"]);
        await Expect(boxes.Nth(0)).ToHaveClassAsync("stage-box stage-ran");
        await Expect(boxes.Nth(1)).ToHaveClassAsync("stage-box stage-running");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        await _session.ScreenshotAsync("run-live-stages");

        ui.Release("live", "train");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", new() { Timeout = 90_000 });
        await Expect(boxes.Locator(".stage-status")).ToHaveTextAsync(["ran", "ran"]);
        Assert.True(await Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page reloaded");
        var ended = await run.WaitAsync();
        Assert.True(ended.ExitCode == 0, ended.ToString());
        await _session.ScreenshotAsync("run-live-stages-done");
        Assert.Empty(_session.Dialogs);
    }
}
