using System.Globalization;

namespace GitExp.Bench;

/// <summary>
/// A second <c>dotnet exp run</c> with nothing to do, on a stage whose dep and out are directories of
/// 10,000 files (1 GiB each), against the tool's own start-up (<c>dotnet exp --version</c>).
/// </summary>
/// <remarks>
/// The dep directory <c>data/</c> is not in Git: <c>.gitignore</c> ignores it, as a data set usually is
/// (tracking 1 GiB would make the setup, not the tool, the slow part). The out <c>out/</c> is a cached
/// out, so it is ignored too and lives in the content cache.
/// </remarks>
internal static class NoopRunBench
{
    private const double TargetRatio = 3.0;

    public static int Run(string[] args)
    {
        var files = Options.Int(args, "--files", 10_000);
        var fileKb = Options.Int(args, "--file-kb", 100);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("noop");
        try
        {
            Console.WriteLine($"noop-run: writing {files} files of {fileKb} KiB to {repo}/data");
            CreateProject(repo, files, fileKb);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var first = tool.Run(repo, discardOutput: false, "run", "--name", "first");
            Console.WriteLine($"noop-run: first run (does the work) {clock.ElapsedMilliseconds} ms");
            if (!first.Contains("Running stage 'copy'", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the first run did not run the stage:\n" + first);
            }

            var second = tool.Run(repo, discardOutput: false, "run");
            if (
                second.Contains("Running stage", StringComparison.Ordinal)
                || !second.Contains("didn't change", StringComparison.Ordinal)
            )
            {
                throw new InvalidOperationException("the second run was not a no-op:\n" + second);
            }

            var ours = Timing.BestMs(3, () => tool.Run(repo, discardOutput: true, "run"));
            tool.Run(repo, discardOutput: true, "--version");
            var startup = Timing.BestMs(3, () => tool.Run(repo, discardOutput: true, "--version"));
            // For information: what listing and stat'ing the dep's and out's files costs outside the tool.
            var floor = Timing.BestMs(3, () => Proc.Run("find", ["data", "out", "-type", "f", "-printf", "%s %T@ %i\\n"], repo));
            return Summary.Report(
                "noop-run",
                ours,
                startup,
                ours / startup,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"ratio <= {TargetRatio:F1}, baseline start-up, --version; find -printf of the dep and out {floor:F0} ms"
                ),
                ours / startup <= TargetRatio
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
        File.WriteAllText(Path.Combine(repo, ".gitignore"), "/data/\n/out\n");
        File.WriteAllText(
            Path.Combine(repo, "exp.yaml"),
            """
            stages:
              copy:
                cmd: rm -rf out && cp -r data out
                deps: [data]
                outs: [out]
            """ + "\n"
        );
        var data = Path.Combine(repo, "data");
        var buffer = new byte[fileKb * 1024];
        for (var i = 0; i < files; i++)
        {
            // 100 folders of 100 files: a data set is rarely one flat folder of 10,000.
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
