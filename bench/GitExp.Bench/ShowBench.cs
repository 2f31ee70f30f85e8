using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GitExp.Bench;

/// <summary>
/// <c>dotnet exp show --json</c> over N experiments against the raw Git reads it needs:
/// <c>git for-each-ref refs/exps</c> plus one <c>git cat-file --batch</c> of every params and metrics blob.
/// </summary>
internal static class ShowBench
{
    private const double TargetRatio = 2.0;
    private const double TargetMs = 500;
    private const int ParamCount = 20;
    private const int MetricCount = 10;

    public static int Run(string[] args)
    {
        var count = Options.Int(args, "--experiments", 1000);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("show");
        try
        {
            Console.WriteLine($"show: creating {count} experiments in {repo}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            CreateRepo(repo, count);
            Console.WriteLine($"show: repo ready in {clock.ElapsedMilliseconds} ms; tool: {tool.Describe}");

            // The first show reads every experiment from git and fills .git/gitexp (decision 0010); later ones
            // read only what is new. Both are reported; the target is on the later ones, as a user meets them.
            var first = System.Diagnostics.Stopwatch.StartNew();
            Check(tool.Run(repo, discardOutput: false, "show", "--json"), count);
            var firstMs = first.Elapsed.TotalMilliseconds;
            var ours = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "show", "--json"));
            RawGit(repo); // warm-up, as ours had one
            var raw = Timing.BestMs(5, () => RawGit(repo));

            // For information: the same repository after 'git gc' packed it, where git reads far faster than
            // from loose objects and the tool's fixed start-up cost weighs more.
            Proc.Git(repo, "gc", "-q");
            var oursPacked = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "show", "--json"));
            RawGit(repo);
            var rawPacked = Timing.BestMs(5, () => RawGit(repo));
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"show: first run (every commit read from git, .git/gitexp filled) {firstMs:F0} ms, ratio {firstMs / raw:F2} (information)"
                )
            );
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"show: after git gc (packed): ours {oursPacked:F0} ms, baseline {rawPacked:F0} ms, ratio {oursPacked / rawPacked:F2} (information)"
                )
            );

            var ratio = ours / raw;
            return Summary.Report(
                "show",
                ours,
                raw,
                ratio,
                string.Create(CultureInfo.InvariantCulture, $"<= {TargetRatio:F1} and ours < {TargetMs:F0} ms"),
                ratio <= TargetRatio && ours < TargetMs
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

    /// <summary>for-each-ref, then every exp's two blobs through one cat-file --batch; output drained, not kept.</summary>
    internal static void RawGit(string repo)
    {
        var refs = Proc.Git(repo, "for-each-ref", "--format=%(objectname)", "refs/exps");
        var request = new StringBuilder();
        foreach (var commit in refs.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            request.Append(commit).Append(":params.yaml\n").Append(commit).Append(":metrics.json\n");
        }

        Proc.Run("git", ["cat-file", "--batch"], repo, input: request.ToString(), discardOutput: true);
    }

    /// <summary>
    /// A baseline commit and <paramref name="count"/> experiment commits on it, written by one fast-import and then
    /// left as loose objects, the way <c>dotnet exp run</c> leaves them.
    /// </summary>
    internal static void CreateRepo(string repo, int count, bool loose = true)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(
            Path.Combine(repo, "exp.yaml"),
            """
            stages:
              train:
                cmd: python train.py
                params:
                  - params.yaml:
                metrics:
                  - metrics.json
            """ + "\n"
        );
        File.WriteAllText(Path.Combine(repo, "params.yaml"), ParamsYaml(new Random(0)));
        File.WriteAllText(Path.Combine(repo, "metrics.json"), MetricsJson(new Random(0)));
        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "baseline");
        var baseline = Proc.Git(repo, "rev-parse", "HEAD").Trim();

        var stream = new StringBuilder();
        var random = new Random(42);
        var created = 1_700_000_000L;
        for (var i = 0; i < count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"exp-{i:D4}");
            var message = "exp: " + name + "\n";
            stream.Append(CultureInfo.InvariantCulture, $"commit refs/exps/{baseline[..2]}/{baseline[2..]}/{name}\n");
            stream.Append(CultureInfo.InvariantCulture, $"committer bench <bench@example.invalid> {created + i} +0000\n");
            Data(stream, message);
            stream.Append(CultureInfo.InvariantCulture, $"from {baseline}\n");
            stream.Append("M 100644 inline params.yaml\n");
            Data(stream, ParamsYaml(random));
            stream.Append("M 100644 inline metrics.json\n");
            Data(stream, MetricsJson(random));
            stream.Append('\n');
        }

        Proc.Run("git", ["fast-import", "--quiet"], repo, input: stream.ToString());
        if (loose)
        {
            Unpack(repo);
        }
        else
        {
            // fast-import's pack and packed refs: a packed repository in seconds ('git gc' takes far longer).
            Proc.Git(repo, "pack-refs", "--all");
        }
    }

    /// <summary>
    /// Turns fast-import's pack into loose objects. The tool writes each experiment's commit, tree and blobs loose
    /// (hash-object, commit-tree and update-ref never pack, and git's automatic gc runs only after commands such
    /// as commit or fetch, and only past 6,700 loose objects), so 1,000 experiments are ~4,000 loose objects in
    /// a user's repository. That is also the repository the issue's "about 0.17 s" raw-git figure was measured on;
    /// the packed one is measured too, after <c>git gc</c>, and printed for information.
    /// </summary>
    private static void Unpack(string repo)
    {
        var packDirectory = Path.Combine(repo, ".git", "objects", "pack");
        foreach (var pack in Directory.GetFiles(packDirectory, "*.pack"))
        {
            var moved = Path.Combine(repo, ".git", Path.GetFileName(pack));
            File.Move(pack, moved);
            File.Delete(Path.ChangeExtension(pack, ".idx"));
            Proc.Run("sh", ["-c", "git unpack-objects -q < \"$1\"", "sh", moved], repo);
            File.Delete(moved);
        }

        var counts = Proc.Git(repo, "count-objects", "-v");
        if (!counts.Contains("packs: 0", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the show repository still has packs after unpacking:\n" + counts);
        }
    }

    private static void Data(StringBuilder stream, string text) =>
        stream.Append(CultureInfo.InvariantCulture, $"data {Encoding.UTF8.GetByteCount(text)}\n").Append(text).Append('\n');

    // Flat keys of the kinds people use: floats, ints, strings and booleans.
    private static string ParamsYaml(Random random)
    {
        var text = new StringBuilder();
        for (var i = 0; i < ParamCount; i++)
        {
            var value = (i % 4) switch
            {
                0 => (random.NextDouble() / 100).ToString("R", CultureInfo.InvariantCulture),
                1 => random.Next(1, 512).ToString(CultureInfo.InvariantCulture),
                2 => random.Next(2) == 0 ? "adam" : "sgd",
                _ => random.Next(2) == 0 ? "true" : "false",
            };
            text.Append(CultureInfo.InvariantCulture, $"param_{i:D2}: {value}\n");
        }

        return text.ToString();
    }

    private static string MetricsJson(Random random)
    {
        var parts = Enumerable
            .Range(0, MetricCount)
            .Select(i =>
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"\"metric_{i:D2}\": {random.NextDouble().ToString("R", CultureInfo.InvariantCulture)}"
                )
            );
        return "{" + string.Join(", ", parts) + "}\n";
    }

    /// <summary>The output must really hold every experiment with all its values, or the timing means nothing.</summary>
    internal static void Check(string json, int count)
    {
        using var document = JsonDocument.Parse(json);
        var rows = document.RootElement.EnumerateArray().ToList();
        var experiments = rows.Where(r => r.GetProperty("type").GetString() == "experiment").ToList();
        if (experiments.Count != count)
        {
            throw new InvalidOperationException($"exp show --json listed {experiments.Count} experiments, expected {count}");
        }

        var last = experiments[^1];
        var paramCount = last.GetProperty("params")
            .GetProperty("params.yaml")
            .EnumerateObject()
            .Count(p => p.Value.ValueKind != JsonValueKind.Null);
        var metricCount = last.GetProperty("metrics")
            .GetProperty("metrics.json")
            .EnumerateObject()
            .Count(p => p.Value.ValueKind != JsonValueKind.Null);
        if (paramCount != ParamCount || metricCount != MetricCount)
        {
            throw new InvalidOperationException(
                $"an experiment shows {paramCount} params and {metricCount} metrics, expected {ParamCount} and {MetricCount}"
            );
        }
    }
}
