using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace GitExp.Bench;

/// <summary>
/// Checkpoints: listing a long chain (<c>checkpoint-show</c>) and taking a checkpoint of a big out
/// (<c>checkpoint-100mb</c>). Both chains are made for real, by <c>dotnet exp run</c> and a shell stage
/// that speaks the checkpoint protocol.
/// </summary>
internal static class CheckpointBench
{
    private const double ShowTargetMs = 500;
    private const double BigTargetRatio = 1.2;

    // The protocol as GitExp.Client's Checkpoint.Save speaks it: the step goes to $F.tmp, is renamed
    // to $F, and the stage waits until the runner deletes $F.
    private const string SignalFunction = """
        checkpoint() {
          printf '%d' "$1" > "$EXP_CHECKPOINT_FILE.tmp"
          mv "$EXP_CHECKPOINT_FILE.tmp" "$EXP_CHECKPOINT_FILE"
          while [ -e "$EXP_CHECKPOINT_FILE" ]; do sleep 0.001; done
        }
        """;

    /// <summary>
    /// <c>exp show --json</c> on an experiment with N checkpoints (each commit its own metrics.json,
    /// plus params.yaml), against <c>exp show --json --no-checkpoints</c> and <c>--version</c>.
    /// </summary>
    public static int Show(string[] args)
    {
        var count = Options.Int(args, "--checkpoints", 200);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("checkpoint-show");
        try
        {
            Console.WriteLine($"checkpoint-show: {count} checkpoints in {repo}; tool: {tool.Describe}");
            Proc.InitRepo(repo);
            File.WriteAllText(
                Path.Combine(repo, "params.yaml"),
                "lr: 0.001\nbatch_size: 64\noptimizer: adam\nepochs: " + Str(count) + "\n"
            );
            // The stage ends right at its last checkpoint, so that checkpoint is the experiment's tip
            // (step N) and the other N-1 are listed below it (name~1 .. name~N-1). (A stage that changes
            // files after its last checkpoint gets a tip of its own with an Exp-Last-Step trailer, and
            // 'exp show' then lists no checkpoints under it at all: it looks for Exp-Checkpoint on the tip.)
            File.WriteAllText(
                Path.Combine(repo, "train.sh"),
                SignalFunction
                    + "\n"
                    + """
                    n=$(sed -n 's/^epochs: *//p' params.yaml)
                    i=0
                    while [ "$i" -lt "$n" ]; do
                      i=$((i + 1))
                      printf '{"step": %d, "loss": %d.%04d, "acc": 0.%04d}\n' "$i" 0 $((10000 - i)) "$i" > metrics.json
                      printf 'weights %d\n' "$i" > model.txt
                      checkpoint "$i"
                    done
                    """
                    + "\n"
            );
            File.WriteAllText(
                Path.Combine(repo, "exp.yaml"),
                """
                stages:
                  train:
                    cmd: sh train.sh
                    deps: [train.sh]
                    params: [params.yaml:]
                    outs:
                      - model.txt: {checkpoint: true}
                    metrics: [metrics.json]
                """ + "\n"
            );
            Proc.Git(repo, "add", "-A");
            Proc.Git(repo, "commit", "-q", "-m", "baseline");

            var clock = Stopwatch.StartNew();
            var run = tool.Run(repo, discardOutput: false, "run", "-v", "--name", "long");
            var runMs = clock.Elapsed.TotalMilliseconds;
            var recorded = run.Split('\n').Count(l => l.StartsWith("Checkpoint ", StringComparison.Ordinal));
            if (recorded != count)
            {
                throw new InvalidOperationException($"the run recorded {recorded} checkpoints, expected {count}:\n{run}");
            }

            Console.WriteLine(
                Str($"checkpoint-show: run with {count} checkpoints took {runMs:F0} ms ({runMs / count:F0} ms each)")
            );

            CheckShow(tool.Run(repo, discardOutput: false, "show", "--json"), count);
            var ours = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "show", "--json"));

