using System.Text.Json.Nodes;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// A two-stage project whose metrics and step histories are laid out as GitExp.Client's Live writes them
/// (<c>live/metrics.json</c>, one <c>live/plots/metrics/&lt;name&gt;.tsv</c> with a header <c>step&lt;tab&gt;name</c> per
/// name), with flat, dotted, slashed and nested keys, and a second stage whose <c>eval/metrics.json</c> has an
/// <c>acc</c> too. Each history has three steps: the metric's offset plus <c>lr × step</c>.
/// </summary>
public static class NestedMetricsProject
{
    /// <summary>Every metric with a history and its offset; <c>live/metrics.json:step</c> has none.</summary>
    public static readonly IReadOnlyDictionary<string, int> Offsets = new Dictionary<string, int>
    {
        ["eval/metrics.json:acc"] = 6,
        ["live/metrics.json:acc"] = 2,
        ["live/metrics.json:loss"] = 1,
        ["live/metrics.json:test.acc"] = 5, // nested in the JSON ({"test": {"acc"}}), logged as test/acc
        ["live/metrics.json:train.acc"] = 3, // Live.Log("train.acc")
        ["live/metrics.json:val/acc"] = 4, // Live.Log("val/acc")
    };

    /// <summary>Writes the project (params.yaml <c>lr: 0.1</c>) and commits it.</summary>
    public static async Task WriteAsync(TempGitRepo repo)
    {
        repo.WriteFile("params.yaml", "lr: 0.1\n");
        const string helpers = """
            #!/bin/sh
            set -e
            lr=$(awk '/^lr:/ { print $2 }' params.yaml)
            # history FILE NAME OFFSET: three steps of a Live history
            history() {
              mkdir -p "$(dirname "$1")"
              awk -v lr="$lr" -v k="$3" -v name="$2" 'BEGIN { print "step\t" name; for (s = 1; s <= 3; s++) printf "%d\t%.4f\n", s, k + lr * s }' > "$1"
            }
            last() { awk -v lr="$lr" -v k="$1" 'BEGIN { printf "%.4f", k + lr * 3 }'; }

            """;
        repo.WriteFile(
            "train.sh",
            helpers
                + """
                history live/plots/metrics/loss.tsv loss 1
                history live/plots/metrics/acc.tsv acc 2
                history live/plots/metrics/train.acc.tsv train.acc 3
                history live/plots/metrics/val/acc.tsv val/acc 4
                history live/plots/metrics/test/acc.tsv test/acc 5
                printf '{"step": 3, "loss": %s, "acc": %s, "train.acc": %s, "val/acc": %s, "test": {"acc": %s}}\n' \
                  "$(last 1)" "$(last 2)" "$(last 3)" "$(last 4)" "$(last 5)" > live/metrics.json

                """
        );
        repo.WriteFile(
            "eval.sh",
            helpers
                + """
                history eval/plots/acc.tsv acc 6
                printf '{"acc": %s}\n' "$(last 6)" > eval/metrics.json

                """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              train:
                cmd: sh train.sh
                deps: [train.sh]
                params: [lr]
                metrics:
                  - live/metrics.json: {cache: false}
                plots:
                  - live/plots: {cache: false}
              eval:
                cmd: sh eval.sh
                deps: [eval.sh]
                params: [lr]
                metrics:
                  - eval/metrics.json: {cache: false}
                plots:
                  - eval/plots/acc.tsv: {cache: false}

            """
        );
        await repo.CommitAllAsync("Metrics logged per step under nested names");
    }

    /// <summary>The history a run with <paramref name="lr"/> records for a metric, as JSON: <c>[[1, v], [2, v], [3, v]]</c>.</summary>
    public static string History(double lr, string metricKey) =>
        new JsonArray(
            Enumerable.Range(1, 3).Select(s => (JsonNode)new JsonArray(s, Math.Round(Offsets[metricKey] + (lr * s), 4))).ToArray()
        ).ToJsonString();
}
