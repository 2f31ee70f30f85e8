using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Core.Diagnostics;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Plots;

/// <summary>
/// Gathers the plots of revisions as DVC's <c>plots show</c> and <c>plots diff</c> do: the stages' plots and the
/// top-level <c>plots</c> of the workspace's pipelines (or files named on the command line), their data read from
/// each revision's commit (one <c>git cat-file --batch</c>) or the workspace, and x and y resolved by DVC's rules.
/// </summary>
public static class PlotCollector
{
    private const string IndexField = "step";

    /// <summary>
    /// DVC's revisions for <c>plots diff</c>: none given compares HEAD (when tracked files changed) with the
    /// workspace, one is compared with the workspace; with <paramref name="experiment"/>, one experiment is compared
    /// with its baseline instead.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DiffRevisionsAsync(
        ExpProject project,
        IReadOnlyList<string> revisions,
        bool experiment,
        CancellationToken cancellationToken = default
    )
    {
        var revs = revisions.ToList();
        if (experiment && revs.Count == 1)
        {
            var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
            var all = await new ExperimentStore(project.Git).ListAsync(cancellationToken).ConfigureAwait(false);
            if (ExperimentStore.Match(all, revs[0], head) is { } found)
            {
                revs.Add(found.Baseline[..7]);
            }
        }

        if (revs.Count <= 1)
        {
            // A repository without commits has only the workspace (DVC's test_no_commits).
            if (
                revs.Count == 0
                && await project.Git.ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false) is not null
                && await project.Git.HasTrackedChangesAsync(cancellationToken).ConfigureAwait(false)
            )
            {
                revs.Add("HEAD");
            }

            revs.Add(ExperimentDiff.Workspace);
        }

        return revs;
    }

    /// <param name="revisions">Experiment names, Git revisions or "workspace", as the user wrote them.</param>
    /// <param name="targets">Only these plots (ids, patterns or paths); none: every plot of the pipelines.</param>
    /// <param name="overrides">Properties from the command line, over each definition's.</param>
    public static async Task<PlotsResult> CollectAsync(
        ExpProject project,
        IReadOnlyList<string> revisions,
        IReadOnlyList<PlotTarget> targets,
        PlotProps overrides,
        CancellationToken cancellationToken = default
    )
    {
        var head = revisions.Any(r => r != ExperimentDiff.Workspace)
            ? await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false)
            : "";
        var commits = await ExperimentDiff.ResolveCommitsAsync(project, revisions, head, cancellationToken).ConfigureAwait(false);
        PipelineIndex index;
        using (ExpTrace.Start("plots: load pipelines"))
        {
            index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        }

        var specs = Select(Definitions(index), targets, overrides);

        // Which files each revision has under the paths the plots name (a folder's files become plots of their own).
        // In commits, a path named like a plot file is read as one (a missing blob reads as null): only folders
        // cost a 'git ls-tree' per commit.
        var paths = specs
            .SelectMany(s => s.IsPath ? [s.Id] : DataFiles(s.Props).ToList())
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var folders = paths.Where(p => !PlotData.IsPlotFile(p)).ToList();
        var listings = await Task.WhenAll(
                commits.Select(commit =>
                    commit is null ? Task.FromResult<IReadOnlyList<string>>(ListWorkspace(project, paths))
                    : folders.Count == 0 ? Task.FromResult<IReadOnlyList<string>>([])
                    : project.Git.ListCommitFilesAsync(commit, folders, cancellationToken)
                )
            )
            .ConfigureAwait(false);
        var files = listings.Select(l => l.ToHashSet(StringComparer.Ordinal)).ToList();

        var plots = Expand(specs, files);
        Dictionary<string, byte[]?> data;
        using (ExpTrace.Start($"plots: read {plots.Count} plots of {commits.Count} revisions"))
        {
            data = Read(project, commits, files, plots);
        }

        using var drawing = ExpTrace.Start("plots: parse and resolve x and y");
        var problems = new List<PlotProblem>();
        var result = new List<Plot>();
        var parsed = new Dictionary<string, List<JsonObject>>();
        foreach (var plot in plots)
        {
            var drawn = Draw(plot, revisions, data, parsed, problems);
            if (drawn is not null)
            {
                result.Add(drawn);
            }
            else if (plot.Spec.Targeted && plot.Id == plot.Spec.Id)
            {
                // What the user named cannot be drawn at all; one file of a folder they named is only reported.
                var absent =
                    plot.Spec.IsPath
                    && Enumerable.Range(0, commits.Count).All(r => data.GetValueOrDefault(Key(r, plot.Id)) is null);
                throw new ExpException(
                    absent ? ExitCode.NotFound : ExitCode.InvalidProject,
                    absent
                        ? $"{plot.Spec.Target!.Typed}: no such plot file or plot in {string.Join(", ", revisions)}"
                        : problems.LastOrDefault(p => p.Id == plot.Id)?.ToString()
                            ?? $"{plot.Id}: no plot data in {string.Join(", ", revisions)}"
                );
            }
        }

        if (targets.FirstOrDefault(t => !plots.Any(p => p.Spec.Target == t)) is { } unmatched)
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"{unmatched.Typed}: no such plot file or plot in {string.Join(", ", revisions)}"
            );
        }

        return new PlotsResult(revisions, result, problems);
    }

    // A plot as defined: a data file or folder (IsPath), or a name whose y (and x) name the data files.
    private sealed record Spec(string Id, PlotProps Props, bool IsPath, bool Targeted, PlotTarget? Target);

    // One plot to draw: a spec, or one file of a folder spec.
    private sealed record Instance(string Id, Spec Spec);

    private static List<(string Id, PlotProps Props, bool IsPath)> Definitions(PipelineIndex index)
    {
        var result = new List<(string, PlotProps, bool)>();
        foreach (var pipeline in index.Pipelines)
        {
            // DVC collects the pipeline files' top-level plots before the stages' plots.
            result.AddRange(pipeline.Plots.Select(p => (p.Id, p.Props, !p.Props.NamesFiles)));
        }

        result.AddRange(
            index
                .Graph.Stages.SelectMany(s => s.Outs)
                .Where(o => o.Kind == OutKind.Plot)
                .Select(o => (o.Path, o.Plot ?? new PlotProps(), true))
        );
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. result.Where(d => seen.Add(d.Item1))];
    }

    private static List<Spec> Select(
        List<(string Id, PlotProps Props, bool IsPath)> definitions,
        IReadOnlyList<PlotTarget> targets,
        PlotProps overrides
    )
    {
        if (targets.Count == 0)
        {
            return [.. definitions.Select(d => new Spec(d.Id, overrides.Over(d.Props), d.IsPath, false, null))];
        }

        var specs = new List<Spec>();
        foreach (var target in targets)
        {
            var matched = false;
            foreach (var (id, props, isPath) in definitions)
            {
                // A file inside a folder plot is drawn alone, with the folder's properties.
                var chosen =
                    isPath && RepoPath.IsInside(target.Path, id) ? target.Path
                    : id == target.Path || (isPath && RepoPath.IsInside(id, target.Path)) || MatchesPattern(target.Typed, id) ? id
                    : null;
                if (chosen is not null && !specs.Any(s => s.Id == chosen))
                {
                    specs.Add(new Spec(chosen, overrides.Over(props), isPath, true, target));
                    matched = true;
                }
            }

            // DVC draws any data file named, plot or not.
            if (!matched && !specs.Any(s => s.Id == target.Path))
            {
                specs.Add(new Spec(target.Path, overrides, true, true, target));
            }
        }

        return specs;
    }

    // DVC matches targets as regular expressions anchored at the start of the plot id.
    private static bool MatchesPattern(string pattern, string id)
    {
        try
        {
            return Regex.IsMatch(id, "^(?:" + pattern + ")", RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static IEnumerable<string> DataFiles(PlotProps props) =>
        (props.Y ?? []).Concat(props.X ?? []).Where(f => f.File is not null).Select(f => f.File!);

    private static List<string> ListWorkspace(ExpProject project, IReadOnlyList<string> paths)
    {
        var result = new List<string>();
        foreach (var path in paths)
        {
            var full = project.FullPath(path);
            if (File.Exists(full))
            {
                result.Add(path);
            }
            else if (Directory.Exists(full))
            {
                result.AddRange(
                    Directory
                        .EnumerateFiles(full, "*", SearchOption.AllDirectories)
                        .Select(f => project.ToRepoPath(f))
                        .Where(f => !f.Split('/').Contains(".git"))
                );
            }
        }

        return result;
    }

    // Every plot id: a file spec as it is; a folder spec becomes its plot files (of any revision), sorted.
    private static List<Instance> Expand(List<Spec> specs, List<HashSet<string>> files)
    {
        var all = files.SelectMany(f => f).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var result = new List<Instance>();
        foreach (var spec in specs)
        {
            var inside = spec.IsPath
                ? all.Where(f => f != spec.Id && RepoPath.IsInside(f, spec.Id) && PlotData.IsPlotFile(f)).ToList()
                : [];
            if (inside.Count == 0)
            {
                result.Add(new Instance(spec.Id, spec));
                continue;
            }

            // A file a more specific definition names is drawn by that definition.
            result.AddRange(inside.Where(f => !specs.Any(s => s.Id == f)).Select(f => new Instance(f, spec)));
        }

        return result;
    }

    // The bytes of every (revision, file) the plots need; null when the revision lacks the file.
    private static Dictionary<string, byte[]?> Read(
        ExpProject project,
        IReadOnlyList<string?> commits,
        List<HashSet<string>> files,
        List<Instance> plots
    )
    {
        var needed = plots
            .SelectMany(p => p.Spec.IsPath ? [p.Id] : DataFiles(p.Spec.Props).ToList())
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var data = new Dictionary<string, byte[]?>();
        var requests = new List<string>();
        var names = new List<string>();
        for (var rev = 0; rev < commits.Count; rev++)
        {
            foreach (var file in needed)
            {
                if (!files[rev].Contains(file) && (commits[rev] is null || !PlotData.IsPlotFile(file)))
                {
                    data[Key(rev, file)] = null;
                }
                else if (commits[rev] is null)
                {
                    data[Key(rev, file)] = File.ReadAllBytes(project.FullPath(file));
                }
                else
                {
                    requests.Add(Key(rev, file));
                    names.Add(commits[rev] + ":" + file);
                }
            }
        }

        if (requests.Count > 0)
        {
            using var reader = project.Git.OpenObjectReader();
            reader.ReadEach(names, (i, blob) => data[requests[i]] = blob);
        }

        return data;
    }

    private static Plot? Draw(
        Instance plot,
        IReadOnlyList<string> revisions,
        Dictionary<string, byte[]?> data,
        Dictionary<string, List<JsonObject>> parsed,
        List<PlotProblem> problems
    )
    {
        var props = plot.Spec.Props;
        var template = props.Template ?? PlotTemplates.Default;
        if (!PlotTemplates.IsSupported(template))
        {
            problems.Add(new PlotProblem(plot.Id, null, PlotTemplates.Unsupported(template)));
            return null;
        }

        if (plot.Spec.IsPath && PlotData.IsImage(plot.Id))
        {
            var images = new List<PlotImage>();
            for (var rev = 0; rev < revisions.Count; rev++)
            {
                if (data[Key(rev, plot.Id)] is { } bytes)
                {
                    images.Add(new PlotImage(revisions[rev], plot.Id, bytes));
                }
                else
                {
                    problems.Add(new PlotProblem(plot.Id, revisions[rev], "no such file"));
                }
            }

            return images.Count > 0 ? new Plot(plot.Id, "image", props.Title, "", "", "", "", [], images) : null;
        }

        var series = new List<PlotSeries>();
        Resolved? fields = null;
        for (var rev = 0; rev < revisions.Count; rev++)
        {
            try
            {
                var drawn = Resolve(plot, props, file => Datapoints(rev, file, data, parsed, props));
                fields ??= drawn;
                series.AddRange(drawn.Series.Select(s => s with { Revision = revisions[rev] }));
            }
            catch (ExpException e)
            {
                // "file: ..." about the plot's own file says it once.
                var message = e.Message.StartsWith(plot.Id + ": ", StringComparison.Ordinal)
                    ? e.Message[(plot.Id.Length + 2)..]
                    : e.Message;
                problems.Add(new PlotProblem(plot.Id, revisions[rev], message));
            }
        }

        return series.Count > 0 && fields is { } f
            ? new Plot(plot.Id, template, props.Title, f.XField, f.YField, f.XLabel, f.YLabel, series, [])
            : null;
    }

    private static List<JsonObject> Datapoints(
        int rev,
        string file,
        Dictionary<string, byte[]?> data,
        Dictionary<string, List<JsonObject>> parsed,
        PlotProps props
    )
    {
        if (parsed.TryGetValue(Key(rev, file), out var points))
        {
            return points;
        }

        var bytes = data.GetValueOrDefault(Key(rev, file)) ?? throw new ExpException(ExitCode.NotFound, $"{file}: no such file");
        points = PlotData.Parse(file, bytes, props.Header ?? true);
        parsed[Key(rev, file)] = points;
        return points;
    }

    // Keys of the files read: value tuples as dictionary keys would cost the JIT time a short command does not have.
    private static string Key(int rev, string file) => string.Create(CultureInfo.InvariantCulture, $"{rev}:{file}");

    private sealed record Resolved(string XField, string YField, string XLabel, string YLabel, List<PlotSeries> Series);

    // DVC's VegaConverter: y inferred from the data when not set, x the index ("step") when not set, an x without a
    // file read from each y's file, several x files paired with the y files one to one.
    private static Resolved Resolve(Instance plot, PlotProps props, Func<string, List<JsonObject>> read)
    {
        var own = plot.Spec.IsPath ? plot.Id : null;
        var ys = new List<PlotField>();
        if (props.Y is null)
        {
            var first =
                read(own!).FirstOrDefault()
                ?? throw new ExpException(ExitCode.InvalidProject, $"{own}: no datapoints (a list of maps) in the file");
            ys.Add(new PlotField(own, first.Last().Key));
        }
        else
        {
            foreach (var y in props.Y)
            {
                var file =
                    y.File
                    ?? own
                    ?? throw new ExpException(
                        ExitCode.Usage,
                        $"y '{y.Field}' names no data file, and '{plot.Id}' is a plot name, not a file"
                    );
                ys.Add(new PlotField(file, y.Field));
            }
        }

        var xs = new List<PlotField>();
        if (props.X is { Count: > 0 } && props.X.All(x => x.File is null))
        {
            xs.AddRange(ys.Select(y => new PlotField(y.File, props.X[0].Field)));
        }
        else if (props.X is not null)
        {
            xs.AddRange(props.X.Select(x => new PlotField(x.File ?? own, x.Field)));
        }

        foreach (var axis in ys.Concat(xs))
        {
            var first = read(axis.File!).FirstOrDefault();
            if (first is not null && !first.ContainsKey(axis.Field))
            {
                throw new ExpException(
                    ExitCode.InvalidProject,
                    $"could not find field '{axis.Field}' in {axis.File} (its fields: {string.Join(", ", first.Select(p => p.Key))})"
                );
            }
        }

        if (xs.Count > 1 && xs.Count != ys.Count)
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                $"cannot pair {xs.Count} x data sources with {ys.Count} y data sources: give one x, or one per y"
            );
        }

        var xFields = xs.Select(x => x.Field).Distinct(StringComparer.Ordinal).ToList();
        var yFields = ys.Select(y => y.Field).Distinct(StringComparer.Ordinal).ToList();
        var series = new List<PlotSeries>();
        for (var i = 0; i < ys.Count; i++)
        {
            var yAxis = ys[i];
            var points = read(yAxis.File!);
            var y = new JsonNode?[points.Count];
            var x = new JsonNode?[points.Count];
            for (var n = 0; n < points.Count; n++)
            {
                y[n] = points[n][yAxis.Field];
            }

            if (xs.Count == 0)
            {
                for (var n = 0; n < points.Count; n++)
                {
                    x[n] = JsonValue.Create(n);
                }
            }
            else
            {
                var xAxis = xs.Count > 1 ? xs[i] : xs[0];
                var source = read(xAxis.File!);
                if (source.Count != points.Count)
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        $"cannot join '{xAxis.Field}' of {xAxis.File} ({source.Count} rows) with '{yAxis.Field}' of {yAxis.File} ({points.Count} rows): they need as many"
                    );
                }

                for (var n = 0; n < points.Count; n++)
                {
                    x[n] = source[n][xAxis.Field];
                }
            }

            series.Add(new PlotSeries("", yAxis.File!, yAxis.Field, x, y));
        }

        return new Resolved(
            xFields.Count > 1 ? "dvc_inferred_x_value" : xFields.FirstOrDefault() ?? IndexField,
            yFields.Count > 1 ? "dvc_inferred_y_value" : yFields[0],
            props.XLabel
                ?? (
                    xFields.Count == 0 ? IndexField
                    : xFields.Count == 1 ? xFields[0]
                    : "x"
                ),
            props.YLabel ?? (yFields.Count == 1 ? yFields[0] : "y"),
            series
        );
    }
}
