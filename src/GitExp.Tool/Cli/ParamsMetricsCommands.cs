using System.CommandLine;
using System.Text.Json.Nodes;
using GitExp.Core.Experiments;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary>DVC's <c>params diff</c>, <c>metrics show</c> and <c>metrics diff</c>: <c>exp diff</c> and the values it reads, one kind at a time.</summary>
internal static class ParamsMetricsCommands
{
    public static Command Params(TextWriter output)
    {
        var command = new Command("params", "Compare params between revisions and experiments.");
        command.Subcommands.Add(
            ExperimentCommands.DiffCommand(output, "diff", "Compare the params of two experiments or revisions.", only: false)
        );
        return command;
    }

    public static Command Metrics(TextWriter output)
    {
        var command = new Command("metrics", "Show metrics, and compare them between revisions and experiments.");
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(
            ExperimentCommands.DiffCommand(output, "diff", "Compare the metrics of two experiments or revisions.", only: true)
        );
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var revs = new Option<string[]>("--rev")
        {
            Description = "Show the metrics of these experiments or revisions (repeatable; default the workspace).",
        };
        var targets = new Option<string[]>("--targets")
        {
            Description = "Only these metrics files (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var json = CommonOptions.Json();
        var md = CommonOptions.Markdown();
        var precision = CommonOptions.Precision();
        var width = CommonOptions.Width();
        var transpose = CommonOptions.Transpose();
        var command = new Command("show", "Print the metrics of the workspace, or of experiments and revisions.")
        {
            revs,
            targets,
            json,
            md,
            precision,
            width,
            transpose,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, json, md);
                var digits = CommonOptions.CheckPrecision(result.GetValue(precision));
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var files = CommonOptions.RepoPaths(project, result.GetValue(targets) ?? []);
                var revisions = result.GetValue(revs) is { Length: > 0 } given ? given : [ExperimentDiff.Workspace];
                var shown = new List<(string Rev, ValueRow Row)>();
                foreach (var rev in revisions)
                {
                    var values = await ExperimentDiff
                        .ValuesAsync(project, rev, cancellationToken, CommonOptions.Warn)
                        .ConfigureAwait(false);
                    shown.AddRange(
                        values.Where(v => v.IsMetric && (files.Count == 0 || files.Contains(v.File))).Select(v => (rev, v))
                    );
                }

                if (result.GetValue(json))
                {
                    var document = new JsonObject();
                    foreach (var rev in revisions)
                    {
                        var byFile = new JsonObject();
                        foreach (var (_, row) in shown.Where(s => s.Rev == rev))
                        {
                            if (byFile[row.File] is not JsonObject values)
                            {
                                values = new JsonObject();
                                byFile[row.File] = values;
                            }

                            values[row.Key] = row.Value?.DeepClone();
                        }

                        document[rev] = byFile;
                    }

                    JsonOutput.Write(output, document);
                    return 0;
                }

                if (shown.Count == 0)
                {
                    output.WriteLine(
                        "No metrics: the pipeline names no metrics file, or none exists yet (run the pipeline first)."
                    );
                    return 0;
                }

                var several = revisions.Length > 1 || revisions[0] != ExperimentDiff.Workspace;
                var header = several ? new[] { "Revision", "Path", "Key", "Value" } : new[] { "Path", "Key", "Value" };
                var cells = shown
                    .Select(s =>
                        (IReadOnlyList<string>)(
                            several
                                ? [s.Rev, s.Row.File, s.Row.Key, ValueFormat.Text(s.Row.Value, digits)]
                                : [s.Row.File, s.Row.Key, ValueFormat.Text(s.Row.Value, digits)]
                        )
                    )
                    .ToList();
                if (result.GetValue(md))
                {
                    TableWriter.Markdown(output, header, cells);
                }
                else
                {
                    // Key and value stay, then the revision, then the path (decision 0028).
                    var keyColumn = header.Length - 2;
                    var fit = CommonOptions.Fit(
                        result,
                        width,
                        transpose,
                        output,
                        several ? [2, 3, 0, 1] : [1, 2, 0],
                        required: 2,
                        nameColumn: keyColumn,
                        rowNoun: "metric",
                        hint: "--width, --transpose or --json"
                    );
                    TableWriter.Console(output, header, cells, rightAlignFrom: header.Length - 1, fit);
                }

                return 0;
            }
        );
        return command;
    }
}
