using System.Net;
using System.Text;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;

namespace GitExp.Web.Tests;

/// <summary>A dvc.yaml project in a repo with <c>.dvc/</c>: one run whose outs are in DVC's MD5 cache.</summary>
public sealed class DvcArtifactsProject : UiProject
{
    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        repo.WriteFile(".dvc/config", "");
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            set -e
            mkdir -p model
            printf 'md5 weights\n' > model/weights.txt
            printf 'a dvc report\n' > report.txt

            """
        );
        repo.WriteFile(
            "dvc.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                outs: [report.txt, model]

            """
        );
        await repo.CommitAllAsync("A dvc.yaml stage with a file out and a directory out");
        await repo.ExpOkAsync("run", "-n", "dvc-art");
    }
}

/// <summary>The run page's artifacts of a dvc.yaml project come from DVC's cache (MD5 objects in <c>.dvc/cache</c>).</summary>
public sealed class DvcArtifactsTests(DvcArtifactsProject ui) : IClassFixture<DvcArtifactsProject>
{
    [Fact]
    public async Task A_dvc_projects_cached_outs_are_listed_as_cached_and_download()
    {
        var id = ui.Ids["dvc-art"];
        var list = (await ui.GetJsonAsync($"/api/runs/{id}/artifacts")).AsArray();
        var report = list.Single(a => (string)a!["path"]! == "report.txt")!;
        var md5 = (string)report["sha256"]!;
        Assert.True(ui.Repo.Exists($".dvc/cache/files/md5/{md5[..2]}/{md5[2..]}"));
        Assert.True((bool)report["cached"]!);
        var model = list.Single(a => (string)a!["path"]! == "model")!;
        Assert.True((bool)model["cached"]!);
        Assert.Equal(["weights.txt"], model["files"]!.AsArray().Select(f => (string)f!["path"]!));

        var file = await ui.Http.GetAsync($"/api/runs/{id}/artifacts/report.txt");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("a dvc report\n", await file.Content.ReadAsStringAsync());
        // A directory out's file is not in Git at all (the out is cached): only the cache can serve it.
        var weights = await ui.Http.GetAsync($"/api/runs/{id}/artifacts/model?file=weights.txt");
        Assert.Equal(
            (HttpStatusCode.OK, "md5 weights\n"),
            (weights.StatusCode, Encoding.UTF8.GetString(await weights.Content.ReadAsByteArrayAsync()))
        );
    }
}
