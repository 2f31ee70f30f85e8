using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;
using GitExp.Web.Tests.Infrastructure;

namespace GitExp.Web.Tests;

/// <summary>A run's stage graph of a templated dvc.yaml is expanded with the params of the run's commit.</summary>
public sealed class TemplatedStagesApiTests : IAsyncLifetime
{
    private TempGitRepo? _repo;
    private Process? _server;

    public async Task InitializeAsync()
    {
        _repo = await TempGitRepo.InitAsync();
        _repo.WriteFile("params.yaml", "splits: [train, test]\n");
        _repo.WriteFile("input.txt", "x\n");
        _repo.WriteFile(
            "dvc.yaml",
            """
            stages:
              prepare:
                foreach: ${splits}
                do:
                  cmd: echo ${item} > ${item}.txt
                  deps:
                    - input.txt
                  outs:
                    - ${item}.txt
            """
        );
        await _repo.CommitAllAsync("Foreach pipeline");
        await _repo.ExpOkAsync("run", "-n", "both");
        // The workspace now expands to another stage: the run's graph must still be its commit's.
        _repo.WriteFile("params.yaml", "splits: [valid]\n");
    }

    [Fact]
    public async Task A_runs_stages_expand_with_the_params_file_of_its_commit()
    {
        var listed = JsonNode.Parse((await _repo!.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        var id = (string)listed.Single()!["id"]!;
        _server = UiProject.StartServer(_repo.Root);
        var match = UiProject.UrlLine().Match(await UiProject.ReadFirstLineAsync(_server));
        Assert.True(match.Success);
        using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value), Timeout = TimeSpan.FromSeconds(30) };

        var page = (await http.GetFromJsonAsync<JsonNode>($"/api/runs/{id}/stages"))!;

        Assert.Equal("commit", (string)page["source"]!);
        Assert.Equal(
            ["dvc.yaml:prepare@train", "dvc.yaml:prepare@test"],
            page["stages"]!.AsArray().Select(s => (string)s!["address"]!)
        );
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            try
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }
            catch (InvalidOperationException) { }

            _server.Dispose();
        }

        _repo?.Dispose();
    }
}
