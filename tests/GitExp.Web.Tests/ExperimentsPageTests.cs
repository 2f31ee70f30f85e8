using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The experiments page: create an experiment, move runs into it and out, its best run, and the New run form picking it.</summary>
public sealed class ExperimentsPageTests(UiProject ui, Browser browser)
    : IClassFixture<UiProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator Experiment(string name) => Page.Locator($"#experiments tbody tr[data-name='{name}']");

    [Fact]
    public async Task Create_an_experiment_move_runs_into_it_and_see_its_best_run()
    {
        await Page.GotoAsync("/experiments");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("tuning");
        await Page.GetByLabel("Description (optional)").FillAsync("learning-rate sweep");
        await Page.Locator("#exp-create").ClickAsync();
        await Expect(Page.Locator("#result")).ToHaveTextAsync("Created experiment 'tuning'.");
        await Expect(Experiment("tuning").Locator("td[data-column=runs]")).ToHaveTextAsync("0");
        await Expect(Experiment("tuning")).ToContainTextAsync("learning-rate sweep");

        await Experiment("tuning").GetByRole(AriaRole.Link, new() { Name = "tuning" }).ClickAsync();
        await Expect(Page.Locator("#experiment-runs")).ToContainTextAsync("No runs in this experiment yet");
        foreach (var name in new[] { "lr-01", "lr-03" })
        {
            await Page.Locator($"#other-runs tr[data-name='{name}'] input.select").CheckAsync();
        }

        await Page.Locator("#move-here").ClickAsync();
        await Expect(Page.Locator("#result")).ToHaveTextAsync("Moved 2 runs into 'tuning'.");
        await Expect(Page.Locator("#experiment-runs tbody tr")).ToHaveCountAsync(2);
        await Expect(Page.Locator("#other-runs tr[data-name='lr-01']")).ToHaveCountAsync(0);
        Assert.Equal(2, (int)(await ui.GetJsonAsync("/api/runs?group=tuning"))["total"]!);
        await PageChecks.AssertAsync(Page, "experiment");

        // Two of its runs side by side.
        await Page.Locator("#experiment-runs input.select").First.CheckAsync();
        await Page.Locator("#experiment-runs input.select").Nth(1).CheckAsync();
        await Page.Locator("#compare-selected").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/compare\\?ids="));
        await Expect(Page.Locator("h1")).ToHaveTextAsync("Compare 2 runs");

        // The list: its runs and its best run by accuracy (highest first, then lowest).
        await Page.GotoAsync("/experiments?metric=metrics.json:acc");
        await Expect(Experiment("tuning").Locator("td[data-column=runs]")).ToHaveTextAsync("2");
        await Expect(Experiment("tuning").Locator("td[data-column=best]")).ToHaveTextAsync("0.9");
        await Expect(Experiment("tuning")).ToContainTextAsync("lr-01");
        await Page.Locator("#best-order").SelectOptionAsync("min");
        await Expect(Experiment("tuning").Locator("td[data-column=best]")).ToHaveTextAsync("0.7");
        await PageChecks.AssertAsync(Page, "experiments");

        // Out again: moved to no experiment.
        await Page.GotoAsync("/experiments?name=tuning");
        await Page.Locator("#experiment-runs tr[data-name='lr-03'] input.select").CheckAsync();
        await Page.Locator("#move-target").SelectOptionAsync("");
        await Page.Locator("#move-selected").ClickAsync();
        await Expect(Page.Locator("#experiment-runs tbody tr")).ToHaveCountAsync(1);
        Assert.Null((await ui.GetJsonAsync("/api/runs/" + ui.Ids["lr-03"]))["group"]);
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task New_run_form_picks_the_experiment_and_bad_input_is_one_line()
    {
        var made = await ui.PostAsync("/api/experiments", new { name = "picked", description = (string?)null });
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        await Page.GotoAsync("/experiments?name=picked");
        await Page.Locator("#new-run-here").ClickAsync();
        await Expect(Page.Locator("#new-group")).ToHaveValueAsync("picked");
        await Expect(Page.Locator("#group-names option[value='picked']")).ToHaveCountAsync(1);
        await Expect(Page.GetByLabel("Experiment (pick one or type a new name)")).ToHaveValueAsync("picked");
        await PageChecks.AssertAsync(Page, "new-run");

        await AssertErrorAsync(
            await ui.PostAsync("/api/experiments", new { name = "picked" }),
            HttpStatusCode.Conflict,
            "experiment 'picked' exists already: pick another name"
        );
        await AssertErrorAsync(
            await ui.PostAsync("/api/experiments", new { name = "  " }),
            HttpStatusCode.BadRequest,
            "experiment name: expected a name, got nothing"
        );
        await AssertErrorAsync(
            await ui.PostAsync("/api/experiments", new { name = "x", owner = "me" }),
            HttpStatusCode.BadRequest,
            "experiments: unknown field 'owner' (expected name, description)"
        );
        await AssertErrorAsync(
            await ui.PostAsync("/api/experiments/move", new { runs = new[] { "nope" }, experiment = "picked" }),
            HttpStatusCode.NotFound,
            "no run 'nope': expected a run id, a unique id prefix or an experiment name (see 'dotnet exp runs list')"
        );
        Assert.Equal(
            HttpStatusCode.Forbidden,
            (await ui.PostAsync("/api/experiments", new { name = "no-token" }, withToken: false)).StatusCode
        );
        var names = (await ui.GetJsonAsync("/api/experiments"))["experiments"]!.AsArray().Select(x => (string)x!["name"]!);
        Assert.DoesNotContain("no-token", names);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(message, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!);
    }
}
