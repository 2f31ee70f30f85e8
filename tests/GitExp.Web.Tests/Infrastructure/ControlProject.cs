using System.Diagnostics;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A one-stage project whose <c>train</c> logs a loss per step to <c>plots/loss.tsv</c> (three steps) and can be held
/// after each step (<see cref="Hold"/>), or made to fail (<see cref="FailRuns"/>): for live charts, terminate and retry.
/// </summary>
public sealed class ControlProject : UiProject
{
    private string _gates = "";

    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        // Inside .git: out of the workspace's view, and at one absolute path that isolated workspaces see too.
        _gates = repo.FullPath(Path.Combine(".git", "gates"));
        Directory.CreateDirectory(_gates);
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n");
        repo.WriteFile(
            "train.sh",
            $$"""
            #!/bin/sh
            set -e
            gates='{{_gates}}'
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            if [ -f "$gates/fail" ]; then echo "failing on purpose"; exit 3; fi
            mkdir -p plots
            printf 'step\tloss\n' > plots/loss.tsv
            for s in 0 1 2; do
              loss=$(awk -v lr="$lr" -v s="$s" 'BEGIN { printf "%.4f", lr * 10 / (s + 1) }')
              printf '%d\t%s\n' "$s" "$loss" >> plots/loss.tsv
              printf '{"loss": %s}\n' "$loss" > metrics.json
              echo "step $s loss $loss"
              if [ -f "$gates/$EXP_NAME.hold" ]; then
                touch "$gates/$EXP_NAME.$s.waiting"
                waited=0
                while [ ! -f "$gates/$EXP_NAME.$s.go" ]; do
                  sleep 0.1
                  waited=$((waited + 1))
                  if [ "$waited" -ge 600 ]; then echo "never released at $s"; exit 9; fi
                done
              fi
            done

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [train.lr]
                metrics:
                  - metrics.json: {cache: false}
                plots:
                  - plots/loss.tsv: {cache: false}

            """
        );
        await repo.CommitAllAsync("A training stage a test can hold after each step");
        await repo.ExpOkAsync("run", "-n", "first");
    }

    /// <summary>Makes the run named <paramref name="name"/> wait after each step until <see cref="Release"/>.</summary>
    public void Hold(string name) => File.WriteAllText(Path.Combine(_gates, name + ".hold"), "");

    /// <summary>Makes every run fail at its start while on.</summary>
    public void FailRuns(bool on)
    {
        var flag = Path.Combine(_gates, "fail");
        if (on)
        {
            File.WriteAllText(flag, "");
        }
        else
        {
            File.Delete(flag);
        }
    }

    /// <summary>Waits until the held run has logged <paramref name="step"/> (a minute at most).</summary>
    public async Task WaitUntilAtAsync(string name, int step)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(_gates, $"{name}.{step}.waiting")))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"run '{name}' did not reach step {step} within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Lets the held run go on after <paramref name="step"/>.</summary>
    public void Release(string name, int step) => File.WriteAllText(Path.Combine(_gates, $"{name}.{step}.go"), "");
}
