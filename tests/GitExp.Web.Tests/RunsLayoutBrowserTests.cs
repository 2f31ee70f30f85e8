using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The runs page with 20 params and 10 metrics: it fits the window, and the table scrolls inside its own box.</summary>
public sealed class RunsLayoutBrowserTests(WideRunsProject ui, Browser browser)
    : IClassFixture<WideRunsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator ParamHeaders => Page.Locator("#runs thead th.k-param");

    private ILocator MetricHeaders => Page.Locator("#runs thead th.k-metric");

    private Task<float> LeftAsync(ILocator cell) => cell.EvaluateAsync<float>("e => e.getBoundingClientRect().left");

    [Fact]
    public async Task The_runs_table_fits_the_window_at_1400_and_1000_px_and_keeps_id_and_name_in_view()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(12);
        await Page.Locator("#all-columns").CheckAsync();
        await Expect(ParamHeaders).ToHaveCountAsync(20);
        foreach (var width in new[] { 1400, 1000 })
        {
            await _session.AssertFitsAsync(width, "runs-wide");
            // The table is wider than the window: it scrolls inside its box, id and name stay where they were.
            var wrap = Page.Locator("#runs-wrap");
            Assert.True(
                await wrap.EvaluateAsync<bool>("w => w.scrollWidth > w.clientWidth"),
                "the table should scroll inside its box"
            );
            var name = Page.Locator("#runs tbody tr").First.Locator("td[data-column=name]");
            var id = Page.Locator("#runs tbody tr").First.Locator("td[data-column=id]");
            var (nameLeft, idLeft) = (await LeftAsync(name), await LeftAsync(id));
            var firstParam = Page.Locator("#runs tbody tr").First.Locator("td.k-param").First;
            var paramLeft = await LeftAsync(firstParam);
            await wrap.EvaluateAsync("w => { w.scrollLeft = w.scrollWidth; }");
            await Expect(name).ToBeVisibleAsync();
            Assert.Equal(nameLeft, await LeftAsync(name), 1f);
            Assert.Equal(idLeft, await LeftAsync(id), 1f);
            Assert.True(await LeftAsync(firstParam) < paramLeft - 100, "the params should have scrolled");
            await _session.ScreenshotAsync($"runs-wide-scrolled-{width}");
            await wrap.EvaluateAsync("w => { w.scrollLeft = 0; }");
        }

        // The default view (only what differs) fits too.
        await Page.Locator("#all-columns").UncheckAsync();
        await Expect(ParamHeaders).ToHaveCountAsync(WideRunsProject.DifferingParams);
        await _session.AssertFitsAsync(1400, "runs");
        await _session.AssertFitsAsync(1000, "runs");
    }

    [Fact]
    public async Task Params_and_metrics_show_as_groups_only_differing_ones_by_default_and_the_choice_is_kept_for_the_project()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs thead tr.groups th.group-param")).ToHaveTextAsync("Params");
        await Expect(Page.Locator("#runs thead tr.groups th.group-metric")).ToHaveTextAsync("Metrics");
        await Expect(ParamHeaders).ToHaveCountAsync(WideRunsProject.DifferingParams);
        await Expect(MetricHeaders).ToHaveCountAsync(WideRunsProject.DifferingMetrics);
        Assert.Equal(
            WideRunsProject.DifferingParams.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await Page.Locator("#runs thead tr.groups th.group-param").GetAttributeAsync("colspan")
        );
        // Params and metrics look different: each group has its own header colour.
        var paramColour = await ParamHeaders.First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        var metricColour = await MetricHeaders.First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.NotEqual(paramColour, metricColour);
        await Expect(Page.Locator("#columns-info")).ToHaveTextAsync("15 columns hidden");

        // One more column from the chooser: a param that is the same in every run.
        await Page.Locator("#columns").ClickAsync();
        await Page.Locator("#columns-panel input[data-column='params.params.yaml:model.encoder.p15']").CheckAsync();
        await Expect(ParamHeaders).ToHaveCountAsync(WideRunsProject.DifferingParams + 1);
        await Page.Locator("#columns-panel input[data-column='metrics.metrics.json:eval.m0']").UncheckAsync();
        await Expect(MetricHeaders).ToHaveCountAsync(WideRunsProject.DifferingMetrics - 1);

        await Page.ReloadAsync();
        await Expect(Page.Locator("#runs th[data-column='params.params.yaml:model.encoder.p15']")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#runs th[data-column='metrics.metrics.json:eval.m0']")).ToHaveCountAsync(0);
        var project = (string)(await ui.GetJsonAsync("/api/runs"))["project"]!;
        Assert.Equal(Path.GetFullPath(ui.Repo.Root).TrimEnd('/'), project.TrimEnd('/'));
        var stored = await Page.EvaluateAsync<string>("key => localStorage.getItem(key)", "gitexp.columns:" + project);
        Assert.Contains("p15", stored);

        await Page.Locator("#columns").ClickAsync();
        await Page.Locator("#columns-reset").ClickAsync();
        await Expect(ParamHeaders).ToHaveCountAsync(WideRunsProject.DifferingParams);
        await Expect(MetricHeaders).ToHaveCountAsync(WideRunsProject.DifferingMetrics);
    }

    [Fact]
    public async Task A_filter_naming_a_metric_or_a_status_no_run_has_says_which()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(12);
        await Page.Locator("#filter").FillAsync("metrics.nonexistent > 1");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#error"))
            .ToHaveTextAsync("filter 'metrics.nonexistent > 1': no run has a metric 'nonexistent'");
        await Page.Locator("#filter").FillAsync("status = succeded");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#error"))
            .ToHaveTextAsync(
                "filter 'status = succeded': no run has this status (expected queued, running, succeeded, failed or interrupted) at position 10 ('succeded')"
            );
        await _session.ScreenshotAsync("runs-filter-error");
    }

    [Fact]
    public async Task Parallel_coordinates_fit_the_page_honour_only_changed_and_leave_a_gap_for_a_missing_value()
    {
        var ids = string.Join(
            ",",
            new[] { "wide-02", "wide-03", "wide-04" }.Select(n => ui.Runs.Single(r => r.ExperimentName == n).Id)
        );
        await Page.GotoAsync("/compare?ids=" + ids);
        var parallel = Page.Locator("#parallel");
        await Expect(parallel.Locator("canvas")).ToHaveCountAsync(1);
        // 19 numeric params (p09 is text) and 10 metrics.
        await Expect(parallel).ToHaveAttributeAsync("data-axes", "29");
        await _session.AssertFitsAsync(1400, "compare-wide");
        await _session.AssertFitsAsync(1000, "compare-wide");
        Assert.True(
            await parallel.EvaluateAsync<bool>("p => p.getBoundingClientRect().right <= innerWidth"),
            "the chart should fit"
        );

        await Page.Locator("#only-changed").CheckAsync();
        // 9 numeric params and 8 metrics differ.
        await Expect(parallel).ToHaveAttributeAsync("data-axes", "17");
        await Expect(parallel.Locator("canvas")).ToHaveCountAsync(1);
        // wide-03 (the second run) has no eval.m0, the first metric axis (after 9 params): a gap, not a line across it.
        Assert.True(
            await parallel.EvaluateAsync<bool>(
                "p => p.chart.data[2][9] === null && p.chart.data[1][9] !== null && p.chart.series.slice(1).every(s => !s.spanGaps)"
            )
        );
        await _session.AssertFitsAsync(1400, "compare");
        await _session.AssertFitsAsync(1000, "compare");
    }
}