            tool.Run(repo, discardOutput: true, "show", "--json", "--no-checkpoints");
            var noCheckpoints = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "show", "--json", "--no-checkpoints"));
            tool.Run(repo, discardOutput: true, "--version");
            var startup = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "--version"));
            Console.WriteLine(
                Str(
                    $"checkpoint-show: show --json {ours:F0} ms; --no-checkpoints {noCheckpoints:F0} ms (ratio {ours / noCheckpoints:F2}); --version {startup:F0} ms (ratio {ours / startup:F2}); best of 5"
                )
            );
            return Summary.Report(
                "checkpoint-show",
                ours,
                noCheckpoints,
                ours / noCheckpoints,
                Str(
                    $"ours < {ShowTargetMs:F0} ms; baseline show --no-checkpoints, --version {startup:F0} ms = ratio {ours / startup:F2}"
                ),
                ours < ShowTargetMs
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

    /// <summary>One experiment whose N checkpoints each carry their own step in metrics.json and the params.</summary>
    private static void CheckShow(string json, int count)
    {
        using var document = JsonDocument.Parse(json);
        var experiments = document
            .RootElement.EnumerateArray()
            .Where(r => r.GetProperty("type").GetString() == "experiment")
            .ToList();
        if (experiments.Count != 1)
        {
            throw new InvalidOperationException($"exp show --json listed {experiments.Count} experiments, expected 1");
        }

        // The tip is checkpoint N, then name~1 (step N-1) .. name~(N-1) (step 1): N checkpoint rows.
        var checkpoints = experiments[0].TryGetProperty("checkpoints", out var list) ? list.EnumerateArray().ToList() : [];
        if (checkpoints.Count != count - 1)
        {
            throw new InvalidOperationException(
                $"exp show --json listed {checkpoints.Count} checkpoints below the tip, expected {count - 1}"
            );
        }

        var rows = checkpoints.Prepend(experiments[0]).ToList();
        for (var i = 0; i < count; i++)
        {
            var row = rows[i];
            var metrics = row.GetProperty("metrics").GetProperty("metrics.json");
            var step = metrics.GetProperty("step");
            var epochs = row.GetProperty("params").GetProperty("params.yaml").GetProperty("epochs");
            if (
                row.GetProperty("type").GetString() != (i == 0 ? "experiment" : "checkpoint")
                || step.ValueKind != JsonValueKind.Number
                || step.GetInt32() != count - i
                || metrics.GetProperty("loss").ValueKind != JsonValueKind.Number
                || epochs.ValueKind != JsonValueKind.Number
                || epochs.GetInt32() != count
            )
            {
                throw new InvalidOperationException(
                    $"checkpoint row {i} is not step {count - i} with its metrics and params: {row}"
                );
            }
        }
    }

    /// <summary>
    /// A stage whose checkpoint out is a 100 MiB file: the time from the signal file's creation to its
    /// deletion, measured by the stage, median of N checkpoints, against SHA-256 of the file plus one
    /// <c>cp</c> of it.
    /// </summary>
    public static int Big(string[] args)
    {
        var sizeMb = Options.Int(args, "--size-mb", 100);
        var count = Options.Int(args, "--checkpoints", 7);
        var tool = Tool.FromArgs(args);
        var root = Proc.TempDir("checkpoint-100mb");
        var repo = Path.Combine(root, "repo");
        var times = Path.Combine(root, "times.txt");
        try
        {
            Console.WriteLine($"checkpoint-100mb: {count} checkpoints of a {sizeMb} MiB out in {repo}; tool: {tool.Describe}");
            Proc.InitRepo(repo);
            // Between checkpoints the stage rewrites 8 bytes in place, so each checkpoint stores new
            // content. The clock starts before the rename that creates the signal file and stops once
            // the wait loop saw it deleted.
            File.WriteAllText(
                Path.Combine(repo, "train.sh"),
                Str(
                    $"""
                    head -c {sizeMb * 1024 * 1024} /dev/urandom > model.bin
                    : > '{times}'
                    i=0
                    while [ "$i" -lt {count} ]; do
                      i=$((i + 1))
                      printf '%08d' "$i" | dd of=model.bin bs=1 seek=$((i * 4096)) conv=notrunc status=none
                      printf '%d' "$i" > "$EXP_CHECKPOINT_FILE.tmp"
                      t0=$(date +%s%N)
                      mv "$EXP_CHECKPOINT_FILE.tmp" "$EXP_CHECKPOINT_FILE"
                      while [ -e "$EXP_CHECKPOINT_FILE" ]; do sleep 0.001; done
                      t1=$(date +%s%N)
                      echo $((t1 - t0)) >> '{times}'
                    done
                    """
                ) + "\n"
            );
            File.WriteAllText(
                Path.Combine(repo, "exp.yaml"),
                """
                stages:
                  train:
                    cmd: sh train.sh
                    deps: [train.sh]
                    outs:
                      - model.bin: {checkpoint: true}
                """ + "\n"
            );
            Proc.Git(repo, "add", "-A");
            Proc.Git(repo, "commit", "-q", "-m", "baseline");

            // Both sides start with no dirty pages to write back (the machine's other work aside).
            Proc.Run("sync", [], root);
            var clock = Stopwatch.StartNew();
            // -v prints one line per checkpoint (without it, one summary line).
            var run = tool.Run(repo, discardOutput: false, "run", "-v", "--name", "big");
            Console.WriteLine(Str($"checkpoint-100mb: run took {clock.ElapsedMilliseconds} ms"));
            var recorded = run.Split('\n').Count(l => l.StartsWith("Checkpoint ", StringComparison.Ordinal));
            var samples = File.ReadAllLines(times)
                .Where(l => l.Length > 0)
                .Select(l => long.Parse(l, CultureInfo.InvariantCulture) / 1e6)
                .ToList();
            if (recorded != count || samples.Count != count)
            {
                throw new InvalidOperationException(
                    $"{recorded} checkpoints recorded, {samples.Count} timed, expected {count}:\n{run}"
                );
            }

            CheckBig(repo, count, sizeMb);
            Console.WriteLine(
                "checkpoint-100mb: checkpoint times (ms): " + string.Join(' ', samples.Select(s => Str($"{s:F0}")))
            );
            var ours = Median(samples);

            // The baseline on the same file, from the page cache as the runner read it. Every copy is
            // kept until the end, as every checkpoint keeps its object: both sides leave N x 100 MiB
            // to write back.
            var model = Path.Combine(repo, "model.bin");
            var hashes = new List<double>();
            var copies = new List<double>();
            Proc.Run("sync", [], root);
            for (var i = 0; i < count; i++)
            {
                var copy = Path.Combine(root, Str($"model.copy{i}"));
                var hashClock = Stopwatch.StartNew();
                using (var stream = new FileStream(model, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
                {
                    SHA256.HashData(stream);
                }

                hashes.Add(hashClock.Elapsed.TotalMilliseconds);
                var copyClock = Stopwatch.StartNew();
                Proc.Run("cp", [model, copy], root);
                copies.Add(copyClock.Elapsed.TotalMilliseconds);
            }

            // The target is one cp of the file (issue 16): hashing while copying, never reading the file twice.
            var baseline = Median(copies);
            Console.WriteLine(
                Str(
                    $"checkpoint-100mb: checkpoint median {ours:F0} ms; baseline median {baseline:F0} ms (cp; SHA-256 alone {Median(hashes):F0} ms, ratio to SHA-256 + cp {ours / Median(hashes.Zip(copies, (h, c) => h + c).ToList()):F2})"
                )
            );
            var ratio = ours / baseline;
            return Summary.Report(
                "checkpoint-100mb",
                ours,
                baseline,
                ratio,
                Str($"<= {BigTargetRatio:F1}, baseline one cp of the file, medians of {count}"),
                ratio <= BigTargetRatio
            );
        }
        finally
        {
            if (!Options.Flag(args, "--keep"))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>N checkpoint commits, each naming a distinct cached object of the full size.</summary>
    private static void CheckBig(string repo, int count, int sizeMb)
    {
        var log = Proc.Git(repo, "log", "--format=%H", "--grep=^Exp-Checkpoint: ", "--all");
        var commits = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var shas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var commit in commits)
        {
            var lockText = Proc.Git(repo, "show", commit + ":exp.lock");
            // The out's entry: "- path: model.bin" followed by its "sha256:" line (deps have their own).
            var line = lockText
                .Split('\n')
                .SkipWhile(l => !l.TrimEnd().EndsWith("path: model.bin", StringComparison.Ordinal))
                .FirstOrDefault(l => l.Contains("sha256:", StringComparison.Ordinal));
            if (line is not null)
            {
                shas.Add(line.Split("sha256:", 2)[1].Trim());
            }
        }

        if (shas.Count < count)
        {
            throw new InvalidOperationException(
                $"{commits.Length} checkpoint commits name {shas.Count} distinct objects, expected {count}"
            );
        }

        foreach (var sha in shas)
        {
            var obj = Path.Combine(repo, ".exp", "cache", "sha256", sha[..2], sha[2..]);
            if (!File.Exists(obj) || new FileInfo(obj).Length != (long)sizeMb << 20)
            {
                throw new InvalidOperationException($"cache object {sha} is missing or not {sizeMb} MiB");
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Str(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
