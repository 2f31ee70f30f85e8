using System.Diagnostics;
using System.Globalization;

namespace GitExp.Bench;

/// <summary>
/// <c>plots-show</c>: the plots of 10 experiments, each with a 1,000-step history (step, loss, acc), drawn into one
/// HTML file by <c>dotnet exp plots diff exp-01 ... exp-10</c>. The experiments are made by real <c>dotnet exp run</c>s.
/// </summary>
internal static class PlotsBench
{
    private const double TargetMs = 500;

    public static int Run(string[] args)
    {
        var count = Options.Int(args, "--experiments", 10);
        var steps = Options.Int(args, "--steps", 1000);
        var tool = Tool.FromArgs(args);
        var repo = Proc.TempDir("plots-show");
        try
        {
            Console.WriteLine($"plots-show: {count} experiments x {steps} steps in {repo}; tool: {tool.Describe}");
            Proc.InitRepo(repo);
            File.WriteAllText(Path.Combine(repo, "params.yaml"), Str($"lr: 0.1\nsteps: {steps}\n"));
            File.WriteAllText(
                Path.Combine(repo, "train.sh"),
                """
                lr=$(sed -n 's/^lr: *//p' params.yaml)
                n=$(sed -n 's/^steps: *//p' params.yaml)
                mkdir -p plots
                awk -v lr="$lr" -v n="$n" 'BEGIN {
                  printf "["
                  for (i = 0; i < n; i++) printf "%s{\"step\": %d, \"loss\": %.6f, \"acc\": %.6f}", (i ? ", " : ""), i, 1 / (1 + lr * i), 1 - 1 / (1 + lr * i)
                  print "]"
                }' > plots/train.json

                """
            );
            File.WriteAllText(
                Path.Combine(repo, "exp.yaml"),
                """
                stages:
                  train:
                    cmd: sh train.sh
                    deps: [train.sh]
                    params: [lr, steps]
                    plots:
                      - plots/train.json: {x: step, y: loss}
                plots:
                  - Accuracy:
                      x: step
                      y: {plots/train.json: acc}

                """
            );
            Proc.Git(repo, "add", "-A");
            Proc.Git(repo, "commit", "-q", "-m", "baseline");
            var names = new List<string>();
            var clock = Stopwatch.StartNew();
            for (var i = 1; i <= count; i++)
            {
                var name = Str($"exp-{i:D2}");
                tool.Run(repo, discardOutput: true, "run", "-n", name, "-S", Str($"lr={0.01 * i:F2}"));
                names.Add(name);
            }

            Console.WriteLine(Str($"plots-show: {count} runs took {clock.Elapsed.TotalMilliseconds:F0} ms"));

            string[] command = ["plots", "diff", .. names, "-o", "plots-out"];
            var printed = tool.Run(repo, discardOutput: false, command);
            Check(repo, printed, names, steps);
            var ours = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, command));
            tool.Run(repo, discardOutput: true, "--version");
            var startup = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "--version"));
            // For information: the same experiments' params and metrics, which reads as many commits.
            tool.Run(repo, discardOutput: true, "show", "--json");
            var show = Timing.BestMs(5, () => tool.Run(repo, discardOutput: true, "show", "--json"));
            var size = new FileInfo(Path.Combine(repo, "plots-out", "index.html")).Length;
            Console.WriteLine(
                Str(
                    $"plots-show: plots diff of {count} experiments ({size / 1024} KiB of HTML) {ours:F0} ms; --version {startup:F0} ms; exp show --json {show:F0} ms (ratio {ours / show:F2}); best of 5"
                )
            );
            return Summary.Report(
                "plots-show",
                ours,
                startup,
                ours / startup,
                Str($"ours < {TargetMs:F0} ms; baseline --version"),
                ours < TargetMs
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

    // The page exists where the tool said, with both plots and a line of every experiment.
    private static void Check(string repo, string printed, List<string> names, int steps)
    {
        var page = Path.Combine(repo, "plots-out", "index.html");
        if (printed.Trim() != new Uri(page).AbsoluteUri)
        {
            throw new InvalidOperationException($"plots diff printed '{printed.Trim()}', expected the URI of {page}");
        }

        var html = File.ReadAllText(page);
        foreach (
            var needle in names
                .Select(n => $"\"label\":\"{n}\"")
                .Append("\"id\":\"Accuracy\"")
                .Append("\"id\":\"plots/train.json\"")
        )
        {
            if (!html.Contains(needle, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{page} lacks {needle}");
            }
        }

        if (!html.Contains(Str($",{steps - 1}]"), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{page}: the x axis does not end at step {steps - 1}");
        }
    }

    private static string Str(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
