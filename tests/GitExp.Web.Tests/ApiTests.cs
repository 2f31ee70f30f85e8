using System.Net;
using System.Text.Json.Nodes;
using GitExp.Web.Tests.Infrastructure;

namespace GitExp.Web.Tests;

/// <summary>The JSON APIs through the real tool's Kestrel server.</summary>
public sealed class ApiTests(UiProject ui) : IClassFixture<UiProject>
{
    private static List<string> Names(JsonNode page) => page["runs"]!.AsArray().Select(r => (string)r!["name"]!).ToList();

    [Fact]
    public async Task Runs_list_pages_filters_searches_and_sorts_on_the_server()
    {
        var first = await ui.GetJsonAsync("/api/runs?pageSize=3&sort=metrics.acc&order=desc");
        var second = await ui.GetJsonAsync("/api/runs?pageSize=3&page=2&sort=metrics.acc&order=desc");
        var filtered = await ui.GetJsonAsync(
            "/api/runs?filter=" + Uri.EscapeDataString("metrics.acc >= 0.7 and params.train.lr != 0.1")
        );
        var ascending = await ui.GetJsonAsync("/api/runs?sort=params.train.lr&order=asc");
        var searched = await ui.GetJsonAsync("/api/runs?q=LR-03");
        var byCommit = await ui.GetJsonAsync("/api/runs?q=" + (string)searched["runs"]![0]!["commit"]!);

        Assert.Equal(4, (int)first["total"]!);
        Assert.Equal(["lr-01", "lr-02", "lr-03"], Names(first));
        Assert.Equal(["lr-05"], Names(second));
        Assert.Equal(["lr-02", "lr-03"], Names(filtered).Order());
        Assert.Equal(["lr-01", "lr-02", "lr-03", "lr-05"], Names(ascending));
        Assert.Equal(["lr-03"], Names(searched));
        Assert.Equal(["lr-03"], Names(byCommit));
        Assert.Equal(["metrics.json:acc", "metrics.json:loss"], first["metricKeys"]!.AsArray().Select(k => (string)k!));
    }

