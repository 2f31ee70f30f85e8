using GitExp.Core.Experiments;
using GitExp.Core.Project;

namespace GitExp.Bench;

/// <summary>
/// Recording an experiment in-process (<c>ExpProject.OpenAsync</c> + <c>ExperimentRecorder.RecordAsync</c>)
/// in a repo of 10,000 tracked files with 10 changed, against <c>git stash create</c> of the same change.
/// </summary>
internal static class RecordBench
{
    private const double TargetRatio = 2.0;

    public static async Task<int> Run(string[] args)
    {
        var files = Options.Int(args, "--files", 10_000);
        var changed = Options.Int(args, "--changed", 10);
        var repo = Proc.TempDir("record");
        try
        {
            Console.WriteLine($"record: {files} tracked files, {changed} changed, in {repo}");
            var baseline = CreateRepo(repo, files, changed);
            var refName = Experiment.RefFor(baseline, "bench");

            async Task Record()
            {
                var project = await ExpProject.OpenAsync(repo).ConfigureAwait(false);
                var (experiment, reason) = await new ExperimentRecorder(project)
                    .RecordAsync(baseline, "bench", null, overwrite: false, nameGiven: true)
                    .ConfigureAwait(false);
                if (experiment is null)
                {
                    throw new InvalidOperationException("nothing recorded: " + reason);
                }
            }

            var best = double.MaxValue;
            for (var i = 0; i < 6; i++) // the first is a warm-up (JIT)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await Record().ConfigureAwait(false);
                var elapsed = clock.Elapsed.TotalMilliseconds;
                best = i == 0 ? best : Math.Min(best, elapsed);
                Proc.Git(repo, "update-ref", "-d", refName);
            }

            Proc.Git(repo, "stash", "create"); // warm-up
            var stash = Timing.BestMs(5, () => Proc.Git(repo, "stash", "create"));
            var ratio = best / stash;
            return Summary.Report("record", best, stash, ratio, "<= 2.0, baseline git stash create", ratio <= TargetRatio);
        }
        finally
        {
            if (!Options.Flag(args, "--keep"))
            {
                Directory.Delete(repo, recursive: true);
            }
        }
    }

    private static string CreateRepo(string repo, int files, int changed)
    {
        Proc.InitRepo(repo);
        File.WriteAllText(Path.Combine(repo, "exp.yaml"), "stages:\n  train:\n    cmd: ./train.sh\n    deps: [src]\n");
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(repo, "src", $"m{i / 100:D3}");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, $"f{i:D5}.txt"), $"file {i}\n");
        }

        // Files written in the same second as the index are "racily clean" and re-hashed on every
        // command; waiting a second first keeps both sides from paying for that.
        Thread.Sleep(1100);
        Proc.Git(repo, "add", "-A");
        Proc.Git(repo, "commit", "-q", "-m", "baseline");
        for (var i = 0; i < changed; i++)
        {
            var index = i * (files / changed);
            File.AppendAllText(Path.Combine(repo, "src", $"m{index / 100:D3}", $"f{index:D5}.txt"), "changed\n");
        }

        return Proc.Git(repo, "rev-parse", "HEAD").Trim();
    }
}
