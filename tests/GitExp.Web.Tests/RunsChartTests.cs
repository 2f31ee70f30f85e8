using System.Net;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The runs page's chart view: one metric against a param or time across every run the filter selects.</summary>
public sealed class RunsChartTests(WideRunsProject ui, Browser browser)
    : IClassFixture<WideRunsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [Fact]
    public async Task The_chart_api_answers_the_two_values_of_every_selected_run()
    {
        var chart = await ui.GetJsonAsync("/api/runs/chart?y=metrics.eval.m1&x=params.model.encoder.p00");
        Assert.Equal("number", (string)chart["scale"]!);
        Assert.Equal(12, (int)chart["matched"]!);
        var pairs = chart["x"]!
            .AsArray()
            .Zip(chart["y"]!.AsArray(), (x, y) => ((double)x!, (double)y!))
            .OrderBy(p => p.Item1)
            .ToList();
        Assert.Equal(12, pairs.Count);
        Assert.Equal((0.0, 0.0274), pairs[0]);
        Assert.Equal((0.011, 12 * 0.0137 * 2), (pairs[11].Item1, Math.Round(pairs[11].Item2, 6)));

        // wide-03 has no m0: it is left out, and counted.
        var failed = await ui.GetJsonAsync("/api/runs/chart?y=metrics.eval.m0&filter=" + WebUtility.UrlEncode("status = failed"));
        Assert.Equal("time", (string)failed["scale"]!);
        Assert.Equal(3, (int)failed["matched"]!);
        Assert.Equal(2, failed["y"]!.AsArray().Count);

        var text = await ui.GetJsonAsync("/api/runs/chart?y=metrics.eval.m2&x=params.model.encoder.p09");
        Assert.Equal("text", (string)text["scale"]!);
        Assert.Equal(
            WideRunsProject.Optimizers.Order(StringComparer.Ordinal),
            text["categories"]!.AsArray().Select(c => (string)c!)
        );

        using var unknown = await ui.Http.GetAsync("/api/runs/chart?y=metrics.nonexistent");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(
            "chart 'metrics.nonexistent': no run has a metric 'nonexistent'",
            (string)System.Text.Json.Nodes.JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]!
        );
    }

    [Fact]
    public async Task The_chart_view_draws_a_metric_against_a_param_for_the_filtered_runs_and_keeps_its_axes_in_the_address()
    {
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(12);
        await Page.Locator("#view-chart").ClickAsync();
        await Expect(Page.Locator("#runs-chart canvas")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#view-chart")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(Page.Locator("#runs-wrap")).ToBeHiddenAsync();
        await Expect(Page.Locator("#chart-info"))
            .ToHaveTextAsync(
                "11 of 12 runs plotted (1 without a number for metrics.metrics.json:eval.m0 or a value for created)"
            );

        await Page.Locator("#chart-y").SelectOptionAsync("metrics.metrics.json:eval.m1");
        await Page.Locator("#chart-x").SelectOptionAsync("params.params.yaml:model.encoder.p09");
        await Expect(Page.Locator("#chart-info")).ToHaveTextAsync("12 of 12 runs plotted");
        await Page.Locator("#filter").FillAsync("status = failed");
        await Page.Locator("#filter").PressAsync("Enter");
        await Expect(Page.Locator("#chart-info")).ToHaveTextAsync("3 of 3 runs plotted");
        await _session.AssertFitsAsync(1400, "runs-chart");
        await _session.AssertFitsAsync(1000, "runs-chart");

        await Page.ReloadAsync();
        await Expect(Page.Locator("#chart-info")).ToHaveTextAsync("3 of 3 runs plotted");
        await Expect(Page.Locator("#chart-x")).ToHaveValueAsync("params.params.yaml:model.encoder.p09");
        await Page.Locator("#view-table").ClickAsync();
        await Expect(Page.Locator("#runs tbody tr")).ToHaveCountAsync(3);
    }
}