    [Fact]
    public async Task A_malformed_filter_is_400_with_the_filter_message()
    {
        var response = await ui.Http.GetAsync("/api/runs?filter=" + Uri.EscapeDataString("metrics.acc >"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("filter 'metrics.acc >': expected a value at position 14 (the end)", (string)body["error"]!);
    }

    [Fact]
    public async Task A_post_without_the_token_is_403_and_changes_nothing_and_with_it_changes_the_run()
    {
        var id = ui.Ids["lr-05"];
        var refused = await ui.PostAsync($"/api/runs/{id}/annotate", new { title = "stolen" }, withToken: false);
        var refusedBookmark = await ui.PostAsync($"/api/runs/{id}/bookmark", withToken: false);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refusedBookmark.StatusCode);
        var unchanged = await ui.GetJsonAsync($"/api/runs/{id}");
        Assert.Null(unchanged["title"]);
        Assert.False((bool)unchanged["bookmarked"]!);

        var annotated = await ui.PostAsync(
            $"/api/runs/{id}/annotate",
            new
            {
                title = "high lr",
                notes = "diverges",
                tags = new[] { "keep" },
                group = "sweep",
            }
        );
        Assert.Equal(HttpStatusCode.OK, annotated.StatusCode);
        var cli = (await ui.Repo.ExpOkAsync("runs", "show", id, "--json")).StdOut;
        var shown = JsonNode.Parse(cli)!;
        Assert.Equal(
            ("high lr", "diverges", "sweep"),
            ((string)shown["title"]!, (string)shown["notes"]!, (string)shown["group"]!)
        );
        Assert.Equal(["keep"], shown["tags"]!.AsArray().Select(t => (string)t!));

        Assert.Equal(HttpStatusCode.OK, (await ui.PostAsync($"/api/runs/{id}/archive")).StatusCode);
        Assert.DoesNotContain("lr-05", Names(await ui.GetJsonAsync("/api/runs")));
        Assert.Equal(["lr-05"], Names(await ui.GetJsonAsync("/api/runs?archived=true")));
        Assert.Equal(HttpStatusCode.OK, (await ui.PostAsync($"/api/runs/{id}/restore")).StatusCode);
        Assert.Contains("lr-05", Names(await ui.GetJsonAsync("/api/runs")));
        Assert.Equal(
            HttpStatusCode.OK,
            (await ui.PostAsync($"/api/runs/{id}/annotate", new { title = (string?)null })).StatusCode
        );
        Assert.Null((await ui.GetJsonAsync($"/api/runs/{id}"))["title"]);
    }

    [Fact]
    public async Task A_script_title_comes_back_as_json_text_and_pages_are_static()
    {
        var response = await ui.Http.GetAsync($"/api/runs/{ui.Ids["lr-02"]}");
        var page = await ui.Http.GetAsync("/");

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(UiProject.ScriptTitle, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["title"]!);
        Assert.DoesNotContain("alert(1)", await page.Content.ReadAsStringAsync());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Run_detail_has_step_history_and_log()
    {
        var id = ui.Ids["lr-01"];
        var run = await ui.GetJsonAsync($"/api/runs/{id}");
        var history = await ui.GetJsonAsync($"/api/runs/{id}/history/loss");
        var log = await ui.Http.GetStringAsync($"/api/runs/{id}/log");

        Assert.Equal(["metrics.json:loss"], run["histories"]!.AsArray().Select(k => (string)k!));
        Assert.Equal("0.1", run["params"]!["params.yaml:train.lr"]!.ToJsonString());
        Assert.Equal("[[0,1],[1,0.5],[2,0.3333],[3,0.25],[4,0.2]]", history.ToJsonString());
        Assert.Contains("trained with lr=0.1", log);
    }

    [Fact]
    public async Task Compare_puts_runs_side_by_side_with_differences_and_deltas_against_the_pinned_run()
    {
        var ids = string.Join(',', ui.Ids["lr-01"], ui.Ids["lr-02"], ui.Ids["lr-03"]);
        var compared = await ui.GetJsonAsync("/api/compare?ids=" + ids);
        var pinned = await ui.GetJsonAsync($"/api/compare?ids={ids}&pin={ui.Ids["lr-03"]}");
        var tooFew = await ui.Http.GetAsync("/api/compare?ids=" + ui.Ids["lr-01"]);

        var parameters = compared["params"]!.AsArray().ToDictionary(p => (string)p!["key"]!);
        Assert.True((bool)parameters["params.yaml:train.lr"]!["differs"]!);
        Assert.False((bool)parameters["params.yaml:train.epochs"]!["differs"]!);
        var acc = compared["metrics"]!.AsArray().Single(m => (string)m!["key"]! == "metrics.json:acc")!;
        Assert.Equal([0.9, 0.8, 0.7], acc["values"]!.AsArray().Select(v => (double)v!));
        Assert.Equal([0, -0.1, -0.2], acc["deltas"]!.AsArray().Select(d => Math.Round((double)d!, 6)));
        var pinnedAcc = pinned["metrics"]!.AsArray().Single(m => (string)m!["key"]! == "metrics.json:acc")!;
        Assert.Equal([0.2, 0.1, 0], pinnedAcc["deltas"]!.AsArray().Select(d => Math.Round((double)d!, 6)));
        Assert.Equal(
            3,
            compared["metrics"]!.AsArray().Single(m => (string)m!["key"]! == "metrics.json:loss")!["histories"]!.AsArray().Count
        );
        Assert.Equal(HttpStatusCode.BadRequest, tooFew.StatusCode);
    }

    [Fact]
    public async Task Requests_naming_another_host_are_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        request.Headers.Host = "attacker.example";

        var response = await ui.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
