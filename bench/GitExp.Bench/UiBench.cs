using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Core.Project;
using GitExp.Core.Tracking;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace GitExp.Bench;

/// <summary>
/// The run store at scale: 10,000 runs (20 params, 10 metrics each; 10 of them with 1,000-step histories
/// of 5 metrics) written straight into <c>.exp/runs.db</c> through <see cref="RunStore"/>, then
/// <c>ui-api</c>, <c>ui-page</c>, <c>ui-compare</c> (the real <c>dotnet exp ui --port 0</c>, the pages in
/// headless Chromium) and <c>runs-filter</c> (<c>dotnet exp runs list --filter ... --json</c>).
/// </summary>
internal static partial class UiBench
{
    public const string Chromium = "/usr/bin/chromium";
    private const int ParamCount = 20;
    private const int MetricCount = 10;
    private const int HistoryRuns = 10;
    private const int HistoryMetrics = 5;
    private const int HistorySteps = 1000;
    private const string Filter = "metrics.metric_00 > 0.5 and params.param_02 = adam";

    public static int Api(string[] args) => WithStore(args, "ui-api", ApiBench);

    public static int Page(string[] args) => WithStore(args, "ui-page", PageBench);

    public static int Compare(string[] args) => WithStore(args, "ui-compare", CompareBench);

    public static int RunsFilter(string[] args) => WithStore(args, "runs-filter", FilterBench);

    private sealed record Store(string Repo, int Runs, IReadOnlyList<string> HistoryIds, int FilterMatches, Tool Tool);

    private static int WithStore(string[] args, string name, Func<Store, int> bench)
    {
        var count = Options.Int(args, "--runs", 10_000);
        var repo = Proc.TempDir(name);
        try
        {
            var clock = Stopwatch.StartNew();
            var store = Create(repo, count, Tool.FromArgs(args)).GetAwaiter().GetResult();
            Console.WriteLine(
                $"{name}: {count} runs ({store.HistoryIds.Count} with histories) in {repo}, written in {clock.ElapsedMilliseconds} ms; tool: {store.Tool.Describe}"
            );
            return bench(store);
        }
        finally
        {
            if (!Options.Flag(args, "--keep"))
            {
                Directory.Delete(repo, recursive: true);
            }
        }
    }

