using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A temp Git repo whose four runs were made by real <c>dotnet exp run</c>s (train.lr 0.1, 0.2, 0.3, 0.5,
/// each logging a five-step loss history), with <c>dotnet exp ui --port 0</c> running over it.
/// Run <c>lr-02</c> is titled <c>&lt;script&gt;alert(1)&lt;/script&gt;</c>.
/// </summary>
public partial class UiProject : IAsyncLifetime
{
    public const string ScriptTitle = "<script>alert(1)</script>";

    private Process? _server;
    private TempGitRepo? _repo;

    public TempGitRepo Repo => _repo ?? throw new InvalidOperationException("not started");

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Run ids by experiment name.</summary>
    public IReadOnlyDictionary<string, string> Ids { get; private set; } = new Dictionary<string, string>();

    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _repo = await TempGitRepo.InitAsync();
        await PrepareAsync(_repo);
        var listed = JsonNode.Parse((await _repo.ExpOkAsync("runs", "list", "--json")).StdOut)!.AsArray();
        Ids = listed.ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!["id"]!.GetValue<string>());

        _server = StartServer(_repo.Root);
        var firstLine = await ReadFirstLineAsync(_server);
        var match = UrlLine().Match(firstLine);
        Assert.True(match.Success, $"the first line of 'dotnet exp ui' was '{firstLine}'");
        BaseAddress = new Uri(match.Groups[1].Value);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var page = await Http.GetStringAsync("/");
        Token = TokenMeta().Match(page).Groups[1].Value;
        Assert.NotEqual("", Token);
    }

    /// <summary>Writes the project and makes its runs before the server starts.</summary>
    protected virtual async Task PrepareAsync(TempGitRepo repo)
    {
        WriteProject(repo);
        await repo.CommitAllAsync("Add a training project that logs a loss per step");
        foreach (var (name, lr) in new[] { ("lr-01", "0.1"), ("lr-02", "0.2"), ("lr-03", "0.3"), ("lr-05", "0.5") })
        {
            await repo.ExpOkAsync("run", "-n", name, "-S", "train.lr=" + lr);
        }

        await repo.ExpOkAsync("runs", "annotate", "lr-02", "--title", ScriptTitle);
    }

    public async Task<JsonNode> GetJsonAsync(string path) => (await Http.GetFromJsonAsync<JsonNode>(path))!;

    public async Task<HttpResponseMessage> PostAsync(string path, object? body = null, bool withToken = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body ?? new { }) };
        if (withToken)
        {
            request.Headers.Add("X-GitExp-Token", Token);
        }

        return await Http.SendAsync(request);
    }

    public virtual async Task DisposeAsync()
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

    internal static Process StartServer(string root)
    {
        var installed = Environment.GetEnvironmentVariable("GITEXP_TOOL");
        var info = string.IsNullOrEmpty(installed) ? new ProcessStartInfo("dotnet") : new ProcessStartInfo(installed);
        if (string.IsNullOrEmpty(installed))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dotnet-exp.dll"));
        }

        foreach (var arg in new[] { "ui", "--port", "0" })
        {
            info.ArgumentList.Add(arg);
        }

        info.WorkingDirectory = root;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.StandardOutputEncoding = Encoding.UTF8;
        ExpTool.ApplyEnvironment(info);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet exp ui");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task<string> ReadFirstLineAsync(Process server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            return await server.StandardOutput.ReadLineAsync(timeout.Token) ?? "(no output; the server exited)";
        }
        catch (OperationCanceledException)
        {
            return "(nothing within 30 s)";
        }
    }

    private static void WriteProject(TempGitRepo repo)
    {
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n  epochs: 5\n");
        repo.WriteFile(
            "train.sh",
            """
            #!/bin/sh
            # acc = 1 - lr; the loss falls as lr * 10 / (step + 1) over five steps.
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            acc=$(awk -v lr="$lr" 'BEGIN { printf "%.4f", 1 - lr }')
            printf '{"acc": %s, "loss": %s}\n' "$acc" "$lr" > metrics.json
            mkdir -p plots
            awk -v lr="$lr" 'BEGIN { print "step\tloss"; for (s = 0; s < 5; s++) printf "%d\t%.4f\n", s, lr * 10 / (s + 1) }' > plots/loss.tsv
            echo "trained with lr=$lr"

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [train.lr]
                metrics:
                  - metrics.json: {cache: false}
                plots: [plots/loss.tsv]

            """
        );
    }

    [GeneratedRegex(@"^GitExp UI: (http://127\.0\.0\.1:\d+/)$")]
    internal static partial Regex UrlLine();

    [GeneratedRegex("""<meta name="gitexp-token" content="([0-9a-f]+)">""")]
    internal static partial Regex TokenMeta();
}
