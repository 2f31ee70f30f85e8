using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Diagnostics;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Plots;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary>DVC's <c>plots show</c> and <c>plots diff</c>: the pipeline's plots of revisions and experiments in one HTML file.</summary>
internal static class PlotsCommands
{
    // DVC's default output folder: users' ignore rules and habits carry over.
    private const string DefaultOut = "dvc_plots";

    public static Command Create(TextWriter output)
    {
        var command = new Command("plots", "Draw the pipeline's plots of the workspace, revisions and experiments.");
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(Diff(output));
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var targets = new Argument<string[]>("targets")
        {
            Description = "Plot files or plot names of the pipelines (default: every plot).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var options = new PlotOptions();
        var command = new Command("show", "Draw the workspace's plots into an HTML file and print its location.") { targets };
        options.AddTo(command);
        command.SetAction(
            async (result, cancellationToken) =>
            {
                options.Check(result);
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                return await RenderAsync(
                        output,
                        result,
                        options,
                        project,
                        [ExperimentDiff.Workspace],
                        result.GetValue(targets) ?? [],
                        cancellationToken
                    )
                    .ConfigureAwait(false);
            }
        );
        return command;
    }

    private static Command Diff(TextWriter output)
    {
        var revisions = new Argument<string[]>("revisions")
        {
            Description =
                "Experiments or Git revisions to draw together (default: HEAD when tracked files changed, and the workspace; one: it and the workspace).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var targets = new Option<string[]>("--targets")
        {
            Description = "Only these plot files or plot names (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var experiment = new Option<bool>("--experiment", "-e")
        {
            Description = "With one experiment: draw it with its baseline instead of the workspace.",
        };
        var options = new PlotOptions();
        var command = new Command("diff", "Draw the plots of several revisions and experiments over each other.")
        {
            revisions,
            targets,
            experiment,
        };
        options.AddTo(command);
        command.SetAction(
            async (result, cancellationToken) =>
            {
                options.Check(result);
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var revs = await PlotCollector
                    .DiffRevisionsAsync(project, result.GetValue(revisions) ?? [], result.GetValue(experiment), cancellationToken)
                    .ConfigureAwait(false);
                return await RenderAsync(
                        output,
                        result,
                        options,
                        project,
                        revs,
                        result.GetValue(targets) ?? [],
                        cancellationToken
                    )
                    .ConfigureAwait(false);
            }
        );
        return command;
    }

    private static async Task<int> RenderAsync(
        TextWriter output,
        ParseResult result,
        PlotOptions options,
        GitExp.Core.Project.ExpProject project,
        IReadOnlyList<string> revisions,
        IReadOnlyList<string> targets,
        CancellationToken cancellationToken
    )
    {
        var plots = await PlotCollector
            .CollectAsync(
                project,
                revisions,
                [.. targets.Select(t => new PlotTarget(t, project.ToRepoPath(Path.GetFullPath(t))))],
                options.Props(result),
                cancellationToken
            )
            .ConfigureAwait(false);
        foreach (var problem in plots.Problems)
        {
            CommonOptions.Warn(problem.ToString());
        }

        if (result.GetValue(options.Json))
        {
            JsonOutput.Write(output, Json(plots));
            return 0;
        }

        if (plots.Plots.Count == 0)
        {
            Console.Error.WriteLine("No plots were loaded: no HTML file was written.");
            return 0;
        }

        var folder = Path.GetFullPath(result.GetValue(options.Out) ?? DefaultOut);
        var file = Path.Combine(folder, "index.html");
        if (File.Exists(folder))
        {
            throw new ExpException(ExitCode.Usage, $"--out '{folder}' is a file: expected a folder to write index.html to");
        }

        Directory.CreateDirectory(folder);
        // Written beside its final name and moved over it: a reader never sees half a page, a failure leaves none.
        var temp = Path.Combine(folder, $".index.html.{Environment.ProcessId}.tmp");
        try
        {
            using (ExpTrace.Start("plots: write " + file))
            using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
            {
                PlotsHtml.Write(writer, plots);
            }

            File.Move(temp, file, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        var uri = new Uri(file).AbsoluteUri;
        output.WriteLine(uri);
        if (result.GetValue(options.Open))
        {
            try
            {
                using var browser = Process.Start(new ProcessStartInfo(file) { UseShellExecute = true });
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                throw new ExpException(
                    ExitCode.StageFailed,
                    $"could not open {uri} ({e.Message}): open it in a browser yourself"
                );
            }
        }

        return 0;
    }

    // DVC's 'plots show --json' document: {"data": {id: [plot]}, "errors": [...]}, with each plot's datapoints
    // (rev, filename, field and the x and y values) instead of a Vega specification.
    private static JsonObject Json(PlotsResult plots)
    {
        var data = new JsonObject();
        foreach (var plot in plots.Plots)
        {
            var entries = new JsonArray();
            if (plot.IsImage)
            {
                foreach (var image in plot.Images)
                {
                    entries.Add(
                        new JsonObject
                        {
                            ["type"] = "image",
                            ["revisions"] = new JsonArray(image.Revision),
                            ["url"] = $"data:{PlotsHtml.MediaType(image.File)};base64,{Convert.ToBase64String(image.Content)}",
                        }
                    );
                }
            }
            else
            {
                var points = new JsonArray();
                foreach (var series in plot.Series)
                {
                    for (var i = 0; i < series.Y.Count; i++)
                    {
                        var point = new JsonObject { [plot.XField] = series.X[i]?.DeepClone() };
                        point[plot.YField] = series.Y[i]?.DeepClone();
                        point["rev"] = series.Revision;
                        point["filename"] = series.File;
                        point["field"] = series.Field;
                        points.Add(point);
                    }
                }

                entries.Add(
                    new JsonObject
                    {
                        ["type"] = "vega",
                        ["revisions"] = new JsonArray([.. plot.Revisions.Select(r => (JsonNode)r)]),
                        ["template"] = plot.Template,
                        ["title"] = plot.Title ?? plot.Id,
                        ["x"] = plot.XField,
                        ["y"] = plot.YField,
                        ["x_label"] = plot.XLabel,
                        ["y_label"] = plot.YLabel,
                        ["datapoints"] = points,
                    }
                );
            }

            data[plot.Id] = entries;
        }

        var document = new JsonObject();
        if (plots.Problems.Count > 0)
        {
            document["errors"] = new JsonArray([
                .. plots.Problems.Select(p =>
                    (JsonNode)
                        new JsonObject
                        {
                            ["name"] = p.Id,
                            ["rev"] = p.Revision,
                            ["msg"] = p.Message,
                        }
                ),
            ]);
        }

        document["data"] = data;
        return document;
    }

    /// <summary>The options <c>plots show</c> and <c>plots diff</c> share: DVC's plot properties and outputs.</summary>
    private sealed class PlotOptions
    {
        public Option<string?> Template { get; } =
            new("--template", "-t")
            {
                Description =
                    $"How to draw the plots: {string.Join(", ", PlotTemplates.Supported)} (default: the plot's own, else linear).",
            };

        public Option<string?> X { get; } =
            new("-x") { Description = "Field for the x axis (default: the row's index, 'step')." };

        public Option<string?> Y { get; } =
            new("-y") { Description = "Field for the y axis (default: the last field of the data)." };

        public Option<bool> NoHeader { get; } =
            new("--no-header") { Description = "CSV and TSV files have no header row (their columns are 0, 1, ...)." };

        public Option<string?> Title { get; } = new("--title") { Description = "Title of the plots." };

        public Option<string?> XLabel { get; } = new("--x-label") { Description = "Label of the x axis." };

        public Option<string?> YLabel { get; } = new("--y-label") { Description = "Label of the y axis." };

        public Option<string?> Out { get; } =
            new("--out", "-o") { Description = $"Folder to write index.html to (default: {DefaultOut})." };

        public Option<bool> Open { get; } = new("--open") { Description = "Open the HTML file in the default browser." };

        public Option<bool> Json { get; } =
            new("--json") { Description = "Print the plots' data as JSON instead of writing the HTML file." };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Template, X, Y, NoHeader, Title, XLabel, YLabel, Out, Open, Json })
            {
                command.Options.Add(option);
            }
        }

        public void Check(ParseResult result)
        {
            if (result.GetValue(Template) is { } template && !PlotTemplates.IsSupported(template))
            {
                throw new ExpException(ExitCode.Usage, $"--template '{template}': {PlotTemplates.Unsupported(template)}");
            }

            if (result.GetValue(Json) && result.GetValue(Open))
            {
                throw new ExpException(ExitCode.Usage, "--json and --open cannot be used together: --json writes no HTML file");
            }
        }

        public PlotProps Props(ParseResult result) =>
            new()
            {
                Template = result.GetValue(Template),
                Title = result.GetValue(Title),
                XLabel = result.GetValue(XLabel),
                YLabel = result.GetValue(YLabel),
                X = result.GetValue(X) is { } x ? [new PlotField(null, x)] : null,
                Y = result.GetValue(Y) is { } y ? [new PlotField(null, y)] : null,
                Header = result.GetValue(NoHeader) ? false : null,
            };
    }
}
