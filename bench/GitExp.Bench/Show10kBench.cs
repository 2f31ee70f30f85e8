using System.Globalization;

namespace GitExp.Bench;

/// <summary>
/// <c>dotnet exp show</c> (the table, redirected: every row) and <c>dotnet exp show --json</c> over 10,000 experiments
/// of one baseline in a packed repository, against the raw Git reads they need, first run and warm.
/// </summary>
internal static class Show10kBench
{
    private const double TableOverJson = 1.5;
    private const double WarmOverFloor = 2.0;
    private const double WarmMs = 800;
    private const double FirstOverFloor = 3.0;

    public static int Run(string[] args)
    {
        var count = Options.Int(args, "--experiments", 10_000);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("show-10k");
        try
        {
            Console.WriteLine($"show-10k: creating {count} experiments (packed) in {repo}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ShowBench.CreateRepo(repo, count, loose: false);
            Console.WriteLine($"show-10k: repo ready in {clock.ElapsedMilliseconds} ms; tool: {tool.Describe}");

            var remembered = Path.Combine(repo, ".git", "gitexp");
            ShowBench.Check(tool.Run(repo, discardOutput: false, "show", "--json"), count);
            CheckTable(tool.Run(repo, discardOutput: false, "show"), count);

            var loadBefore = Timing.LoadAverage();
            // First runs: nothing in .git/gitexp, every commit and blob read from git (best of 3, each from scratch).
            var jsonFirstRuns = new Measure();
            var tableFirstRuns = new Measure();
            for (var i = 0; i < 3; i++)
            {
                Forget(remembered);
                jsonFirstRuns.Time(() => tool.Run(repo, discardOutput: true, "show", "--json"));
                Forget(remembered);
                tableFirstRuns.Time(() => tool.Run(repo, discardOutput: true, "show"));
            }

            tool.Run(repo, discardOutput: true, "show", "--json");

            // Warm: what a user meets from the second command on. Table, JSON and the floor alternate, so all three
            // meet the same load.
            var jsonRuns = new Measure();
            var tableRuns = new Measure();
            var floorRuns = new Measure();
            ShowBench.RawGit(repo); // warm-up, as ours had one
            for (var i = 0; i < 5; i++)
            {
                jsonRuns.Time(() => tool.Run(repo, discardOutput: true, "show", "--json"));
                tableRuns.Time(() => tool.Run(repo, discardOutput: true, "show"));
                floorRuns.Time(() => ShowBench.RawGit(repo));
            }

            var (jsonFirst, tableFirst) = (jsonFirstRuns.BestMs, tableFirstRuns.BestMs);
            var (json, table, floor) = (jsonRuns.BestMs, tableRuns.BestMs, floorRuns.BestMs);

            Line($"show-10k: floor (for-each-ref + one cat-file --batch of every params and metrics blob) {floor:F0} ms");
            Line(
                $"show-10k: first run (nothing in .git/gitexp): json {jsonFirst:F0} ms ({jsonFirst / floor:F2}x floor, target <= {FirstOverFloor:F1}), table {tableFirst:F0} ms ({tableFirst / jsonFirst:F2}x json)"
            );
            Line(
                $"show-10k: warm: json {json:F0} ms ({json / floor:F2}x floor, target <= {WarmOverFloor:F1} and < {WarmMs:F0} ms), table {table:F0} ms ({table / json:F2}x json, target <= {TableOverJson:F1})"
            );
            Line(
                $"show-10k: CPU time (user+sys of the processes, best): json {jsonRuns.BestCpuMs:F0} ms, table {tableRuns.BestCpuMs:F0} ms, floor {floorRuns.BestCpuMs:F0} ms; first json {jsonFirstRuns.BestCpuMs:F0} ms, table {tableFirstRuns.BestCpuMs:F0} ms; load average {loadBefore} before, {Timing.LoadAverage()} after (information)"
            );
            var pass =
                table <= TableOverJson * json
                && json <= WarmOverFloor * floor
                && json < WarmMs
                && jsonFirst <= FirstOverFloor * floor;
            return Summary.Report(
                "show-10k",
                table,
                json,
                table / json,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"table <= {TableOverJson:F1}x json; json warm <= {WarmOverFloor:F1}x floor and < {WarmMs:F0} ms, first <= {FirstOverFloor:F1}x floor; baseline is json"
                ),
                pass
            );
        }
        finally
        {
            if (!Options.Flag(args, "--keep"))
            {
                Directory.Delete(repo, recursive: true);
            }
        }
    }

    private static void Forget(string remembered)
    {
        if (Directory.Exists(remembered))
        {
            Directory.Delete(remembered, recursive: true);
        }
    }

    /// <summary>Redirected, the table keeps every row: the baseline, the workspace and each experiment.</summary>
    private static void CheckTable(string table, int count)
    {
        var rows = table.Split('\n').Count(l => l.Contains("exp-", StringComparison.Ordinal));
        if (rows != count)
        {
            throw new InvalidOperationException($"exp show printed {rows} experiment rows, expected {count}");
        }
    }

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));
}
