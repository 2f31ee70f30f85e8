using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>
/// A project with two schedules and a running scheduler: <c>often</c> (every 2 s, ended 4 s after it was added, one
/// run succeeded) and <c>weekly</c> (Mondays 09:00 in Berlin, <c>-S lr=0.2</c>).
/// </summary>
public sealed class ScheduledUiProject : UiProject
{
    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        repo.WriteFile("params.yaml", "lr: 0.1\n");
        repo.WriteFile(
            "exp.yaml",
            "stages:\n  train:\n    cmd: echo trained > model.txt\n    params: [lr]\n    outs: [model.txt]\n"
        );
        await repo.CommitAllAsync("A one-stage project");
        var end = DateTimeOffset.UtcNow.AddSeconds(4).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        await repo.ExpOkAsync("schedule", "add", "often", "--cron", "*/2 * * * * *", "--end", end);
        await repo.ExpOkAsync("schedule", "add", "weekly", "--cron", "0 9 * * 1", "--tz", "Europe/Berlin", "-S", "lr=0.2");
        await repo.ExpOkAsync("scheduler", "start");
        // Bounded: a scheduler that never fires fails the fixture rather than hanging it.
        for (var i = 0; !await OftenSucceededAsync(repo); i++)
        {
            Assert.True(i < 600, "no run of 'often' succeeded within 60 s");
            await Task.Delay(100);
        }
    }

    private static async Task<bool> OftenSucceededAsync(TempGitRepo repo) =>
        JsonNode.Parse((await repo.ExpOkAsync("schedule", "show", "often", "--json")).StdOut)!["fires"]!
            .AsArray()
            .Any(f => (string?)f!["run_status"] == "succeeded");

    public override async Task DisposeAsync()
    {
        try
        {
            await Repo.ExpAsync("scheduler", "stop");
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        await base.DisposeAsync();
    }
}

