using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>What every page shares: the nav marks the current page, times are local with their zone, sizes in KiB/MiB,
/// every control has a label, and no request fails (the favicon included).</summary>
public sealed class PagePolishBrowserTests(WideRunsProject ui, Browser browser)
    : IClassFixture<WideRunsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() =>
        _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress, timeZone: "Europe/Berlin");

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [Fact]
    public async Task Pages_mark_themselves_in_the_nav_label_every_control_show_local_times_and_load_without_a_failed_request()
    {
        var failed = new List<string>();
        Page.Response += (_, response) =>
        {
            // The pages and what they load (scripts, styles, the icon); the API's answers are other tests' business
            // (a run written straight into the store has no log: 404).
            if (response.Status >= 400 && !response.Url.Contains("/api/", StringComparison.Ordinal))
            {
                failed.Add($"{response.Status} {response.Url}");
            }
        };
        var run = ui.Runs.Single(r => r.ExperimentName == "wide-00").Id;
        var two = string.Join(",", ui.Runs.Take(2).Select(r => r.Id));
        foreach (
            var (path, current) in new[]
            {
                ("/", "Runs"),
                ("/artifacts", "Artifacts"),
                ("/executions", "Executions"),
                ("/pipelines", "Pipelines"),
                ("/compare?ids=" + two, "Runs"),
                ("/run?id=" + run, "Runs"),
            }
        )
        {
            await Page.GotoAsync(path);
            await Expect(Page.Locator("body[data-loaded]")).ToHaveCountAsync(1);
            await Expect(Page.Locator("header nav a[aria-current]")).ToHaveTextAsync(current);
            if (!path.StartsWith("/run", StringComparison.Ordinal) && path != "/pipelines")
            {
                // Each input and list has a label (a placeholder is no label).
                var unlabelled = await Page.EvaluateAsync<string[]>(
                    "() => [...document.querySelectorAll('input, select, textarea')].filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML)"
                );
                Assert.True(unlabelled.Length == 0, $"{path}: unlabelled {string.Join(", ", unlabelled)}");
            }
        }

        // The favicon is served (an SVG), whatever address the browser asks.
        var icon = await ui.Http.GetAsync("/favicon.ico");
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
        Assert.Empty(failed);

        // 07:00 UTC is 08:00 in Berlin in January, and says so; sizes are in KiB and MiB on every page.
        await Page.GotoAsync("/");
        var created = Page.Locator("#runs tbody tr", new() { HasText = "wide-00" }).Locator("td[data-column=created]");
        await Expect(created).ToHaveTextAsync("2026-01-06 08:00:00 GMT+1");
        Assert.Equal(
            ["-", "512 B", "1.5 KiB", "5.0 MiB", "2.0 GiB"],
            await Page.EvaluateAsync<string[]>("() => [null, 512, 1536, 5 * 1048576, 2 * 1073741824].map(GitExp.size)")
        );
    }
}
