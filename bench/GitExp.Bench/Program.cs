using System.Diagnostics;
using System.Globalization;
using GitExp.Bench;
using GitExp.Core.Cache;

// Each subcommand measures one thing against a baseline run in the same process and exits 1
// when our side falls below its target ratio, so CI can run them as checks.
return args.Length == 0
    ? Usage()
    : args[0] switch
    {
        "hash" => HashBench.Run(args[1..]),
        "state" => StateBench.Run(args[1..]),
        "show" => ShowBench.Run(args[1..]),
        "show-10k" => Show10kBench.Run(args[1..]),
        "noop-run" => NoopRunBench.Run(args[1..]),
        "dvc-status" => DvcStatusBench.Run(args[1..]),
        "record" => RecordBench.Run(args[1..]).GetAwaiter().GetResult(),
        "queue-overhead" => QueueBench.Overhead(args[1..]),
        "queue-parallel" => QueueBench.Parallel(args[1..]),
        "slurm-overhead" => SlurmBench.Overhead(args[1..]),
        "checkpoint-show" => CheckpointBench.Show(args[1..]),
        "checkpoint-100mb" => CheckpointBench.Big(args[1..]),
        "ui-api" => UiBench.Api(args[1..]),
        "ui-page" => UiBench.Page(args[1..]),
        "ui-compare" => UiBench.Compare(args[1..]),
        "ui-run" => UiBench.RunPage(args[1..]),
        "runs-filter" => UiBench.RunsFilter(args[1..]),
        "plots-show" => PlotsBench.Run(args[1..]),
        "scheduler-idle" => SchedulerBench.Idle(args[1..]),
        "remote" => RemoteBench.Run(args[1..]),
        _ => Usage(),
    };

static int Usage()
{
    Console.Error.WriteLine(
        """
        usage: GitExp.Bench <benchmark> [options]
          hash      [--size-mb 1024]
          state     [--entries 10000]
          show      [--experiments 1000] [--tool PATH] [--keep]
          show-10k  [--experiments 10000] [--tool PATH] [--keep]
          noop-run  [--files 10000] [--file-kb 100] [--tool PATH] [--keep]
          dvc-status [--files 10000] [--file-kb 100] [--tool PATH] [--keep]
          record    [--files 10000] [--changed 10] [--keep]
          queue-overhead [--experiments 100] [--jobs 2] [--tool PATH] [--keep]
          queue-parallel [--experiments 40] [--jobs 4] [--tool PATH] [--keep]
          slurm-overhead [--experiments 20] [--jobs 2] [--tool PATH] [--keep]   (as root: brings up a one-node Slurm cluster)
          checkpoint-show [--checkpoints 200] [--tool PATH] [--keep]
          checkpoint-100mb [--size-mb 100] [--checkpoints 7] [--tool PATH] [--keep]
          ui-api | ui-page | ui-compare | ui-run | runs-filter  [--runs 10000] [--tool PATH] [--keep]
          plots-show [--experiments 10] [--steps 1000] [--tool PATH] [--keep]
          scheduler-idle [--schedules 100] [--seconds 25 | --minute] [--tool PATH] [--keep]
          remote    [--size-mb 256] [--files 1000] [--runs 3] [--tool PATH] [--keep]
        """
    );
    return 2;
}

/// <summary>FileHasher.HashFile against <c>openssl dgst -sha256</c> on the same file.</summary>
internal static class HashBench
{
    private const double TargetRatio = 0.9;

    public static int Run(string[] args)
    {
        var sizeMb = Options.Int(args, "--size-mb", 1024);
        var file = Path.Combine(Path.GetTempPath(), $"gitexp-bench-{Guid.NewGuid():N}.bin");
        try
        {
            Console.WriteLine($"writing {sizeMb} MiB of random data to {file}");
            WriteRandom(file, sizeMb);
            var bytes = (long)sizeMb << 20;

            string? opensslHash = null;
            // Both sides read the file from the page cache: it was just written.
            var openssl = Best(3, () => opensslHash = OpenSsl(file));
            string? ours = null;
            ours = FileHasher.HashFile(file); // warm-up: JIT, first touch
            var dotnet = Best(3, () => ours = FileHasher.HashFile(file));

            if (!string.Equals(opensslHash, ours, StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"hash mismatch: openssl {opensslHash}, ours {ours}");
                return 1;
            }

            var opensslRate = bytes / openssl.TotalSeconds / (1 << 20);
            var ourRate = bytes / dotnet.TotalSeconds / (1 << 20);
            var ratio = ourRate / opensslRate;
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"openssl dgst -sha256 : {openssl.TotalMilliseconds, 8:F0} ms  {opensslRate, 8:F0} MiB/s (best of 3)"
                )
            );
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"FileHasher.HashFile  : {dotnet.TotalMilliseconds, 8:F0} ms  {ourRate, 8:F0} MiB/s (best of 3)"
                )
            );
            Console.WriteLine(
                string.Create(CultureInfo.InvariantCulture, $"ratio (ours/openssl) : {ratio:F3} (target >= {TargetRatio})")
            );
            // The ratio is of throughputs (higher is better), unlike the time ratios of the other benchmarks.
            return Summary.Report(
                "hash",
                dotnet.TotalMilliseconds,
                openssl.TotalMilliseconds,
                ratio,
                string.Create(CultureInfo.InvariantCulture, $">= {TargetRatio} as throughput ours/openssl"),
                ratio >= TargetRatio
            );
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void WriteRandom(string file, int sizeMb)
    {
        var buffer = new byte[1 << 20];
        using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
        for (var i = 0; i < sizeMb; i++)
        {
            Random.Shared.NextBytes(buffer);
            stream.Write(buffer);
        }
    }

    private static string OpenSsl(string file)
    {
        var psi = new ProcessStartInfo("openssl", ["dgst", "-sha256", "-r", file]) { RedirectStandardOutput = true };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start openssl");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl exited with {process.ExitCode}");
        }

        // -r prints "<hex> *<file>", like sha256sum.
        return output.Split(' ', 2)[0].Trim();
    }

    private static TimeSpan Best(int runs, Action action)
    {
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            clock.Stop();
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }

        return best;
    }
}

/// <summary>Loading a state table of N entries; the target is a few milliseconds for 10,000.</summary>
internal static class StateBench
{
    private const double TargetMs = 20;

    public static int Run(string[] args)
    {
        var entries = Options.Int(args, "--entries", 10_000);
        var dir = Path.Combine(Path.GetTempPath(), $"gitexp-bench-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            var statePath = Path.Combine(dir, "state");
            var state = StateTable.Open(statePath);
            for (var i = 0; i < entries; i++)
            {
                var file = Path.Combine(dir, $"f{i:D6}");
                File.WriteAllText(file, i.ToString(CultureInfo.InvariantCulture));
                state.Set(file, FileHasher.HashFile(file));
            }

            state.Save();
            StateTable.Open(statePath); // warm-up
            var best = TimeSpan.MaxValue;
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                var loaded = StateTable.Open(statePath);
                clock.Stop();
                if (loaded.Count != entries)
                {
                    Console.Error.WriteLine($"loaded {loaded.Count} entries, expected {entries}");
                    return 1;
                }

                best = clock.Elapsed < best ? clock.Elapsed : best;
            }

            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"state table: {entries} entries, {new FileInfo(statePath).Length} bytes, load {best.TotalMilliseconds:F2} ms (best of 5, target < {TargetMs} ms)"
                )
            );
            return best.TotalMilliseconds < TargetMs ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
