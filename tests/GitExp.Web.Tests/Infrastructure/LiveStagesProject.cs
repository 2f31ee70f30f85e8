using System.Diagnostics;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A repo with a two-stage pipeline (prepare → train) and no runs yet. A test can hold a run at the start of
/// each stage and let each go on in turn: see <see cref="Hold"/>.
/// </summary>
public sealed class LiveStagesProject : UiProject
{
    private string _gates = "";

    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        // Inside .git: out of the workspace's view, and at one absolute path that isolated workspaces see too.
        _gates = repo.FullPath(Path.Combine(".git", "gates"));
        Directory.CreateDirectory(_gates);
        repo.WriteFile(
            "gate.sh",
            $$"""
            #!/bin/sh
            # gate.sh STAGE: in a held run, says it is at STAGE and waits (a minute at most) until the test lets it go.
            gates='{{_gates}}'
            if [ -f "$gates/$EXP_NAME.hold" ]; then
              touch "$gates/$EXP_NAME.$1.waiting"
              waited=0
              while [ ! -f "$gates/$EXP_NAME.$1.go" ]; do
                sleep 0.1
                waited=$((waited + 1))
                if [ "$waited" -ge 600 ]; then echo "never released at $1"; exit 9; fi
              done
            fi
            echo "$1 done"

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              prepare:
                cmd: sh gate.sh prepare && mkdir -p data && seq 1 3 > data/rows.txt
                deps: [gate.sh]
                outs: [data/rows.txt]
              train:
                cmd: sh gate.sh train && wc -l < data/rows.txt > model.txt
                deps: [gate.sh, data/rows.txt]
                outs: [model.txt]

            """
        );
        await repo.CommitAllAsync("Two stages a test can hold");
    }

    /// <summary>Makes the run named <paramref name="name"/> wait at the start of each stage until <see cref="Release"/>.</summary>
    public void Hold(string name) => File.WriteAllText(Path.Combine(_gates, name + ".hold"), "");

    /// <summary>Waits until the held run is at <paramref name="stage"/> (a minute at most).</summary>
    public async Task WaitUntilAtAsync(string name, string stage)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(_gates, $"{name}.{stage}.waiting")))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"run '{name}' did not reach stage '{stage}' within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Lets the held run go on with <paramref name="stage"/>.</summary>
    public void Release(string name, string stage) => File.WriteAllText(Path.Combine(_gates, $"{name}.{stage}.go"), "");
}
