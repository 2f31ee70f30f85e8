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
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private readonly List<string> _dialogs = [];
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _context = await browser.Instance.NewContextAsync(
            new()
            {
                BaseURL = ui.BaseAddress.ToString(),
                ViewportSize = new() { Width = 1400, Height = 900 },
            }
        );
        _context.SetDefaultTimeout(15_000);
        _page = await _context.NewPageAsync();
        _page.Dialog += (_, dialog) =>
        {
            _dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(Screenshots);
        await _page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    [Fact]
    public async Task Artifacts_page_lists_and_filters_outputs_with_links_to_their_runs_and_downloads()
    {
        await _page.GotoAsync("/");
        await _page.GetByRole(AriaRole.Link, new() { Name = "Artifacts", Exact = true }).ClickAsync();
        await Expect(_page.Locator("#artifacts tbody tr")).ToHaveCountAsync(12);
        await Expect(_page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 1 · 12 artifacts");

        await _page.Locator("#kind").SelectOptionAsync("plot");
        await Expect(_page.Locator("#artifacts tbody tr")).ToHaveCountAsync(3);
        await _page.Locator("#filter").FillAsync("name = a");
        await _page.Locator("#filter").PressAsync("Enter");
        var row = _page.Locator("#artifacts tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator("td[data-column=path] a"))
            .ToHaveAttributeAsync("href", $"/api/runs/{ui.Ids["a"]}/artifacts/plots/curve.png");
        await Expect(row.Locator("td[data-column=run] a")).ToHaveAttributeAsync("href", "/run?id=" + ui.Ids["a"]);

        await _page.Locator("#kind").SelectOptionAsync("");
        await _page.Locator("#q").FillAsync("rows");
        await Expect(_page.Locator("#artifacts tbody td[data-column=path]")).ToHaveTextAsync(["data/rows.txt"]);
        await _page.Locator("#filter").FillAsync("");
        await _page.Locator("#filter").PressAsync("Enter");
        await Expect(_page.Locator("#artifacts tbody tr")).ToHaveCountAsync(3);
        await ScreenshotAsync("artifacts");
        Assert.Empty(_dialogs);
    }

    [Fact]
    public async Task Executions_page_shows_statuses_and_cache_hits_and_filters_by_status()
    {
        await _page.GotoAsync("/executions");
        await Expect(_page.Locator("#executions tbody tr")).ToHaveCountAsync(6);
        await ScreenshotAsync("executions");

        await _page.Locator("#status").SelectOptionAsync("failed");
        var failed = _page.Locator("#executions tbody tr");
        await Expect(failed).ToHaveCountAsync(1);
        await Expect(failed.Locator("td[data-column=stage]")).ToHaveTextAsync("train");
        await Expect(failed.Locator("td[data-column=exit]")).ToHaveTextAsync("5");
        await Expect(failed.Locator("td[data-column=run]")).ToHaveTextAsync("broken");

        await _page.Locator("#status").SelectOptionAsync("");
        await _page.Locator("#cache-hit").SelectOptionAsync("true");
        await Expect(_page.Locator("#executions tbody td[data-column=status]")).ToHaveTextAsync(["up-to-date", "up-to-date"]);
        await Expect(_page.Locator("#executions tbody td[data-column=cache]")).ToHaveTextAsync(["yes", "yes"]);
    }

    [Fact]
    public async Task Pipelines_page_shows_each_file_with_its_versions()
    {
        await _page.GotoAsync("/pipelines");
        var exp = _page.Locator("section.pipeline[data-file='exp.yaml']");
        await Expect(exp.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(exp.Locator("tbody tr td:nth-child(4)")).ToHaveTextAsync(["Edit the pipeline", "Two stages"]);
        await Expect(exp).ToContainTextAsync("Stages: prepare, train · 2 versions");
        await ScreenshotAsync("pipelines");
    }

    [Fact]
    public async Task Run_page_draws_the_stage_graph_with_each_stages_status()
    {
        await _page.GotoAsync("/run?id=" + ui.Ids["b"]);
        var boxes = _page.Locator("#stage-graph .stage-box");
        await Expect(boxes).ToHaveCountAsync(2);
        await Expect(boxes.Locator(".stage-name")).ToHaveTextAsync(["prepare", "train"]);
        await Expect(boxes.Locator(".stage-status")).ToHaveTextAsync(["up-to-date", "ran"]);
        await Expect(boxes.Nth(0)).ToContainTextAsync("cache hit");
        await Expect(boxes.Nth(1).Locator(".stage-status")).ToHaveClassAsync("stage-status exec-ran");
        var line = _page.Locator("#stage-graph svg line");
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

        await _page.GotoAsync("/run?id=" + ui.Ids["broken"]);
        await Expect(_page.Locator("#stage-graph .stage-box .stage-status")).ToHaveTextAsync(["up-to-date", "failed"]);
        await Expect(_page.Locator("#stage-graph .stage-box").Nth(1)).ToContainTextAsync("exit 5");
        await ScreenshotAsync("run-stages-failed");
        Assert.Empty(_dialogs);
    }

    [Fact]
    public async Task Compare_shows_parallel_coordinates_and_the_same_artifact_of_each_run()
    {
        await _page.GotoAsync($"/compare?ids={ui.Ids["a"]},{ui.Ids["b"]}");
        await Expect(_page.Locator("#parallel canvas")).ToHaveCountAsync(1);
        await Expect(_page.Locator("#parallel .u-legend")).ToContainTextAsync("b");
        await Expect(_page.Locator("#artifact-path")).ToHaveValueAsync("plots/curve.png");
        await Expect(_page.Locator("#artifact-side img")).ToHaveCountAsync(2);
        await Expect(_page.Locator("#artifact-side img").First)
            .ToHaveAttributeAsync("src", $"/api/runs/{ui.Ids["a"]}/artifacts/plots/curve.png");
        await ScreenshotAsync("compare-extras");

        await _page.Locator("#artifact-path").SelectOptionAsync("model/model.bin");
        await Expect(_page.Locator("#artifact-side a[href$='/artifacts/model/model.bin']")).ToHaveCountAsync(2);
        Assert.Empty(_dialogs);
    }
}
