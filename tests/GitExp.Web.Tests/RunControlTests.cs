using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>Live step plots of a running run, terminating a running run and retrying a failed one, through the run page.</summary>
public sealed class RunControlTests(ControlProject ui, Browser browser)
    : IClassFixture<ControlProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions RunLength = new() { Timeout = 90_000 };

    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private async Task<string> RunningIdAsync(string name)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var id = (await ui.GetJsonAsync("/api/runs?q=" + name))["runs"]!
                .AsArray()
                .FirstOrDefault(r => (string)r!["name"]! == name && (string)r["status"]! == "running")
                ?["id"]?.GetValue<string>();
            if (id is not null)
            {
                return id;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"run '{name}' was not recorded as running within 60 s");
            await Task.Delay(100);
        }
    }

    private ILocator Points => Page.Locator("#plots .plot");

    [Fact]
    public async Task Charts_of_a_running_run_grow_step_by_step_without_a_reload()
    {
        ui.Hold("live");
        using var training = ExpTool.Start(ui.Repo.Root, "run", "-n", "live", "-S", "train.lr=0.2");
        await ui.WaitUntilAtAsync("live", 0);
        var id = await RunningIdAsync("live");

        await Page.GotoAsync($"/run?id={id}#charts");
        await Expect(Points).ToHaveCountAsync(1);
        await Expect(Page.Locator("#plots .plot[data-key='metrics.json:loss']")).ToHaveCountAsync(1);
        await Page.WaitForFunctionAsync("() => document.body.dataset.points === '1'");
        await Expect(Page.Locator("#run-duration")).Not.ToHaveTextAsync("-");
        await Page.EvaluateAsync("() => { window.sameDocument = true; }");

        ui.Release("live", 0);
        await ui.WaitUntilAtAsync("live", 1);
        await Page.WaitForFunctionAsync("() => document.body.dataset.points === '2'");
        await Page.Locator("#log-scale").CheckAsync();
        await Page.Locator("#smoothing").FillAsync("0.5");
        await Expect(Page.Locator("#smoothing-value")).ToHaveTextAsync("0.5");
        await Expect(Page.Locator("#plots .u-legend")).ToContainTextAsync("smoothed");
        await PageChecks.AssertAsync(Page, "run-live-charts");

        ui.Release("live", 1);
        ui.Release("live", 2);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", RunLength);
        await Page.WaitForFunctionAsync("() => document.body.dataset.points === '3'");
        Assert.True(await Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page reloaded");
        Assert.Equal(0, (await training.WaitAsync()).ExitCode);
    }

    [Fact]
    public async Task Terminate_stops_a_running_queued_run_through_its_worker()
    {
        ui.Hold("stopme");
        var started = await ui.PostAsync(
            "/api/runs/new",
            new Dictionary<string, object>
            {
                ["temp"] = true,
                ["name"] = "stopme",
                ["params"] = new Dictionary<string, object> { ["params.yaml:train.lr"] = 0.7 },
            }
        );
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var id = (string)JsonNode.Parse(await started.Content.ReadAsStringAsync())!["id"]!;
        await ui.WaitUntilAtAsync("stopme", 0);

        await Page.GotoAsync("/run?id=" + id);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        await PageChecks.AssertAsync(Page, "run-running");
        await Page.Locator("#terminate").ClickAsync();
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("failed", RunLength);
        await Expect(Page.Locator("#terminate")).ToHaveCountAsync(0);
        await Expect(Page.Locator("#retry")).ToBeVisibleAsync();
        await Page.Locator("#tab-log").ClickAsync();
        await Expect(Page.Locator("#log")).ToContainTextAsync("step 0");
        Assert.DoesNotContain("step 1", await Page.Locator("#log").TextContentAsync());

        // Only a running or queued run can be stopped.
        var again = await ui.PostAsync($"/api/runs/{id}/terminate");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(
            $"run {id} is failed: only a running or queued run can be stopped",
            (string)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]!
        );
        await WorkersGoneAsync();
    }

    [Fact]
    public async Task Terminate_interrupts_a_workspace_run_as_ctrl_c_would()
    {
        ui.Hold("stopws");
        using var training = ExpTool.Start(ui.Repo.Root, "run", "-n", "stopws", "-S", "train.lr=0.4");
        await ui.WaitUntilAtAsync("stopws", 0);
        var id = await RunningIdAsync("stopws");

        await Page.GotoAsync("/run?id=" + id);
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("running");
        await Page.Locator("#terminate").ClickAsync();
        var ended = await training.WaitAsync();
        Assert.NotEqual(0, ended.ExitCode);
        await Expect(Page.Locator("#run-status")).Not.ToHaveTextAsync("running", RunLength);
        await Expect(Page.Locator("#terminate")).ToHaveCountAsync(0);
        Assert.Contains((string)(await ui.GetJsonAsync("/api/runs/" + id))["status"]!, new[] { "failed", "interrupted" });
    }

    [Fact]
    public async Task Retry_runs_a_failed_run_again_with_its_commit_and_params()
    {
        ui.FailRuns(true);
        var failed = await ui.Repo.ExpAsync("run", "-n", "broken", "-S", "train.lr=0.3");
        ui.FailRuns(false);
        Assert.NotEqual(0, failed.ExitCode);
        var broken = (await ui.GetJsonAsync("/api/runs?q=broken"))["runs"]![0]!;
        var brokenId = (string)broken["id"]!;
        Assert.Equal("failed", (string)broken["status"]!);
        await ui.PostAsync($"/api/runs/{brokenId}/annotate", new { group = "retries" });
        // The workspace moves on meanwhile: a retry runs the failed run's commit, not the workspace.
        ui.Repo.WriteFile("params.yaml", "train:\n  lr: 0.9\n");

        await Page.GotoAsync("/run?id=" + brokenId);
        await Expect(Page.Locator("#terminate")).ToHaveCountAsync(0);
        await Page.Locator("#retry").ClickAsync();
        await Page.WaitForURLAsync(url => !url.Contains(brokenId, StringComparison.Ordinal));
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", RunLength);
        var id = new Uri(Page.Url).Query.Split('=')[1];
        var retried = await ui.GetJsonAsync("/api/runs/" + id);
        Assert.Equal(0.3, (double)retried["params"]!["params.yaml:train.lr"]!);
        Assert.Equal((string)broken["baseline"]!, (string)retried["baseline"]!);
        Assert.Equal("retries", (string)retried["group"]!);
        Assert.Equal($"dotnet exp runs retry {brokenId} (web UI)", (string)retried["command"]!);
        await Expect(Page.Locator("#meta dd[data-field='Experiment']")).ToHaveTextAsync("retries");

        // A run that succeeded is not retried (it is cloned).
        var refused = await ui.PostAsync($"/api/runs/{id}/retry");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        ui.Repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n");
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
}