    /// <summary>A Git repo (one commit) whose <c>.exp/runs.db</c> holds <paramref name="count"/> runs, written in-process.</summary>
    private static async Task<Store> Create(string repo, int count, Tool tool)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(Path.Combine(repo, "README.md"), "bench\n");
        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "baseline");
        var baseline = Proc.Git(repo, "rev-parse", "HEAD").Trim();
        var project = await ExpProject.OpenAsync(repo);
        project.EnsureInitialized();
        var random = new Random(42);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var historyIds = new List<string>();
        var matches = 0;
        // Written in memory (/dev/shm when there is one: no fsync per run), then copied into the project.
        var scratch = Path.Combine(
            Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
            $"gitexp-bench-{Guid.NewGuid():N}"
        );
        var scratchDb = Path.Combine(scratch, "runs.db");
        var store = RunStore.Open(scratchDb);
        for (var i = 0; i < count; i++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{i:x8}{random.NextInt64():x16}")[..24];
            var name = string.Create(CultureInfo.InvariantCulture, $"exp-{i:D5}");
            var parameters = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            for (var p = 0; p < ParamCount; p++)
            {
                parameters[string.Create(CultureInfo.InvariantCulture, $"params.yaml:param_{p:D2}")] = (p % 4) switch
                {
                    0 => JsonNode.Parse((random.NextDouble() / 100).ToString("R", CultureInfo.InvariantCulture)),
                    1 => JsonValue.Create(random.Next(1, 512)),
                    2 => JsonValue.Create(random.Next(2) == 0 ? "adam" : "sgd"),
                    _ => JsonValue.Create(random.Next(2) == 0),
                };
            }

            var metrics = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
            for (var m = 0; m < MetricCount; m++)
            {
                var last = random.NextDouble();
                metrics[string.Create(CultureInfo.InvariantCulture, $"metrics.json:metric_{m:D2}")] = new MetricSummary(
                    JsonNode.Parse(last.ToString("R", CultureInfo.InvariantCulture)),
                    last / 2,
                    last
                );
            }

            if (
                metrics["metrics.json:metric_00"].Last!.GetValue<double>() > 0.5
                && (string?)parameters["params.yaml:param_02"] == "adam"
            )
            {
                matches++;
            }

            var created = start.AddSeconds(i * 60);
            store.Save(
                new RunRecord
                {
                    Id = id,
                    ExperimentName = name,
                    ExperimentRef = $"refs/exps/{baseline[..2]}/{baseline[2..]}/{name}",
                    Commit = Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())).ToLowerInvariant() + baseline[16..],
                    Baseline = baseline,
                    Branch = "main",
                    GitUser = "bench",
                    Command = "dotnet exp run -n " + name,
                    Host = "bench",
                    Kind = "workspace",
                    Status = i % 10 == 9 ? RunStatus.Failed : RunStatus.Succeeded,
                    Created = created,
                    Started = created.AddSeconds(1),
                    Finished = created.AddSeconds(31),
                    ExitCode = i % 10 == 9 ? 1 : 0,
                    Params = parameters,
                    Metrics = metrics,
                }
            );
            // The 10 newest runs carry step histories (as a live run logs them): the compare page's subject.
            if (i >= count - HistoryRuns)
            {
                historyIds.Add(id);
                for (var m = 0; m < HistoryMetrics; m++)
                {
                    var scale = 0.5 + random.NextDouble();
                    store.SaveMetricHistory(
                        id,
                        string.Create(CultureInfo.InvariantCulture, $"metric_{m:D2}"),
                        Enumerable
                            .Range(0, HistorySteps)
                            .Select(s => ((long)s, scale / (1 + s * 0.01) + random.NextDouble() * 0.01))
                    );
                }
            }
        }

        store.Dispose();
        SqliteConnection.ClearAllPools(); // closes the file: the WAL is checkpointed into runs.db
        File.Copy(scratchDb, Path.Combine(project.ExpDirectory, "runs.db"));
        Directory.Delete(scratch, recursive: true);
        return new Store(repo, count, historyIds, matches, tool);
    }

    // ---------- ui-api

    private const double ApiTargetMs = 100;

    private static int ApiBench(Store store)
    {
        using var server = UiServerProcess.Start(store);
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        const string path = "/api/runs?page=1&pageSize=50";
        const string baselinePath = "/assets/common.js";
        var json = Get(http, path); // warm-up (JIT, first open of the store), and the check
        var page = JsonNode.Parse(json)!;
        var rows = page["runs"]!.AsArray();
        if (
            page["total"]!.GetValue<int>() != store.Runs
            || rows.Count != 50
            || rows[0]!["params"]!.AsObject().Count != ParamCount
        )
        {
            throw new InvalidOperationException(
                $"{path}: total {page["total"]}, {rows.Count} rows; expected {store.Runs} and 50 rows of {ParamCount} params"
            );
        }

        Console.WriteLine($"ui-api: {path} answers {json.Length} bytes");
        var ours = Timing.BestMs(5, () => Get(http, path));
        Get(http, baselinePath);
        var baseline = Timing.BestMs(5, () => Get(http, baselinePath));
        return Summary.Report(
            "ui-api",
            ours,
            baseline,
            ours / baseline,
            string.Create(
                CultureInfo.InvariantCulture,
                $"ours < {ApiTargetMs:F0} ms for GET {path} over {store.Runs} runs; baseline GET {baselinePath}, a static file from the same server"
            ),
            ours < ApiTargetMs
        );
    }

    private static string Get(HttpClient http, string path)
    {
        using var response = http.GetAsync(path).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
        }

        return body;
    }

    // ---------- ui-page and ui-compare

    private const double PageTargetMs = 1000;
    private const double CompareTargetMs = 1000;
    private const string BlankPath = "/assets/app.css";

    private static int PageBench(Store store) =>
        WithBrowser(
            store,
            async (page, server) =>
            {
                var url = new Uri(server.Address, "/").ToString();
                async Task Once()
                {
                    await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
                    // The first page of the table: 25 rows (the page's page size).
                    await page.WaitForFunctionAsync("() => document.querySelectorAll('#runs tbody tr').length === 25");
                }

                var ours = await BestAsync(5, page, Once, warmUp: true);
                var rowCount = await page.Locator("#runs tbody tr").CountAsync();
                var info = await page.Locator("#page-info").InnerTextAsync();
                Console.WriteLine($"ui-page: {rowCount} rows, '{info}'");
                if (!info.Contains(store.Runs.ToString(CultureInfo.InvariantCulture) + " runs", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"the runs page says '{info}', expected {store.Runs} runs");
                }

                var baseline = await BlankAsync(page, server);
                return Summary.Report(
                    "ui-page",
                    ours,
                    baseline,
                    ours / baseline,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"ours < {PageTargetMs:F0} ms from navigation to 25 table rows; baseline navigation to {BlankPath}, a static file"
                    ),
                    ours < PageTargetMs
                );
            }
        );

    private static int CompareBench(Store store) =>
        WithBrowser(
            store,
            async (page, server) =>
            {
                var url = new Uri(server.Address, "/compare?ids=" + string.Join(",", store.HistoryIds)).ToString();
                async Task Once()
                {
                    await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
                    // Both tables filled and one overlaid chart per metric with a history, then a frame painted.
                    await page.WaitForFunctionAsync(
                        $"() => document.querySelectorAll('#params tbody tr').length === {ParamCount}"
                            + $" && document.querySelectorAll('#metrics tbody tr').length === {MetricCount}"
                            + $" && document.querySelectorAll('#plots .plot canvas').length === {HistoryMetrics}"
                    );
                    await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
                }

                var ours = await BestAsync(3, page, Once, warmUp: true);
                var series = await page.EvaluateAsync<int>(
                    "() => document.querySelectorAll('#plots .u-legend .u-series').length"
                );
                Console.WriteLine($"ui-compare: {HistoryMetrics} charts, {series} legend entries");
                var baseline = await BlankAsync(page, server);
                return Summary.Report(
                    "ui-compare",
                    ours,
                    baseline,
                    ours / baseline,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"ours < {CompareTargetMs:F0} ms from navigation to tables and {HistoryMetrics} charts of {HistoryRuns} runs x {HistorySteps} steps; baseline navigation to {BlankPath}"
                    ),
                    ours < CompareTargetMs
                );
            }
        );

    /// <summary>The same browser and page navigating to a static file of the same server, best of 5.</summary>
    private static Task<double> BlankAsync(IPage page, UiServerProcess server)
    {
        var url = new Uri(server.Address, BlankPath).ToString();
        return BestAsync(5, page, () => page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Load }), warmUp: true);
    }

    /// <summary>Best of N: each from about:blank, timed from the navigation's start until <paramref name="once"/> returns.</summary>
    private static async Task<double> BestAsync(int runs, IPage page, Func<Task> once, bool warmUp)
    {
        var best = double.MaxValue;
        for (var i = warmUp ? -1 : 0; i < runs; i++)
        {
            await page.GotoAsync("about:blank");
            var clock = Stopwatch.StartNew();
            await once();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (i >= 0)
            {
                best = Math.Min(best, ms);
            }
        }

        return best;
    }

    private static int WithBrowser(Store store, Func<IPage, UiServerProcess, Task<int>> bench)
    {
        if (!File.Exists(Chromium))
        {
            Console.WriteLine($"{Chromium} is missing (apt-get install -y chromium)");
            return 1;
        }

        return Run().GetAwaiter().GetResult();

        async Task<int> Run()
        {
            using var server = UiServerProcess.Start(store);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(
                new()
                {
                    ExecutablePath = Chromium,
                    Headless = true,
                    Args =
                    [
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                    ],
                }
            );
            await using var context = await browser.NewContextAsync(
                new()
                {
                    ViewportSize = new() { Width = 1400, Height = 900 },
                }
            );
            context.SetDefaultTimeout(120_000);
            var page = await context.NewPageAsync();
            return await bench(page, server);
        }
    }

    // ---------- runs-filter

    private const double FilterTargetRatio = 4.0;

    private static int FilterBench(Store store)
    {
        var arguments = new[] { "runs", "list", "--filter", Filter, "--json" };
        var listed = JsonNode.Parse(store.Tool.Run(store.Repo, discardOutput: false, arguments))!.AsArray();
        if (listed.Count != store.FilterMatches || listed.Any(r => r!["params"]!.AsObject().Count != ParamCount))
        {
            throw new InvalidOperationException(
                $"runs list --filter listed {listed.Count} runs, expected {store.FilterMatches} with {ParamCount} params each"
            );
        }

        Console.WriteLine($"runs-filter: '{Filter}' matches {listed.Count} of {store.Runs} runs");
        var ours = Timing.BestMs(5, () => store.Tool.Run(store.Repo, discardOutput: true, arguments));
        store.Tool.Run(store.Repo, discardOutput: true, "--version");
        var baseline = Timing.BestMs(5, () => store.Tool.Run(store.Repo, discardOutput: true, "--version"));
        return Summary.Report(
            "runs-filter",
            ours,
            baseline,
            ours / baseline,
            string.Create(
                CultureInfo.InvariantCulture,
                $"ratio <= {FilterTargetRatio:F1} over {store.Runs} runs; baseline dotnet exp --version"
            ),
            ours / baseline <= FilterTargetRatio
        );
    }

    /// <summary><c>dotnet exp ui --port 0</c> in the repo, its address read from its first line; killed on dispose.</summary>
    private sealed partial class UiServerProcess : IDisposable
    {
        private readonly Process _process;

        private UiServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static UiServerProcess Start(Store store)
        {
            var (file, arguments) = store.Tool.Command("ui", "--port", "0");
            var info = new ProcessStartInfo(file, arguments)
            {
                WorkingDirectory = store.Repo,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet exp ui");
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine("ui: " + e.Data);
                }
            };
            process.BeginErrorReadLine();
            var line = process.StandardOutput.ReadLine() ?? "";
            var match = UrlLine().Match(line);
            if (!match.Success)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the first line of 'dotnet exp ui' was '{line}'");
            }

            // Keep draining stdout so the server never blocks on a full pipe.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            return new UiServerProcess(process, new Uri(match.Groups[1].Value));
        }

        public void Dispose()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException) { }

            _process.Dispose();
        }

        [GeneratedRegex(@"^GitExp UI: (http://127\.0\.0\.1:\d+/)$")]
        private static partial Regex UrlLine();
    }
}
