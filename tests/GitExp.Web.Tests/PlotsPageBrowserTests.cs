using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace GitExp.Web.Tests;

/// <summary><c>plots show</c>'s HTML file in a real browser: opened from disk, offline, with no server.</summary>
public sealed class PlotsPageBrowserTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task The_plots_file_draws_every_plot_offline_from_disk()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile(
            "dvc.yaml",
            """
            plots:
              - loss.json: {x: step, y: loss, title: Loss}
              - curve.csv: {template: scatter}
              - noisy.json: {template: smooth}
              - image.svg

            """
        );
        repo.WriteFile("loss.json", """[{"step": 1, "loss": 0.9}, {"step": 2, "loss": 0.5}, {"step": 3, "loss": 0.3}]""");
        repo.WriteFile("curve.csv", "a,b\nlow,2\nhigh,4\nlow,3\n");
        repo.WriteFile("noisy.json", """{"train": [{"v": 1}, {"v": 3}, {"v": 2}, {"v": 4}]}""");
        repo.WriteFile(
            "image.svg",
            """<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>"""
        );
        await repo.CommitAllAsync("plots");
        repo.WriteFile("loss.json", """[{"step": 1, "loss": 0.8}, {"step": 2, "loss": 0.4}]""");
        await repo.ExpOkAsync("plots", "diff");

        await using var context = await browser.Instance.NewContextAsync();
        await context.SetOfflineAsync(true);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        var requests = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.Request += (_, request) => requests.Add(request.Url);

        await page.GotoAsync(new Uri(repo.FullPath("dvc_plots/index.html")).AbsoluteUri);

        await Expect(page.Locator("figure.plot")).ToHaveCountAsync(3);
        await Expect(page.Locator("figure.plot .uplot canvas")).ToHaveCountAsync(3);
        await Expect(page.Locator("figure.plot .u-title")).ToHaveTextAsync(["Loss", "curve.csv", "noisy.json"]);
        await Expect(page.Locator("figure[data-id='loss.json'] .u-legend .u-label")).ToContainTextAsync(["HEAD", "workspace"]);
        await Expect(page.Locator(".images img")).ToHaveCountAsync(2);
        Assert.True(
            await page.Locator(".images img").First.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 20")
        );
        await BrowserSession.ScreenshotAsync(page, "plots-show");
        Assert.Empty(errors);
        Assert.All(requests, url => Assert.Matches("^(file|data):", url));
    }
}
