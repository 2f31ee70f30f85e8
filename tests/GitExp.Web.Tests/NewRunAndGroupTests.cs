using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>
/// The runs page's group filter, a run's group on its page, the New run page (queued or started at once) and
/// the run page's live log, through the real server, real runs and Chromium.
/// </summary>
public sealed class NewRunAndGroupTests(EpochsProject ui, Browser browser)
    : IClassFixture<EpochsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions RunLength = new() { Timeout = 90_000 };

    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator Rows => Page.Locator("#runs tbody tr");

    private ILocator Meta(string field) => Page.Locator($"#meta dd[data-field='{field}']");

    private ILocator Param(string key) => Page.Locator("#params tbody tr", new() { HasText = key }).Locator("td").Nth(1);

    private async Task<List<string>> NamesAsync() =>
        (await Page.Locator("#runs tbody td[data-column=name]").AllInnerTextsAsync()).ToList();

    private async Task<JsonNode> ShowAsync(string id) =>
        JsonNode.Parse((await ui.Repo.ExpOkAsync("runs", "show", id, "--json")).StdOut)!;

    [Fact]
    public async Task Group_filter_shows_one_groups_runs_and_stays_in_the_address()
    {
        await Page.GotoAsync("/");
        var group = Page.Locator("#group");
        await Expect(group.Locator("option")).ToContainTextAsync(["All groups", "baseline (1)", "sweep (2)"]);
        await Expect(group).ToHaveValueAsync("");
        await Expect(Rows.Locator("td[data-column=name]", new() { HasText = "plain" })).ToHaveCountAsync(1);
        Assert.Superset(new HashSet<string> { "base", "sweep-a", "sweep-b", "plain" }, (await NamesAsync()).ToHashSet());

        await group.SelectOptionAsync("sweep");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 1 · 2 runs");
        Assert.Equal(["sweep-b", "sweep-a"], await NamesAsync());
        Assert.Contains("group=sweep", Page.Url, StringComparison.Ordinal);
        await _session.ScreenshotAsync("runs-group-filter");

        // The address keeps the choice: a reload (or a shared link) shows the same runs.
        await Page.ReloadAsync();
        await Expect(Page.Locator("#group")).ToHaveValueAsync("sweep");
        await Expect(Rows).ToHaveCountAsync(2);
        await Page.GotoAsync("/?group=baseline");
        await Expect(Rows).ToHaveCountAsync(1);
        Assert.Equal(["base"], await NamesAsync());

        // A group with no runs (left over in a link) stays chosen, shown with none.
        await Page.GotoAsync("/?group=nobody");
        await Expect(Page.Locator("#group")).ToHaveValueAsync("nobody");
        await Expect(Page.Locator("#group option:checked")).ToHaveTextAsync("nobody (0)");
        await Expect(Page.Locator("#page-info")).ToHaveTextAsync("Page 1 of 1 · 0 runs");

        await Page.Locator("#group").SelectOptionAsync("");
        await Expect(Rows.Locator("td[data-column=name]", new() { HasText = "plain" })).ToHaveCountAsync(1);
        Assert.DoesNotContain("group=nobody", Page.Url, StringComparison.Ordinal);
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task Run_page_puts_a_run_into_a_group_and_takes_it_out()
    {
        var plain = ui.Ids["plain"];
        await Page.GotoAsync("/run?id=" + plain);
        await Expect(Meta("Experiment")).ToHaveTextAsync("-");
        // The input offers the groups in use.
        await Expect(Page.Locator("#group-names option[value='sweep']")).ToHaveCountAsync(1);

        await Page.Locator("#group-input").FillAsync(" keepers ");
        await Page.Locator("#save").ClickAsync();
        await Expect(Meta("Experiment")).ToHaveTextAsync("keepers");
        await Expect(Page.Locator("#group-input")).ToHaveValueAsync("keepers");
        await _session.ScreenshotAsync("run-group");
        Assert.Equal("keepers", (string)(await ShowAsync(plain))["group"]!);
        await Page.GotoAsync("/?group=keepers");
        await Expect(Rows).ToHaveCountAsync(1);
        Assert.Equal(["plain"], await NamesAsync());

        await Page.GotoAsync("/run?id=" + plain);
        await Page.Locator("#group-input").FillAsync("");
        await Page.Locator("#save").ClickAsync();
        await Expect(Meta("Experiment")).ToHaveTextAsync("-");
        Assert.Null((await ShowAsync(plain))["group"]);
        var groups = (await ui.GetJsonAsync("/api/groups"))["groups"]!.AsArray();
        Assert.DoesNotContain("keepers", groups.Select(g => (string)g!["name"]!));
    }

    [Fact]
    public async Task Groups_list_with_counts_and_bad_input_is_one_line_naming_the_field()
    {
        var groups = (await ui.GetJsonAsync("/api/groups"))["groups"]!.AsArray();
        var counts = groups.ToDictionary(g => (string)g!["name"]!, g => (int)g!["runs"]!);
        Assert.Equal(1, counts["baseline"]);
        Assert.Equal(2, counts["sweep"]);
        Assert.Empty((await ui.GetJsonAsync("/api/groups?archived=true"))["groups"]!.AsArray());

        await AssertErrorAsync(await ui.Http.GetAsync("/api/groups?archived=maybe"), "archived 'maybe': expected true or false");
        await AssertErrorAsync(
            await ui.PostAsync($"/api/runs/{ui.Ids["base"]}/annotate", new { group = 5 }),
            "annotate: 'group' must be text or null"
        );
        Assert.Equal("baseline", (string)(await ShowAsync(ui.Ids["base"]))["group"]!);
        const string Either =
            "runs/new: send either queue: true (queue it for 'dotnet exp queue start') or temp: true (start it now, as 'dotnet exp run --temp')";
        await AssertErrorAsync(await ui.PostAsync("/api/runs/new", new { queue = true, temp = true }), Either);
        await AssertErrorAsync(await ui.PostAsync("/api/runs/new", new { temp = "yes" }), Either);
        await AssertErrorAsync(
            await ui.PostAsync("/api/runs/new", new { temp = true, group = new[] { "a" } }),
            "'group' must be text or null"
        );
        // Starting a run is a change like any other: without the token nothing is queued or started.
        Assert.Equal(
            HttpStatusCode.Forbidden,
            (await ui.PostAsync("/api/runs/new", new { temp = true }, withToken: false)).StatusCode
        );
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, string message)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!);
    }

    [Fact]
    public async Task New_run_page_queues_a_run_with_its_description_group_and_edited_param()
    {
        await Page.GotoAsync("/");
        await Page.Locator("#new-run").ClickAsync();
        await Page.Locator("#new-title").FillAsync("more epochs, queued");
        await Page.Locator("#new-group").FillAsync("ui-queued");
        await Page.Locator("#new-params tr[data-key='params.yaml:train.epochs'] input").FillAsync("5");
        await Page.Locator("#queue").ClickAsync();
        await Expect(Page.Locator("#result")).ToContainTextAsync("Queued '");
        await _session.ScreenshotAsync("new-run-queued");

        await Page.GotoAsync("/");
        await Page.Locator("#group").SelectOptionAsync("ui-queued");
        await Expect(Rows).ToHaveCountAsync(1);
        await Expect(Rows.Locator("td[data-column=status]")).ToHaveTextAsync("queued");
        await Expect(Rows.Locator("td[data-column=title]")).ToHaveTextAsync("more epochs, queued");
        var id = (await Rows.GetAttributeAsync("data-id"))!;

        var run = await ShowAsync(id);
        Assert.Equal(("queued", "ui-queued"), ((string)run["status"]!, (string)run["group"]!));
        Assert.Equal(5, (int)run["params"]!["params.yaml:train.epochs"]!);
        var entry = JsonNode.Parse((await ui.Repo.ExpOkAsync("queue", "status", "--json")).StdOut)!["entries"]!
            .AsArray()
            .Single(e => (string)e!["id"]! == id)!;
        Assert.Equal("queued", (string)entry["status"]!);
        Assert.Contains("epochs: 5", await ui.Repo.GitAsync("show", $"refs/exps/queue/{id}:params.yaml"));
    }

    [Fact]
    public async Task New_run_page_starts_a_run_at_once_in_its_own_workspace_and_opens_its_page()
    {
        await Page.GotoAsync("/new");
        await Page.Locator("#new-title").FillAsync("smaller lr, right away");
        await Page.Locator("#new-group").FillAsync("ui-now");
        await Page.Locator("#new-params tr[data-key='params.yaml:train.lr'] input").FillAsync("0.05");
        await Page.Locator("#start").ClickAsync();

        await Page.WaitForURLAsync("**/run?id=*");
        var id = new Uri(Page.Url).Query.Split('=')[1];
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", RunLength);
        await Expect(Param("params.yaml:train.lr")).ToHaveTextAsync("0.05");
        await Expect(Page.Locator("#metrics tbody tr").First).ToHaveTextAsync("metrics.json:acc0.950.950.95");
        await Expect(Page.Locator("#log")).ToContainTextAsync("epoch 3 lr=0.05");
        await Expect(Page.Locator("#title-input")).ToHaveValueAsync("smaller lr, right away");
        await Expect(Meta("Experiment")).ToHaveTextAsync("ui-now");
        await Expect(Meta("Command")).ToHaveTextAsync("dotnet exp run --temp (web UI)");
        await _session.ScreenshotAsync("new-run-started");

        var run = await ShowAsync(id);
        Assert.Equal(("succeeded", "queue"), ((string)run["status"]!, (string)run["kind"]!));
        Assert.Equal(0.05, (double)run["params"]!["params.yaml:train.lr"]!);
        Assert.NotNull(run["commit"]);
        // It ran in an isolated workspace by a detached worker, not in the server or the user's workspace.
        Assert.Contains("lr: 0.1", ui.Repo.ReadFile("params.yaml"));
        var workers = ui.Repo.ReadFile(Path.Combine(".exp", "tmp", "queue", "workers.log"));
        Assert.Contains($"[{id}] ", workers);
        Assert.Contains("succeeded", workers);
        await WorkersGoneAsync();
    }

    /// <summary>The detached worker writes its result after the run's record: wait for it to leave before the repo goes.</summary>
    private async Task WorkersGoneAsync()
    {
        var clock = Stopwatch.StartNew();
        while (JsonNode.Parse((await ui.Repo.ExpOkAsync("queue", "status", "--json")).StdOut)!["workers"]!.GetValue<int>() > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the background worker did not exit within 30 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Run_page_log_follows_a_running_run_without_a_reload_until_it_succeeds()
    {
        ui.Hold("live-1");
        // --force: the same params ran before, and the run-cache would restore the stage instead of running it.
        using var training = ExpTool.Start(ui.Repo.Root, "run", "-f", "-n", "live-1");
        string? id = null;
        var clock = Stopwatch.StartNew();
        while (id is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the run was not recorded as running within 60 s");
            await Task.Delay(100);
            id = (await ui.GetJsonAsync("/api/runs?q=live-1"))["runs"]!
                .AsArray()
                .FirstOrDefault(r => (string)r!["status"]! == "running")
                ?["id"]?.GetValue<string>();
        }

        await Page.GotoAsync("/run?id=" + id + "#log");
        await Expect(Page.Locator("#log")).ToContainTextAsync("epoch 1 lr=0.1");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");
        Assert.DoesNotContain("epoch 2", await Page.Locator("#log").TextContentAsync());

        // The run is held after epoch 2, so this line can only have come through the live stream.
        ui.Release("live-1", 1);
        await Expect(Page.Locator("#log")).ToContainTextAsync("epoch 2 lr=0.1");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        Assert.DoesNotContain("epoch 3", await Page.Locator("#log").TextContentAsync());
        await _session.ScreenshotAsync("run-live-log");

        ui.Release("live-1", 2);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", RunLength);
        await Expect(Page.Locator("#log")).ToContainTextAsync("epoch 3 lr=0.1");
        Assert.True(await Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page reloaded");
        Assert.Equal(0, (await training.WaitAsync()).ExitCode);
        await _session.ScreenshotAsync("run-live-log-done");
    }

    [Fact]
    public async Task Run_page_of_a_queued_run_turns_running_and_follows_the_log_when_a_worker_starts_it()
    {
        ui.Hold("held-q");
        // Params no run used before, or the run-cache would restore the stage instead of running it.
        var queued = await ui.PostAsync(
            "/api/runs/new",
            new Dictionary<string, object>
            {
                ["queue"] = true,
                ["name"] = "held-q",
                ["group"] = "ui-held",
                ["params"] = new Dictionary<string, object> { ["params.yaml:train.lr"] = 0.11 },
            }
        );
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        var id = (string)JsonNode.Parse(await queued.Content.ReadAsStringAsync())!["id"]!;
        await Page.GotoAsync("/run?id=" + id + "#log");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("queued");
        await Expect(Page.Locator("#log")).ToContainTextAsync("Queued");
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");

        // What 'queue start' launches, for this entry only; it holds after epoch 1.
        using var worker = ExpTool.Start(ui.Repo.Root, "queue", "worker", "--only", id);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running", RunLength);
        await Expect(Page.Locator("#log")).ToContainTextAsync("epoch 1 lr=0.11", new() { Timeout = 90_000 });
        Assert.DoesNotContain("Queued", await Page.Locator("#log").TextContentAsync());
        ui.Release("held-q", 1);
        ui.Release("held-q", 2);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", RunLength);
        await Expect(Meta("Experiment")).ToHaveTextAsync("ui-held");
        Assert.True(await Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page reloaded");
        Assert.Equal(0, (await worker.WaitAsync()).ExitCode);
    }
}