/// <summary>The Recurring runs page: the scheduler's state, each schedule's fires and state, enable, disable, remove.</summary>
public sealed class SchedulesBrowserTests(ScheduledUiProject ui, Browser browser)
    : IClassFixture<ScheduledUiProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator Cell(string schedule, string column) =>
        Page.Locator($"#schedules tbody tr[data-name='{schedule}'] td[data-column={column}]");

    [Fact]
    public async Task The_page_lists_schedules_with_their_fires_and_enables_disables_and_removes_them()
    {
        await Page.GotoAsync("/");
        await Page.Locator("header nav a", new() { HasText = "Recurring runs" }).ClickAsync();
        await Expect(Page.Locator("h1")).ToHaveTextAsync("Recurring runs");
        await Expect(Page.Locator("body[data-loaded]")).ToHaveCountAsync(1);
        await Expect(Page.Locator("header nav a[aria-current]")).ToHaveTextAsync("Recurring runs");
        // Each input of the New recurring run form has a label, as on every page.
        var unlabelled = await Page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input, select, textarea')].filter(e => !(e.labels && e.labels.length)).map(e => e.id)"
        );
        Assert.Empty(unlabelled);
        await Expect(Page.Locator("#scheduler")).ToContainTextAsync("Scheduler: running (pid ");
        await Expect(Page.Locator("#schedules tbody tr[data-name=often]")).ToHaveCountAsync(1);
        await Expect(Cell("often", "state")).ToHaveTextAsync("ended");
        await Expect(Cell("often", "status")).ToHaveTextAsync("succeeded");
        await Expect(Cell("often", "next")).ToHaveTextAsync("-");
        await Expect(Cell("weekly", "cron")).ToHaveTextAsync("0 9 * * 1 (Europe/Berlin)");
        await Expect(Cell("weekly", "runs")).ToHaveTextAsync("main -S lr=0.2");
        await Expect(Cell("weekly", "state")).ToHaveTextAsync("active");
        // Mondays 09:00 in Berlin are 07:00 or 08:00 UTC, as the page shows times.
        await Expect(Cell("weekly", "next"))
            .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d{4}-\d\d-\d\d 0[78]:00:00( UTC)?$"));
        await _session.ScreenshotAsync("schedules");

        await Cell("weekly", "actions").GetByText("Disable").ClickAsync();
        await Expect(Cell("weekly", "state")).ToHaveTextAsync("disabled");
        Assert.False((bool)(await ui.GetJsonAsync("/api/schedules/weekly"))["enabled"]!);
        await Cell("weekly", "actions").GetByText("Enable").ClickAsync();
        await Expect(Cell("weekly", "state")).ToHaveTextAsync("active");

        var remove = Cell("often", "actions").Locator("button.remove");
        await remove.ClickAsync();
        await Expect(remove).ToHaveTextAsync("Confirm remove");
        await remove.ClickAsync();
        await Expect(Page.Locator("#schedules tbody tr[data-name=often]")).ToHaveCountAsync(0);
        var listed = JsonNode.Parse((await ui.Repo.ExpOkAsync("schedule", "list", "--json")).StdOut)!.AsArray();
        Assert.DoesNotContain("often", listed.Select(s => (string)s!["name"]!));
        Assert.Contains("weekly", listed.Select(s => (string)s!["name"]!));
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task The_form_adds_a_schedule_of_a_pipeline_version_from_the_address_and_refuses_a_bad_expression_in_one_line()
    {
        var first = (await ui.Repo.GitAsync("rev-list", "--max-parents=0", "HEAD")).Trim();
        await Page.GotoAsync($"/schedules?rev={first}&set=lr%3D0.3&group=pinned-runs");
        await Expect(Page.Locator("#new-schedule")).ToHaveAttributeAsync("open", "");
        await Expect(Page.Locator("#new-rev")).ToHaveValueAsync(first);
        await Expect(Page.Locator("#new-params")).ToHaveValueAsync("lr=0.3");
        await Page.Locator("#new-name").FillAsync("pinned");
        await Page.Locator("#new-tz").FillAsync("UTC");

        await Page.Locator("#new-cron").FillAsync("61 * * * *");
        await Page.Locator("#add-schedule").ClickAsync();
        await Expect(Page.Locator("#error")).ToContainTextAsync("--cron '61 * * * *': ");
        await Page.Locator("#new-cron").FillAsync("0 3 * * *");
        await Page.Locator("#add-schedule").ClickAsync();

        await Expect(Page.Locator("#added")).ToHaveTextAsync("Added recurring run 'pinned'.");
        await Expect(Page.Locator("#error")).ToBeEmptyAsync();
        await Expect(Cell("pinned", "runs")).ToHaveTextAsync(first[..7] + " -S lr=0.3");
        await Expect(Cell("pinned", "cron")).ToHaveTextAsync("0 3 * * * (UTC)");
        await _session.ScreenshotAsync("schedules-new");
        var shown = JsonNode.Parse((await ui.Repo.ExpOkAsync("schedule", "show", "pinned", "--json")).StdOut)!;
        Assert.Equal(first, (string)shown["commit"]!);
        Assert.Equal("pinned-runs", (string)shown["group"]!);
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task The_new_run_form_and_a_pipeline_version_open_the_form_prefilled()
    {
        await Page.GotoAsync("/new");
        await Page.Locator("#new-params input[data-key='params.yaml:lr']").FillAsync("0.7");
        await Page.Locator("#new-group").FillAsync("nightly-runs");
        await Page.Locator("#schedule").ClickAsync();

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/schedules\\?"));
        await Expect(Page.Locator("#new-schedule")).ToHaveAttributeAsync("open", "");
        await Expect(Page.Locator("#new-params")).ToHaveValueAsync("params.yaml:lr=0.7");
        await Expect(Page.Locator("#new-group")).ToHaveValueAsync("nightly-runs");
        await Expect(Page.Locator("#new-rev")).ToHaveValueAsync("");

        var head = (await ui.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        await Page.GotoAsync("/pipelines");
        await Page.Locator($"tr[data-commit='{head}'] button.version-open").ClickAsync();
        await Page.Locator("#version-schedule").ClickAsync();

        await Expect(Page.Locator("#new-rev")).ToHaveValueAsync(head);
        Assert.Empty(_session.Dialogs);
    }

    [Fact]
    public async Task A_run_of_a_schedule_names_it_on_its_page()
    {
        var runs = JsonNode.Parse((await ui.Repo.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        var run = runs.First(r => (string?)r!["schedule"] == "often" && (string)r["status"]! == "succeeded")!;

        await Page.GotoAsync("/run?id=" + (string)run["id"]!);

        await Expect(Page.Locator("#meta dd[data-field='Schedule']")).ToHaveTextAsync("often");
    }
}
