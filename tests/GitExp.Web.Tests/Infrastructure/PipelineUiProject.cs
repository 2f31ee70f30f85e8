using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A temp Git repo with a two-stage pipeline (prepare → train; train writes a model, metrics and a PNG plot)
/// and three real runs: <c>a</c> (train.lr 0.1; both stages run), <c>b</c> (train.lr 0.2; prepare up to
/// date) and <c>broken</c> (train.fail 5; train fails with exit code 5). Then exp.yaml is edited in a
/// second commit. <c>dotnet exp ui --port 0</c> runs over it.
/// </summary>
public sealed class PipelineUiProject : IAsyncLifetime
{
    private const string Png =
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGPQz7+HFTEMLQkA8yRfAbxQd+cAAAAASUVORK5CYII=";

    private Process? _server;
    private TempGitRepo? _repo;

    public TempGitRepo Repo => _repo ?? throw new InvalidOperationException("not started");

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Run ids by experiment name.</summary>
    public IReadOnlyDictionary<string, string> Ids { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        _repo = await TempGitRepo.InitAsync();
        _repo.WriteFile("params.yaml", "prep:\n  rows: 3\ntrain:\n  lr: 0.1\n  fail: 0\n");
        _repo.WriteFile("prepare.sh", "#!/bin/sh\nset -e\nmkdir -p data\nseq 1 3 > data/rows.txt\n");
        _repo.WriteFile(
            "train.sh",
            $$"""
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            fail=$(awk '/^[[:space:]]+fail:/ { print $2 }' params.yaml)
            if [ "$fail" != 0 ]; then echo "failing with $fail"; exit "$fail"; fi
            mkdir -p model plots
            echo "weights for lr=$lr" > model/model.bin
            printf '{"acc": %s}\n' "$(awk -v lr="$lr" 'BEGIN { printf "%.2f", 1 - lr }')" > metrics.json
            echo '{{Png}}' | base64 -d > plots/curve.png

            """
        );
        _repo.WriteFile("exp.yaml", Pipeline(""));
        await _repo.CommitAllAsync("Two stages");
        await _repo.ExpOkAsync("run", "-n", "a");
        await _repo.ExpOkAsync("run", "-n", "b", "-S", "train.lr=0.2");
        var broken = await _repo.ExpAsync("run", "-n", "broken", "-S", "train.fail=5");
        Assert.Equal(5, broken.ExitCode);
        _repo.WriteFile("params.yaml", "prep:\n  rows: 3\ntrain:\n  lr: 0.1\n  fail: 0\n");
        _repo.WriteFile("exp.yaml", Pipeline("# The model trains on the prepared rows.\n"));
        await _repo.CommitAllAsync("Edit the pipeline");

        var listed = JsonNode.Parse((await _repo.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        Ids = listed.ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!["id"]!.GetValue<string>());
        _server = UiProject.StartServer(_repo.Root);
        var firstLine = await UiProject.ReadFirstLineAsync(_server);
        var match = UiProject.UrlLine().Match(firstLine);
        Assert.True(match.Success, $"the first line of 'dotnet exp ui' was '{firstLine}'");
        BaseAddress = new Uri(match.Groups[1].Value);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static string Pipeline(string comment) =>
        comment
        + """
            stages:
              prepare:
                cmd: sh prepare.sh
                deps: [prepare.sh]
                params: [prep.rows]
                outs: [data/rows.txt]
              train:
                cmd: sh train.sh
                deps: [train.sh, data/rows.txt]
                params: [train.lr, train.fail]
                outs: [model/model.bin]
                metrics:
                  - metrics.json: {cache: false}
                plots: [plots/curve.png]

            """;

    public async Task<JsonNode> GetJsonAsync(string path) => (await Http.GetFromJsonAsync<JsonNode>(path))!;

    public async Task DisposeAsync()
    {
        Http?.Dispose();
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
