using System.Diagnostics;
using System.Globalization;

namespace GitExp.Bench;

/// <summary>
/// <c>slurm-overhead</c>: the cost per experiment of running the queue through Slurm (<c>--run-all --executor slurm</c>)
/// against the local executor (<c>--run-all</c>) on the same trivial entries, and against Slurm's own cost of an array
/// of as many trivial tasks (<c>sbatch --array --wrap true</c>), on a one-node cluster brought up for the bench.
/// </summary>
internal static class SlurmBench
{
    /// <summary>Our part of the Slurm path (ours minus Slurm's own per task) must stay within this many local overheads.</summary>
    private const double TargetRatio = 3.0;

    public static int Overhead(string[] args)
    {
        var count = Options.Int(args, "--experiments", 20);
        var jobs = Options.Int(args, "--jobs", 2);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("slurm-overhead");
        var cluster = Proc.TempDir("slurm-cluster");
        var script = Path.Combine(Tool.RepoRoot(), "tests/GitExp.Tool.Tests/Infrastructure/slurm-cluster.sh");
        Directory.CreateDirectory(cluster);
        try
        {
            var conf = Proc.Run("sh", [script, "start", cluster], cluster).Trim();
            Environment.SetEnvironmentVariable("SLURM_CONF", conf);
            Console.WriteLine(
                $"slurm-overhead: {count} experiments, -j {jobs}, in {repo}; cluster {cluster}; tool: {tool.Describe}"
            );
            QueueBench.CreateProject(repo, "sh train.sh");
            var stage = QueueBench.StageAloneMs(repo, count);

            // Slurm alone: from submission until Slurm no longer lists the array, and one job's submit-to-start latency.
            var latency = Enumerable.Range(0, 5).Select(_ => StartLatencyMs(cluster)).Order().ElementAt(2);
            var clock = Stopwatch.StartNew();
            var array = Proc.Run(
                    "sbatch",
                    ["--parsable", $"--array=0-{count - 1}%{jobs}", "--output=/dev/null", "--wrap", "sh -c true"],
                    cluster
                )
                .Trim();
            WaitUntilGone(array, cluster);
            var slurmAlone = clock.Elapsed.TotalMilliseconds * jobs / count;
            Console.WriteLine(
                Str(
                    $"slurm-overhead: Slurm alone {slurmAlone:F0} ms per task (array of {count}, %{jobs}); submit to start {latency:F0} ms (median of 5)"
                )
            );

            QueueBench.Queue(tool, repo, 1, count, "local");
            clock.Restart();
            var output = tool.Run(repo, discardOutput: false, "run", "--run-all", "-j", Str(jobs));
            var local = clock.Elapsed.TotalMilliseconds * jobs / count - stage;
            QueueBench.Check(repo, output, 1, count);
            Console.WriteLine(
                Str($"slurm-overhead: local executor {local:F0} ms per experiment beyond the stage ({stage:F1} ms)")
            );

            QueueBench.DeleteExperiments(repo);
            QueueBench.Queue(tool, repo, count + 1, count, "slurm");
            clock.Restart();
            output = tool.Run(repo, discardOutput: false, "run", "--run-all", "--executor", "slurm", "-j", Str(jobs));
            var slurm = clock.Elapsed.TotalMilliseconds * jobs / count - stage;
            QueueBench.Check(repo, output, count + 1, count);
            Console.WriteLine(Str($"slurm-overhead: Slurm executor {slurm:F0} ms per experiment beyond the stage"));

            var ratio = (slurm - slurmAlone) / local;
            return Summary.Report(
                "slurm-overhead",
                slurm,
                local,
                slurm / local,
                Str(
                    $"info: Slurm alone {slurmAlone:F0} ms per task, submit-to-start {latency:F0} ms; (ours - Slurm alone) / local = {ratio:F2} <= {TargetRatio:F1}"
                ),
                ratio <= TargetRatio
            );
        }
        finally
        {
            Proc.Run("sh", [script, "stop", cluster], cluster);
            if (!Options.Flag(args, "--keep"))
            {
                Directory.Delete(repo, recursive: true);
                Directory.Delete(cluster, recursive: true);
            }
        }
    }

    /// <summary>One trivial job: from sbatch until its command has written the time (the scheduler's pick-up).</summary>
    private static double StartLatencyMs(string folder)
    {
        var mark = Path.Combine(folder, "started-" + Guid.NewGuid().ToString("N")[..6]);
        var clock = Stopwatch.StartNew();
        Proc.Run("sbatch", ["--output=/dev/null", "--wrap", $"touch {mark}"], folder);
        while (!File.Exists(mark))
        {
            Thread.Sleep(10);
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    private static void WaitUntilGone(string arrayId, string folder)
    {
        while (Proc.Run("squeue", ["-h", "-j", arrayId], folder).Trim().Length > 0)
        {
            Thread.Sleep(50);
        }
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Str(FormattableString text) => FormattableString.Invariant(text);
}
