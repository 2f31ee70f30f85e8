using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GitExp.Bench;

/// <summary>
/// The experiment queue: what <c>dotnet exp run --run-all</c> costs per entry on top of the stage itself
/// (<c>queue-overhead</c>), and how well <c>-j 4</c> overlaps stages that wait rather than compute
/// (<c>queue-parallel</c>).
/// </summary>
internal static partial class QueueBench
{
    private const double OverheadTargetMs = 250;
    private const double SpeedupTarget = 3.3;

    // The stage reads its param and writes a tiny metrics file holding it, so the check can tell that
    // every experiment ran on its own params.
    private const string TrainScript = """
        i=$(sed -n 's/^i: *//p' params.yaml)
        printf '{"i": %s, "score": 0.%s}\n' "$i" "$i" > metrics.json
        """;

    /// <summary>
    /// N trivial experiments through <c>run --run-all -j J</c>. Overhead per experiment is the time a
    /// worker slot is taken per experiment, wall × J / N, minus the stage command's own time, measured
    /// by running the same command (<c>/bin/sh -c 'sh train.sh'</c>, as the tool does) N times directly.
    /// </summary>
    public static int Overhead(string[] args)
    {
        var count = Options.Int(args, "--experiments", 100);
        var jobs = Options.Int(args, "--jobs", 2);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("queue-overhead");
        try
        {
            Console.WriteLine($"queue-overhead: {count} experiments, -j {jobs}, in {repo}; tool: {tool.Describe}");
            CreateProject(repo, "sh train.sh");
            var clock = Stopwatch.StartNew();
            Queue(tool, repo, 1, count, "sweep");
            Console.WriteLine($"queue-overhead: queued {count} in {clock.ElapsedMilliseconds} ms");

            clock.Restart();
            var output = tool.Run(repo, discardOutput: false, "run", "--run-all", "-j", Str(jobs));
            var wallMs = clock.Elapsed.TotalMilliseconds;
            Check(repo, output, 1, count);
            Console.WriteLine($"queue-overhead: run-all -j {jobs} took {wallMs:F0} ms; all {count} checked");

            // The baseline: the stage command alone, as the tool starts it, in a workspace like an entry's.
            var stage = StageAloneMs(repo, count);
            var perExperiment = wallMs * jobs / count;
            var overhead = perExperiment - stage;
            Console.WriteLine(
                Str($"queue-overhead: {perExperiment:F0} ms of worker time per experiment, of which the stage {stage:F1} ms")
            );
            return Summary.Report(
                "queue-overhead",
                overhead,
                stage,
                overhead / stage,
                Str(
                    $"overhead <= {OverheadTargetMs:F0} ms per experiment = wall x jobs / {count} - stage; baseline is the stage alone"
                ),
                overhead <= OverheadTargetMs
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

    /// <summary>
    /// N experiments whose stage sleeps a second: <c>--run-all -j 1</c> (baseline) against <c>-j 4</c>
    /// (ours) on the same queue, re-queued in between; the ratio is the speed-up.
    /// </summary>
    public static int Parallel(string[] args)
    {
        var count = Options.Int(args, "--experiments", 40);
        var jobs = Options.Int(args, "--jobs", 4);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("queue-parallel");
        try
        {
            Console.WriteLine($"queue-parallel: {count} experiments sleeping 1 s, -j 1 vs -j {jobs}, in {repo}");
            CreateProject(repo, "sleep 1 && sh train.sh");

            Queue(tool, repo, 1, count, "serial");
            var clock = Stopwatch.StartNew();
            var output = tool.Run(repo, discardOutput: false, "run", "--run-all", "-j", "1");
            var serialMs = clock.Elapsed.TotalMilliseconds;
            Check(repo, output, 1, count);
            Console.WriteLine($"queue-parallel: -j 1 took {serialMs:F0} ms");

            // A queue of the same size again, on a clean slate (no experiment refs or finished records left
            // over). Its params are new, i = N+1..2N: with the same ones the run cache would restore the
            // outputs of the first round instead of running the stages.
            DeleteExperiments(repo);
            Queue(tool, repo, count + 1, count, "parallel");
            clock.Restart();
            output = tool.Run(repo, discardOutput: false, "run", "--run-all", "-j", Str(jobs));
            var parallelMs = clock.Elapsed.TotalMilliseconds;
            Check(repo, output, count + 1, count);
            Console.WriteLine($"queue-parallel: -j {jobs} took {parallelMs:F0} ms");

            var speedup = serialMs / parallelMs;
            return Summary.Report(
                "queue-parallel",
                parallelMs,
                serialMs,
                speedup,
                Str($">= {SpeedupTarget:F1} as speed-up of -j {jobs} over -j 1, baseline -j 1"),
                speedup >= SpeedupTarget
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

    internal static void CreateProject(string repo, string cmd)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(Path.Combine(repo, "params.yaml"), "i: 0\n");
        File.WriteAllText(Path.Combine(repo, "train.sh"), TrainScript + "\n");
        File.WriteAllText(
            Path.Combine(repo, "exp.yaml"),
            $"""
            stages:
              train:
                cmd: {cmd}
                deps: [train.sh]
                params: [params.yaml:]
                metrics: [metrics.json]
            """ + "\n"
        );
        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "baseline");
    }

    /// <summary>One sweep, <c>-S i=first,...,first+N-1</c>, named <c>prefix-1</c> ... <c>prefix-N</c>.</summary>
    internal static void Queue(Tool tool, string repo, int first, int count, string prefix)
    {
        var values = string.Join(',', Enumerable.Range(first, count).Select(Str));
        var output = tool.Run(
            repo,
            discardOutput: false,
            "run",
            "--queue",
            "--name",
            prefix,
            "--sweep-limit",
            Str(Math.Max(count, 1)),
            "-S",
            "i=" + values
        );
        var queued = output.Split('\n').Count(l => l.StartsWith("Queued experiment", StringComparison.Ordinal));
        if (queued != count)
        {
            throw new InvalidOperationException($"queued {queued} entries, expected {count}:\n{output}");
        }
    }

    /// <summary>
    /// Every entry must have become exactly one experiment: N experiment refs whose params are
    /// i = first..first+N-1 each once (and whose metrics say the same, so the stage ran on them), no queue
    /// or failed ref left, and the tool says so.
    /// </summary>
    internal static void Check(string repo, string output, int first, int count)
    {
        var summary = $"{count} of {count} experiment(s) succeeded.";
        if (!output.Contains(summary, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"run-all did not report '{summary}':\n{Tail(output)}");
        }

        var refs = Proc.Git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .ToList();
        var queued = refs.Count(r => r[1].StartsWith("refs/exps/queue/", StringComparison.Ordinal));
        var failed = refs.Count(r => r[1].StartsWith("refs/exps/failed/", StringComparison.Ordinal));
        var experiments = refs.Where(r =>
                !r[1].StartsWith("refs/exps/queue/", StringComparison.Ordinal)
                && !r[1].StartsWith("refs/exps/failed/", StringComparison.Ordinal)
            )
            .Select(r => r[0])
            .ToList();
        if (queued != 0 || failed != 0 || experiments.Count != count)
        {
            throw new InvalidOperationException(
                $"after run-all: {experiments.Count} experiment refs (expected {count}), {queued} queued, {failed} failed"
            );
        }

        var request = new StringBuilder();
        foreach (var commit in experiments)
        {
            request.Append(commit).Append(":params.yaml\n");
            request.Append(commit).Append(":metrics.json\n");
        }

        var blobs = CatFileBatch(repo, request.ToString());
        var seen = new HashSet<int>();
        for (var i = 0; i < experiments.Count; i++)
        {
            var param = ParamRegex().Match(blobs[2 * i]);
            if (!param.Success)
            {
                throw new InvalidOperationException($"experiment {experiments[i]} has no param i: {blobs[2 * i]}");
            }

            var value = int.Parse(param.Groups[1].Value, CultureInfo.InvariantCulture);
            if (!seen.Add(value))
            {
                throw new InvalidOperationException($"param i={value} was recorded twice");
            }

            if (!blobs[2 * i + 1].Contains(Str($"\"i\": {value},"), StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"experiment {experiments[i]} (i={value}) has metrics {blobs[2 * i + 1]}, not its own"
                );
            }
        }

        if (!seen.SetEquals(Enumerable.Range(first, count)))
        {
            throw new InvalidOperationException($"params recorded are not i = {first}..{first + count - 1}");
        }
    }

    /// <summary>The contents of each requested object, in order; a missing one throws.</summary>
    private static List<string> CatFileBatch(string repo, string request)
    {
        var output = Proc.Run("git", ["cat-file", "--batch"], repo, input: request);
        var blobs = new List<string>();
        var position = 0;
        while (position < output.Length)
        {
            var end = output.IndexOf('\n', position);
            var header = output[position..end].Split(' ');
            if (header.Length != 3)
            {
                throw new InvalidOperationException("git cat-file --batch: " + output[position..end]);
            }

            // The files are ASCII, so characters are bytes.
            var size = int.Parse(header[2], CultureInfo.InvariantCulture);
            blobs.Add(output.Substring(end + 1, size));
            position = end + 1 + size + 1;
        }

        return blobs;
    }

    /// <summary>
    /// The stage alone, per run: <c>/bin/sh -c 'sh train.sh'</c> started from this process, as the tool
    /// starts a stage, in a checkout of the baseline with i set. Mean of N runs after a warm-up.
    /// </summary>
    internal static double StageAloneMs(string repo, int runs)
    {
        var dir = Path.Combine(repo, ".bench-stage");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(repo, "train.sh"), Path.Combine(dir, "train.sh"));
        File.WriteAllText(Path.Combine(dir, "params.yaml"), "i: 7\n");
        Proc.Run("/bin/sh", ["-c", "sh train.sh"], dir);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++)
        {
            Proc.Run("/bin/sh", ["-c", "sh train.sh"], dir);
        }

        var mean = clock.Elapsed.TotalMilliseconds / runs;
        if (!File.ReadAllText(Path.Combine(dir, "metrics.json")).Contains("\"i\": 7,", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the stage alone did not write its metrics");
        }

        Directory.Delete(dir, recursive: true);
        return mean;
    }

    /// <summary>Deletes every experiment ref in one transaction and forgets the finished entries.</summary>
    internal static void DeleteExperiments(string repo)
    {
        var refs = Proc.Git(repo, "for-each-ref", "--format=delete %(refname)", "refs/exps");
        Proc.Run("git", ["update-ref", "--stdin"], repo, input: refs);
        foreach (var done in Directory.GetFiles(Path.Combine(repo, ".exp", "tmp", "queue"), "*.done"))
        {
            File.Delete(done);
        }
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(20));

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Str(FormattableString text) => FormattableString.Invariant(text);

    [GeneratedRegex(@"^i:\s*(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ParamRegex();
}
