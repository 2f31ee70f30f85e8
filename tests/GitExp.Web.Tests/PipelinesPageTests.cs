using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The pipelines page: a version's stage graph and runs, and a run created from a version.</summary>
public sealed class PipelinesPageTests(PipelineVersionsProject ui, Browser browser)
    : IClassFixture<PipelineVersionsProject>,
        IClassFixture<Browser>,
        IAsyncLifetime
{
    private BrowserSession _session = null!;

    private IPage Page => _session.Page;

    public async Task InitializeAsync() => _session = await BrowserSession.OpenAsync(browser.Instance, ui.BaseAddress);

    public async Task DisposeAsync() => await _session.DisposeAsync();

    private ILocator StageNames => Page.Locator("#version-graph .stage-box .stage-name");

    [Fact]
    public async Task A_version_shows_its_stages_and_runs_and_creates_a_run_of_its_commit()
    {
        await Page.GotoAsync("/pipelines");
        // The newest version opens first.
        await Expect(Page.Locator("section.pipeline[data-file='exp.yaml'] tr[data-commit]")).ToHaveCountAsync(2);
        await Expect(StageNames).ToHaveTextAsync(["prepare", "train"]);
        await Expect(Page.Locator("#version-graph .stage-box").Nth(1)).ToContainTextAsync("cat data.txt > model.txt");
        await Expect(Page.Locator("#version-runs-table tbody tr"))
            .ToHaveTextAsync([new System.Text.RegularExpressions.Regex("^new")]);

        await Page.Locator($"tr[data-commit='{ui.V1}'] button.version-open").ClickAsync();
        await Expect(StageNames).ToHaveTextAsync(["train"]);
        await Expect(Page.Locator("#version-runs-table tbody tr")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#version-runs-table tbody tr")).ToContainTextAsync("old");
        Assert.Contains("commit=" + ui.V1, Page.Url, StringComparison.Ordinal);
        await PageChecks.AssertAsync(Page, "pipelines");

        // Queued from the old version: an entry whose files are that commit's, whatever the workspace holds.
        await Page.Locator("#version-group").FillAsync("from-v1");
        await Page.Locator("#version-queue").ClickAsync();
        await Expect(Page.Locator("#version-result")).ToContainTextAsync($"a run of commit {ui.V1[..7]}");
        await Expect(Page.Locator("#version-runs-table tbody tr")).ToHaveCountAsync(2);
        var queued = (await ui.GetJsonAsync("/api/runs?filter=" + Uri.EscapeDataString("group = from-v1")))["runs"]![0]!;
        Assert.Equal(("queued", ui.V1), ((string)queued["status"]!, (string)queued["baseline"]!));

        // Started at once: it runs version 1's one stage and records its experiment on that commit.
        await Page.Locator("#version-start").ClickAsync();
        await Page.WaitForURLAsync("**/run?id=*");
        await Expect(Page.Locator("#run-status")).ToHaveTextAsync("succeeded", new() { Timeout = 90_000 });
        var id = new Uri(Page.Url).Query.Split('=')[1];
        var run = await ui.GetJsonAsync("/api/runs/" + id);
        Assert.Equal(ui.V1, (string)run["baseline"]!);
        Assert.Equal("v1\n", await ui.Http.GetStringAsync($"/api/runs/{id}/artifacts/model.txt"));
        Assert.Contains("train", (await ui.Repo.GitAsync("show", (string)run["commit"]! + ":exp.yaml")));
        Assert.DoesNotContain("prepare", await ui.Repo.GitAsync("show", (string)run["commit"]! + ":exp.yaml"));
        await WorkersGoneAsync();
    }

    [Fact]
    public async Task Bad_versions_and_requests_say_what_is_wrong()
    {
        var missing = await ui.Http.GetAsync("/api/pipelines/graph?commit=0123456&file=exp.yaml");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("commit '0123456' is not in this repository", await ErrorAsync(missing));
        var notPipeline = await ui.Http.GetAsync($"/api/pipelines/graph?commit={ui.V1}&file=other/exp.yaml");
        Assert.Equal($"'other/exp.yaml' is not a pipeline file at commit {ui.V1[..7]}", await ErrorAsync(notPipeline));
        var neither = await ui.PostAsync("/api/pipelines/run", new { commit = ui.V1 });
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.Equal(
            "pipelines/run: send either queue: true (queue it for 'dotnet exp queue start') or temp: true (start it now)",
            await ErrorAsync(neither)
        );
        Assert.Equal(
            HttpStatusCode.Forbidden,
            (await ui.PostAsync("/api/pipelines/run", new { commit = ui.V1, queue = true }, withToken: false)).StatusCode
        );
    }

    private static async Task<string> ErrorAsync(HttpResponseMessage response) =>
        (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

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
