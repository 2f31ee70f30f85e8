using System.Globalization;

namespace GitExp.Bench;

/// <summary>
/// <c>dotnet exp status</c> of a DVC project (dvc.yaml, dvc.lock, MD5) whose stage has a directory dep of
/// 10,000 files, against <c>md5sum</c> (one process, one core) over the same files.
/// </summary>
/// <remarks>
/// "First" status: the MD5 state table (<c>.exp/tmp/state-md5</c>) is deleted before each timing, so every
/// file is read and hashed; "second": the state table is kept, so only stats remain. Both read the files
/// from the page cache (warmed by the setup run and the baseline), as md5sum does.
/// </remarks>
internal static class DvcStatusBench
{
    private const double SecondTargetMs = 300;

    public static int Run(string[] args)
    {
        var files = Options.Int(args, "--files", 10_000);
        var fileKb = Options.Int(args, "--file-kb", 100);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("dvc-status");
        try
        {
            Console.WriteLine($"dvc-status: writing {files} files of {fileKb} KiB to {repo}/data");
            CreateProject(repo, files, fileKb);
            tool.Run(repo, discardOutput: false, "run", "--name", "first");
            var upToDate = tool.Run(repo, discardOutput: false, "status");
            if (!upToDate.Contains("Everything is up to date.", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("after the run the project is not up to date:\n" + upToDate);
            }

            if (!File.ReadAllText(Path.Combine(repo, "dvc.lock")).Contains("hash: md5", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the run did not write dvc.lock with MD5s");
            }

            var state = Path.Combine(repo, ".exp", "tmp", "state-md5");
            var loadBefore = Timing.LoadAverage();
            // Interleaved, md5sum then ours, three times: on a shared machine both sides meet the same load.
            var md5sum = new Measure();
            var first = new Measure();
            for (var i = 0; i < 3; i++)
            {
                md5sum.Time(() => Proc.Run("sh", ["-c", "find data -type f -print0 | xargs -0 md5sum > /dev/null"], repo));
                first.Time(() =>
                {
                    File.Delete(state);
                    tool.Run(repo, discardOutput: true, "status");
                });
            }

            tool.Run(repo, discardOutput: true, "status");
            var second = new Measure();
            for (var i = 0; i < 5; i++)
            {
                second.Time(() => tool.Run(repo, discardOutput: true, "status"));
            }

            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"dvc-status: second status (state table kept) {second.BestMs:F0} ms (target < {SecondTargetMs:F0} ms)"
                )
            );
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"dvc-status: CPU time (user+sys of the processes, best): first {first.BestCpuMs:F0} ms, md5sum {md5sum.BestCpuMs:F0} ms, second {second.BestCpuMs:F0} ms; load average {loadBefore} before, {Timing.LoadAverage()} after (information)"
                )
            );
            return Summary.Report(
                "dvc-status",
                first.BestMs,
                md5sum.BestMs,
                first.BestMs / md5sum.BestMs,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"first ≤ md5sum, ratio ≤ 1.00; second {second.BestMs:F0} ms < {SecondTargetMs:F0} ms"
                ),
                first.BestMs <= md5sum.BestMs && second.BestMs < SecondTargetMs
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

    private static void CreateProject(string repo, int files, int fileKb)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(Path.Combine(repo, ".gitignore"), "/data/\n/count.txt\n");
        File.WriteAllText(
            Path.Combine(repo, "dvc.yaml"),
            """
            stages:
              count:
                cmd: find data -type f | wc -l > count.txt
                deps: [data]
                outs: [count.txt]
            """ + "\n"
        );
        var data = Path.Combine(repo, "data");
        var buffer = new byte[fileKb * 1024];
        for (var i = 0; i < files; i++)
        {
            // 100 folders of 100 files, as in noop-run.
            var folder = Path.Combine(data, string.Create(CultureInfo.InvariantCulture, $"d{i / 100:D3}"));
            if (i % 100 == 0)
            {
                Directory.CreateDirectory(folder);
            }

            Random.Shared.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"f{i:D5}.bin")), buffer);
        }

        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "baseline");
    }
}
