using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary>The run page's artifacts, live log, events, tags, delete and queuing, through the real server and Chromium.</summary>
public sealed class RunActionsTests(ActionsProject ui, Browser browser) : IClassFixture<ActionsProject>, IClassFixture<Browser>
{
    private string Art => ui.Ids["art"];

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> GetAsync(string path)
    {
        var response = await ui.Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response);
    }

    [Fact]
    public async Task Artifacts_download_from_the_cache_or_git_and_nothing_else()
    {
        var list = (await ui.GetJsonAsync($"/api/runs/{Art}/artifacts")).AsArray();
        var paths = list.Select(a => (string)a!["path"]!).ToList();
        Assert.Contains("dot.png", paths);
        var model = list.Single(a => (string)a!["path"]! == "model")!;
        Assert.True((bool)model["directory"]!);
        Assert.Equal(["config.json", "weights.txt"], model["files"]!.AsArray().Select(f => (string)f!["path"]!).Order());

        var png = await GetAsync($"/api/runs/{Art}/artifacts/dot.png");
        Assert.Equal(HttpStatusCode.OK, png.Status);
        Assert.Equal(Convert.FromBase64String(ActionsProject.PngBase64), png.Body);
        Assert.Equal("image/png", png.Response.Content.Headers.ContentType!.MediaType);
        var html = await GetAsync($"/api/runs/{Art}/artifacts/report.html");
        Assert.Contains("sandbox", html.Response.Headers.GetValues("Content-Security-Policy").Single());
        var weights = await GetAsync($"/api/runs/{Art}/artifacts/model?file=weights.txt");
        Assert.Equal("weights lr=0.1\n", System.Text.Encoding.UTF8.GetString(weights.Body));
        // Not in the cache (removed here): metrics.json comes from the experiment commit's blob.
        var metricsSha = (string)list.Single(a => (string)a!["path"]! == "metrics.json")!["sha256"]!;
        File.Delete(ui.Repo.FullPath(Path.Combine(".exp", "cache", "sha256", metricsSha[..2], metricsSha[2..])));
        var metrics = await GetAsync($"/api/runs/{Art}/artifacts/metrics.json");
        Assert.Equal(
            (HttpStatusCode.OK, "{\"acc\": 0.9}\n"),
            (metrics.Status, System.Text.Encoding.UTF8.GetString(metrics.Body))
        );

        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"/api/runs/{Art}/artifacts/..%2Fparams.yaml")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"/api/runs/{Art}/artifacts/%2Fetc%2Fpasswd")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"/api/runs/{Art}/artifacts/model?file=..%2Fsecret.txt")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/api/runs/{Art}/artifacts/params.yaml")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/api/runs/{Art}/artifacts/model?file=nope.txt")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/api/runs/nosuchrun/artifacts/dot.png")).Status);

        // A cache object replaced by a symlink out of the project is not followed.
        var secret = list.Single(a => (string)a!["path"]! == "secret.txt")!;
        var sha = (string)secret["sha256"]!;
        var objectPath = ui.Repo.FullPath(Path.Combine(".exp", "cache", "sha256", sha[..2], sha[2..]));
        var outside = Path.Combine(Path.GetTempPath(), "gitexp-outside-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(outside, "outside the repo\n");
        try
        {
            Assert.Equal(
                "top secret\n",
                System.Text.Encoding.UTF8.GetString((await GetAsync($"/api/runs/{Art}/artifacts/secret.txt")).Body)
            );
            File.Delete(objectPath);
            File.CreateSymbolicLink(objectPath, outside);
            var escaped = await GetAsync($"/api/runs/{Art}/artifacts/secret.txt");
            Assert.Equal(HttpStatusCode.NotFound, escaped.Status);
            Assert.DoesNotContain("outside", System.Text.Encoding.UTF8.GetString(escaped.Body));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task Tags_delete_clone_and_new_need_the_token_and_change_runs_with_it()
    {
        var before = (await QueueAsync()).Count;
        foreach (
            var (path, body) in new (string, object)[]
            {
                ($"/api/runs/{Art}/tags", new { add = new[] { "x" } }),
                ($"/api/runs/{Art}/delete", new { }),
                ($"/api/runs/{Art}/clone", new { queue = true }),
                ("/api/runs/new", new { queue = true }),
            }
        )
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await ui.PostAsync(path, body, withToken: false)).StatusCode);
        }

        Assert.DoesNotContain("x", (await ui.GetJsonAsync($"/api/runs/{Art}"))["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(before, (await QueueAsync()).Count);

        var tagged = await ui.PostAsync($"/api/runs/{Art}/tags", new { add = new[] { "good", "keep" } });
        Assert.Equal(HttpStatusCode.OK, tagged.StatusCode);
        await ui.PostAsync($"/api/runs/{Art}/tags", new { remove = new[] { "good" } });
        Assert.Contains("keep", (await ui.Repo.ExpOkAsync("runs", "show", Art, "--json")).StdOut);
        Assert.DoesNotContain("\"good\"", (await ui.Repo.ExpOkAsync("runs", "show", Art, "--json")).StdOut);
        await ui.PostAsync($"/api/runs/{Art}/tags", new { remove = new[] { "keep" } });

        Assert.Equal(HttpStatusCode.OK, (await ui.PostAsync($"/api/runs/{Art}/delete")).StatusCode);
        Assert.True((bool)(await ui.GetJsonAsync($"/api/runs/{Art}"))["deleted"]!);
        Assert.Equal(HttpStatusCode.OK, (await ui.PostAsync($"/api/runs/{Art}/restore")).StatusCode);
        Assert.False((bool)(await ui.GetJsonAsync($"/api/runs/{Art}"))["deleted"]!);

        var cloned = await ui.PostAsync(
            $"/api/runs/{Art}/clone",
            new Dictionary<string, object?>
            {
                ["params"] = new Dictionary<string, object>
                {
                    ["params.yaml:train.lr"] = 0.3,
                    ["params.yaml:train.optimizer"] = "adam",
                },
                ["queue"] = true,
                ["name"] = "art-lr03",
            }
        );
        Assert.Equal(HttpStatusCode.OK, cloned.StatusCode);
        var entry = JsonNode.Parse(await cloned.Content.ReadAsStringAsync())!;
        var queued = await QueueAsync();
        Assert.Equal("queued", (string)queued.Single(e => (string)e!["id"]! == (string)entry["id"]!)!["status"]!);
        Assert.Equal("art-lr03", (string)entry["name"]!);
        var snapshot = await ui.Repo.GitAsync("show", (string)entry["commit"]! + ":params.yaml");
        Assert.Contains("lr: 0.3", snapshot);
        Assert.Matches("optimizer: \"?adam\"?", snapshot);
        Assert.Contains("epochs: 3", snapshot);
        var run = await ui.GetJsonAsync($"/api/runs/{entry["id"]}");
        Assert.Equal("queued", (string)run["status"]!);
        // Removed from the queue on the command line, the queued run can never run: it leaves the lists.
        await ui.Repo.ExpAsync("queue", "remove", "art-lr03");
        Assert.True((bool)(await ui.GetJsonAsync($"/api/runs/{entry["id"]}"))["deleted"]!);
        Assert.False((bool)(await ui.GetJsonAsync($"/api/runs/{Art}"))["deleted"]!);

        var fresh = await ui.PostAsync(
            "/api/runs/new",
            new Dictionary<string, object?>
            {
                ["title"] = "try a larger lr",
                ["group"] = "sweep",
                ["params"] = new Dictionary<string, object> { ["params.yaml:train.epochs"] = 7 },
                ["queue"] = true,
            }
        );
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var freshEntry = JsonNode.Parse(await fresh.Content.ReadAsStringAsync())!;
        Assert.Contains("epochs: 7", await ui.Repo.GitAsync("show", (string)freshEntry["commit"]! + ":params.yaml"));
        var freshRun = await ui.GetJsonAsync($"/api/runs/{freshEntry["id"]}");
        Assert.Equal(("try a larger lr", "sweep"), ((string)freshRun["title"]!, (string)freshRun["group"]!));
        var refused = await ui.PostAsync($"/api/runs/{Art}/clone", new { queue = true, @params = new { lr = 1 } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    private async Task<JsonArray> QueueAsync() =>
        JsonNode.Parse((await ui.Repo.ExpOkAsync("queue", "status", "--json")).StdOut)!["entries"]!.AsArray();

    [Fact]
    public async Task The_log_streams_while_a_stage_runs_and_the_store_raises_events()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var events = await ui.Http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType!.MediaType);
        var eventsReader = new StreamReader(await events.Content.ReadAsStreamAsync(cancel.Token));
        var changed = Task.Run(
            async () =>
            {
                while (await eventsReader.ReadLineAsync(cancel.Token) is { } line)
                {
                    if (line == "event: runs-changed")
                    {
                        return true;
                    }
                }

                return false;
            },
            cancel.Token
        );

        using var slow = ExpTool.Start(ui.Repo.Root, "run", "-n", "slow-1", "slow");
        string? id = null;
        while (id is null)
        {
            await Task.Delay(100, cancel.Token);
            id = (await ui.GetJsonAsync("/api/runs?q=slow-1"))["runs"]!
                .AsArray()
                .FirstOrDefault(r => (string)r!["status"]! == "running")
                ?["id"]?.GetValue<string>();
        }

        Assert.True(await changed);
        using var stream = await ui.Http.GetAsync(
            $"/api/runs/{id}/log/stream",
            HttpCompletionOption.ResponseHeadersRead,
            cancel.Token
        );
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cancel.Token));
        var text = "";
        var chunks = 0;
        string? end = null;
        var clock = Stopwatch.StartNew();
        string? name = null;
        while (end is null && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonNode.Parse(line[6..])!.GetValue<string>();
                if (name == "log")
                {
                    text += data;
                    chunks++;
                }
                else if (name == "end")
                {
                    end = data;
                }
            }
        }

        Assert.Equal("succeeded", end);
        Assert.Contains("tick 1", text);
        Assert.Contains("tick 6", text);
        // Appended while the stage ran, not all at once at the end.
        Assert.True(chunks >= 3, $"{chunks} chunk(s) in {clock.Elapsed}: {text}");
        Assert.Equal(0, (await slow.WaitAsync()).ExitCode);
    }

    [Fact]
    public async Task The_run_page_previews_artifacts_tags_and_queues_an_edited_clone()
    {
        var dialogs = new List<string>();
        await using var context = await browser.Instance.NewContextAsync(
            new()
            {
                BaseURL = ui.BaseAddress.ToString(),
                ViewportSize = new() { Width = 1400, Height = 900 },
            }
        );
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };

        await page.GotoAsync("/run?id=" + Art + "#artifacts");
        await Expect(page.Locator("#artifact-list tr[data-path='dot.png']")).ToContainTextAsync("dot.png");
        await Expect(page.Locator("#artifact-list tr[data-path='model/weights.txt']")).ToHaveCountAsync(1);
        var image = page.Locator("#previews img");
        await Expect(image).ToHaveCountAsync(1);
        await page.WaitForFunctionAsync("() => document.querySelector('#previews img').naturalWidth === 1");
        await Expect(page.Locator("#previews iframe")).ToHaveAttributeAsync("sandbox", "");
        await Expect(page.Locator("#previews figure", new() { HasText = "loss.csv" }).Locator("table"))
            .ToContainTextAsync("0.25");
        await Expect(page.Locator("#previews figure", new() { HasText = "model/config.json" }).Locator("table"))
            .ToContainTextAsync("layers2");

        await page.Locator("#tab-overview").ClickAsync();
        await page.Locator("#tag-input").FillAsync("promising");
        await page.Locator("#add-tag").ClickAsync();
        await Expect(page.Locator("#tags .tag")).ToContainTextAsync(["promising"]);

        await page.Locator("#clone-params tr[data-key='params.yaml:train.lr'] input").FillAsync("0.05");
        await page.Locator("#clone-name").FillAsync("art-ui-clone");
        await page.Locator("#clone").ClickAsync();
        await Expect(page.Locator("#clone-result")).ToContainTextAsync("Queued 'art-ui-clone'");
        await BrowserSession.ScreenshotAsync(page, "run-actions");

        var entry = (await QueueAsync()).Single(e => (string)e!["name"]! == "art-ui-clone")!;
        Assert.Equal("queued", (string)entry["status"]!);
        Assert.Contains("promising", (await ui.Repo.ExpOkAsync("runs", "show", Art, "--json")).StdOut);
        await page.Locator("#tags .tag[data-tag='promising'] button.untag").ClickAsync();
        await Expect(page.Locator("#tags .tag")).ToHaveCountAsync(0);
        // The report's script never ran: the iframe is sandboxed and its CSP forbids scripts.
        Assert.Empty(dialogs);
    }
}
