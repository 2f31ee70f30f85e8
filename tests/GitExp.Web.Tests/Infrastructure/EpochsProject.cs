using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A repo whose stage <c>train</c> prints <c>epoch N lr=X</c> for each of <c>train.epochs</c> (3) epochs, a
/// fifth of a second apart, and writes <c>acc = 1 - lr</c>; four runs of it: <c>base</c> (group
/// <c>baseline</c>), <c>sweep-a</c> and <c>sweep-b</c> (group <c>sweep</c>) and <c>plain</c> (no group).
/// A test can hold a run between epochs: see <see cref="Hold"/>.
/// </summary>
public sealed class EpochsProject : UiProject
{
    private string _gates = "";

    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        // Outside Git's view (.exp/tmp is ignored) and at a fixed place, so runs in isolated workspaces see it too.
        _gates = repo.FullPath(Path.Combine(".exp", "tmp", "gates"));
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n");
        repo.WriteFile(
            "train.sh",
            $$"""
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            epochs=$(awk '/^[[:space:]]+epochs:/ { print $2 }' params.yaml)
            gates='{{_gates}}'
            e=1
            while [ "$e" -le "$epochs" ]; do
              echo "epoch $e lr=$lr"
              sleep 0.2
              # A held run waits after each epoch but the last until the test releases it (at most a minute).
              if [ -f "$gates/$EXP_NAME.hold" ] && [ "$e" -lt "$epochs" ]; then
                waited=0
                while [ ! -f "$gates/$EXP_NAME.go$e" ]; do
                  sleep 0.1
                  waited=$((waited + 1))
                  if [ "$waited" -ge 600 ]; then echo "never released after epoch $e"; exit 9; fi
                done
              fi
              e=$((e + 1))
            done
            printf '{"acc": %s}\n' "$(awk -v lr="$lr" 'BEGIN { printf "%.4f", 1 - lr }')" > metrics.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [train.lr, train.epochs]
                metrics:
                  - metrics.json: {cache: false}

            """
        );
        await repo.CommitAllAsync("A stage that prints each epoch");
        foreach (
            var (name, lr, group) in new[]
            {
                ("base", "0.1", "baseline"),
                ("sweep-a", "0.2", "sweep"),
                ("sweep-b", "0.3", "sweep"),
            }
        )
        {
            await repo.ExpOkAsync("run", "-n", name, "-S", "train.lr=" + lr);
            await repo.ExpOkAsync("runs", "annotate", name, "--group", group);
        }

        await repo.ExpOkAsync("run", "-n", "plain", "-S", "train.lr=0.4");
        // The runs above changed the workspace's params.yaml: new runs from the UI start from lr 0.1 again.
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n");
    }

    /// <summary>Makes the run named <paramref name="name"/> wait after each epoch until <see cref="Release"/>.</summary>
    public void Hold(string name)
    {
        Directory.CreateDirectory(_gates);
        File.WriteAllText(Path.Combine(_gates, name + ".hold"), "");
    }

    /// <summary>Lets a held run go on past epoch <paramref name="epoch"/>.</summary>
    public void Release(string name, int epoch) =>
        File.WriteAllText(
            Path.Combine(_gates, name + ".go" + epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ""
        );
}
