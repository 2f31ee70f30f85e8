using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Web.Tests.Infrastructure;

/// <summary>
/// A repo whose stage <c>train</c> writes a tiny PNG, an HTML report (with a script), a CSV, a cached
/// directory out <c>model/</c> and <c>secret.txt</c>; one run <c>art</c> of it; and a stage <c>slow</c>
/// that prints a line every half second, for following a log live.
/// </summary>
public sealed class ActionsProject : UiProject
{
    /// <summary>A 1×1 red PNG.</summary>
    public const string PngBase64 =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    protected override async Task PrepareAsync(TempGitRepo repo)
    {
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n  optimizer: sgd\n");
        repo.WriteFile(
            "train.sh",
            $$"""
            #!/bin/sh
            set -e
            lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
            printf '%s' '{{PngBase64}}' | base64 -d > dot.png
            printf '<h1 id="r">Report</h1><script>parent.alert(1)</script>\n' > report.html
            printf 'epoch,loss\n1,0.5\n2,0.25\n' > loss.csv
            printf 'top secret\n' > secret.txt
            mkdir -p model
            printf 'weights lr=%s\n' "$lr" > model/weights.txt
            printf '{"layers": 2}\n' > model/config.json
            printf '{"acc": 0.9}\n' > metrics.json
            echo "trained with lr=$lr"

            """
        );
        repo.WriteFile(
            "slow.sh",
            """
            #!/bin/sh
            for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.5; done

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [train.lr, train.epochs, train.optimizer]
                outs: [dot.png, report.html, secret.txt, model]
                metrics:
                  - metrics.json: {cache: false}
                plots:
                  - loss.csv: {cache: false}
              slow:
                cmd: sh slow.sh
                deps: [slow.sh]
                always_changed: true

            """
        );
        await repo.CommitAllAsync("A stage that writes artifacts and one that is slow");
        await repo.ExpOkAsync("run", "-n", "art", "train");
    }
}
