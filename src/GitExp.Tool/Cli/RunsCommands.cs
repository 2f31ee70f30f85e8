using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Queue;
using GitExp.Core.Tracking;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp runs ...</c>: the run store (.exp/runs.db): list, inspect, annotate, clone.</summary>
internal static class RunsCommands
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("runs", "Every run recorded in .exp/runs.db: list, filter, annotate, archive, clone.");
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(Annotate(output));
        command.Subcommands.Add(Bookmark(output));
        command.Subcommands.Add(
            Flag(
                output,
                "archive",
                "Hide runs from the default list (see them with 'runs list --archived').",
                (edits, ids) => edits.Archive(ids)
            )
        );
        command.Subcommands.Add(
            Flag(output, "restore", "Bring archived or deleted runs back.", (edits, ids) => edits.Restore(ids))
        );
        command.Subcommands.Add(
            Flag(
                output,
                "delete",
                "Delete runs (soft: 'runs restore' brings them back until 'runs purge').",
                (edits, ids) => edits.Delete(ids)
            )
        );
        command.Subcommands.Add(Purge(output));
        command.Subcommands.Add(Clone(output));
        command.Subcommands.Add(Reindex(output));
        return command;
    }

    private static Command List(TextWriter output)
    {
        var filter = new Option<string?>("--filter")
        {
            Description = "A filter such as \"metrics.acc > 0.9 and status = succeeded\".",
        };
        var sort = new Option<string?>("--sort")
        {
            Description =
                "Sort by a field: created (default), name, title, id, status, duration, group, tags, commit, or metrics.<key> / params.<key>.",
        };
        var order = new Option<string>("--sort-order") { Description = "asc or desc.", DefaultValueFactory = _ => "desc" };
        order.AcceptOnlyFromAmong("asc", "desc");
        var group = new Option<string?>("--group") { Description = "Only runs of this group." };
        var archived = new Option<bool>("--archived") { Description = "List archived runs instead." };
        var json = CommonOptions.Json();
        var csv = CommonOptions.Csv();
        var width = CommonOptions.Width();
        var transpose = CommonOptions.Transpose();
        var limit = new Option<int?>("--limit", "-n")
        {
            Description = "List at most N runs (default on a terminal: what fits the screen).",
        };
        var all = CommonOptions.AllRows("run");
        var noPager = CommonOptions.NoPager();
        var command = new Command("list", "List runs, bookmarked first, newest first.")
        {
            width,
            transpose,
            limit,
            all,
            noPager,
            filter,
            sort,
            order,
            group,
            archived,
            json,
            csv,
        };
        command.Aliases.Add("ls");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, json, csv);
                var console = !result.GetValue(json) && !result.GetValue(csv);
                var rowLimit = CommonOptions.RowLimit(result, limit, all, console, output, height => height - Screen.Reserved);
                var query = new RunQuery
                {
                    Archived = result.GetValue(archived),
                    Group = result.GetValue(group),
                    Filter = result.GetValue(filter) is { } text ? RunFilter.Parse(text) : null,
                    Sort = RunSort.Parse(result.GetValue(sort), result.GetValue(order) == "desc"),
                };
                var sqlite = Task.Run(RunStore.Preload, cancellationToken);
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                await sqlite.ConfigureAwait(false);
                using var store = OpenStore(project);
                // Filtered and sorted in SQL.
                if (result.GetValue(json))
                {
                    JsonOutput.Write(
                        output,
                        writer =>
                        {
                            writer.WriteStartArray();
                            // One run at a time, from the store to the output; the store is read on another
                            // thread meanwhile, a few runs ahead.
                            foreach (var run in ReadAhead(store.Each(query).Take(rowLimit ?? int.MaxValue), capacity: 64))
                            {
                                RunJson.Write(writer, run);
                                if (writer.BytesPending > 1 << 16)
                                {
                                    writer.Flush();
                                }
                            }

                            writer.WriteEndArray();
                        }
                    );
                    return 0;
                }

                // The table and CSV show no params, so they are not read. A limit reads only the runs shown, and counts all.
                var (runs, total) = rowLimit is { } n
                    ? store.Page(query, 0, n, RunParts.Metrics) is var page
                        ? (page.Runs, page.Total)
                        : default
                    : store.Find(query, RunParts.Metrics) is var found
                        ? (found, found.Count)
                        : default;
                var metricKeys = runs.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).Take(8).ToList();
                var header = new List<string> { "Id", "Name", "Status", "Created", "Duration", "Title" };
                header.AddRange(metricKeys.Select(ShortKey));
                var rows = runs.Select(r =>
                        (IReadOnlyList<string>)
                            new List<string>
                            {
                                (r.Bookmarked ? "* " : "") + r.Id,
                                r.ExperimentName ?? "-",
                                r.Status.ToString(),
                                ValueFormat.Time(r.Created),
                                r.Duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "-",
                                r.Title ?? "",
                            }
                                .Concat(
                                    metricKeys.Select(k =>
                                        r.Metrics.TryGetValue(k, out var m) ? ValueFormat.Text(m.Last, 5) : "-"
                                    )
                                )
                                .ToList()
                    )
                    .ToList();
                if (result.GetValue(csv))
                {
                    TableWriter.Csv(output, header, rows);
                }
                else if (rows.Count == 0)
                {
                    output.WriteLine(
                        "No runs match."
                            + (
                                !store.HasRuns()
                                    ? " Runs are recorded by 'dotnet exp run'; 'dotnet exp runs reindex' adds the experiments already in Git."
                                    : ""
                            )
                    );
                }
                else
                {
                    // Id, Name and Status stay, then the metrics, Title, Duration and Created (decision 0028).
                    var fit = CommonOptions.Fit(
                        result,
                        width,
                        transpose,
                        output,
                        [0, 1, 2, .. Enumerable.Range(6, metricKeys.Count), 5, 4, 3],
                        required: 3,
                        nameColumn: 0,
                        rowNoun: "run",
                        hint: "--width, --transpose or --json"
                    );
                    Screen.Write(
                        output,
                        paged: !result.GetValue(noPager),
                        text =>
                        {
                            TableWriter.Console(text, header, rows, rightAlignFrom: 6, fit);
                            if (total > rows.Count)
                            {
                                text.WriteLine(Screen.MoreLine(total - rows.Count, "run", null, "-n N or --all"));
                            }
                        }
                    );
                }

                return 0;
            }
        );
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "Run id (or a unique prefix)." };
        var json = CommonOptions.Json();
        var command = new Command("show", "Everything recorded about one run.") { id, json };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                using var store = OpenStore(project);
                var run = new RunEdits(store).Find(result.GetValue(id)!);
                if (result.GetValue(json))
                {
                    var document = RunJson.Node(run);
                    var histories = new JsonObject();
                    foreach (var key in run.Metrics.Keys)
                    {
                        var points = store.MetricHistory(run, key);
                        if (points.Count > 0)
                        {
                            histories[key] = new JsonArray(
                                points.Select(p => (JsonNode)new JsonArray(p.Step, p.Value)).ToArray()
                            );
                        }
                    }

                    document["history"] = histories;
                    JsonOutput.Write(output, document);
                    return 0;
                }

                output.WriteLine(
                    $"Run {run.Id}{(run.Bookmarked ? " (bookmarked)" : "")}{(run.Archived ? " (archived)" : "")}{(run.Deleted ? " (deleted)" : "")}"
                );
                foreach (
                    var (label, value) in new (string, string?)[]
                    {
                        ("Title", run.Title),
                        ("Experiment", run.ExperimentName),
                        ("Ref", run.ExperimentRef),
                        ("Commit", run.Commit),
                        ("Baseline", run.Baseline),
                        ("Branch", run.Branch),
                        ("Status", run.Status.ToString()),
                        ("Resumed", run.ResumedFrom is { } resumed ? $"from run {resumed}" : null),
                        ("Exit code", run.ExitCode?.ToString(CultureInfo.InvariantCulture)),
                        ("Kind", run.Kind),
                        ("User", run.GitUser),
                        ("Host", run.Host),
                        ("Command", run.Command),
                        ("Created", ValueFormat.Time(run.Created)),
                        (
                            "Duration",
                            run.Duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : null
                        ),
                        ("Group", run.Group),
                        ("Schedule", run.Schedule),
                        ("Tags", run.Tags.Count > 0 ? string.Join(", ", run.Tags) : null),
                        ("Notes", run.Notes),
                        ("Log", run.LogPath),
                    }
                )
                {
                    if (!string.IsNullOrEmpty(value))
                    {
                        output.WriteLine($"  {label + ":", -12}{value}");
                    }
                }

                if (run.Params.Count > 0)
                {
                    output.WriteLine("Params:");
                    foreach (var (key, value) in run.Params)
                    {
                        output.WriteLine($"  {key} = {ValueFormat.Text(value, 17)}");
                    }
                }

                if (run.Metrics.Count > 0)
                {
                    output.WriteLine("Metrics (last, min, max):");
                    foreach (var (key, m) in run.Metrics)
                    {
                        output.WriteLine(
                            $"  {key} = {ValueFormat.Text(m.Last, 5)}  ({ValueFormat.Change(m.Min, 5).TrimStart('+')}, {ValueFormat.Change(m.Max, 5).TrimStart('+')})"
                        );
                    }
                }

                if (run.Artifacts.Count > 0)
                {
                    output.WriteLine("Artifacts:");
                    foreach (var artifact in run.Artifacts)
                    {
                        output.WriteLine($"  {artifact.Path} ({artifact.Kind}, {artifact.Size} bytes, {artifact.Sha256[..12]})");
                    }
                }

                if (run.Executions.Count > 0)
                {
                    output.WriteLine("Executions:");
                    foreach (var e in run.Executions)
                    {
                        if (e.Status == ExecutionRecord.Running)
                        {
                            output.WriteLine($"  {e.Stage} {e.Status} (since {ValueFormat.Time(e.Started)})");
                            continue;
                        }

                        var seconds = (e.DurationMs / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
                        output.WriteLine(
                            $"  {e.Stage} {e.Status} {seconds} s{(e.CacheHit ? " (cache hit)" : "")}{(e.ExitCode is { } code ? $" (exit code {code})" : "")}"
                        );
                    }
                }

                if (run.Checkpoints.Count > 0)
                {
                    output.WriteLine(
                        $"Checkpoints: {run.Checkpoints.Count} (steps {run.Checkpoints[0].Step}–{run.Checkpoints[^1].Step})"
                    );
                }

                return 0;
            }
        );
        return command;
    }

    private static Command Annotate(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "Run id (or a unique prefix)." };
        var title = new Option<string?>("--title") { Description = "A short title ('' clears it)." };
        var note = new Option<string?>("--note") { Description = "Notes (replaces the notes; '' clears them)." };
        var tag = new Option<string[]>("--tag") { Description = "Add a tag (repeatable)." };
        var untag = new Option<string[]>("--untag") { Description = "Remove a tag (repeatable)." };
        var group = new Option<string?>("--group")
        {
            Description = "Put the run in a named group (another group replaces it; '' takes it out).",
        };
        var command = new Command("annotate", "Set a run's title, notes, tags or group.") { id, title, note, tag, untag, group };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                using var store = OpenStore(project);
                var run = new RunEdits(store).Annotate(
                    result.GetValue(id)!,
                    new RunAnnotation
                    {
                        Title = result.GetValue(title),
                        Notes = result.GetValue(note),
                        Group = result.GetValue(group),
                        AddTags = result.GetValue(tag) ?? [],
                        RemoveTags = result.GetValue(untag) ?? [],
                    }
                );
                output.WriteLine($"Updated run {run.Id}.");
                return 0;
            }
        );
        return command;
    }

    private static Command Bookmark(TextWriter output)
    {
        var ids = new Argument<string[]>("ids") { Description = "Run ids.", Arity = ArgumentArity.OneOrMore };
        var off = new Option<bool>("--off") { Description = "Remove the bookmark." };
        var command = new Command("bookmark", "Bookmark runs: they list first, here and in the UI.") { ids, off };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                using var store = OpenStore(project);
                foreach (var run in new RunEdits(store).Bookmark(result.GetValue(ids)!, !result.GetValue(off)))
                {
                    output.WriteLine($"{(result.GetValue(off) ? "Unbookmarked" : "Bookmarked")} run {run.Id}.");
                }

                return 0;
            }
        );
        return command;
    }

    private static Command Flag(
        TextWriter output,
        string name,
        string description,
        Func<RunEdits, IEnumerable<string>, IReadOnlyList<RunRecord>> change
    )
    {
        var ids = new Argument<string[]>("ids") { Description = "Run ids.", Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, description) { ids };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                using var store = OpenStore(project);
                var runs = change(new RunEdits(store), result.GetValue(ids)!);

                output.WriteLine(
                    $"{char.ToUpperInvariant(name[0])}{name[1..]}{(name.EndsWith('e') ? "d" : "ed")} {runs.Count} run(s): {string.Join(", ", runs.Select(r => r.Id))}."
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Purge(TextWriter output)
    {
        var command = new Command("purge", "Delete soft-deleted runs for good (their experiments in Git stay).");
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                using var store = OpenStore(project);
                output.WriteLine($"Purged {new RunEdits(store).Purge()} run(s).");
                return 0;
            }
        );
        return command;
    }

    private static Command Clone(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "Run id (or a unique prefix)." };
        var setParams = new Option<string[]>("--set-param", "-S")
        {
            Description =
                "Change a param of the clone: [file:]key=value, +key=, ++key=, ~key, as for exp run; no sweeps (repeatable).",
        };
        var queue = new Option<bool>("--queue") { Description = "Queue the clone instead of running it now." };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the new experiment." };
        var command = new Command("clone", "Run again with the same params (and changes with -S), now or queued.")
        {
            id,
            setParams,
            queue,
            name,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                RunRecord run;
                using (var store = OpenStore(project))
                {
                    run = new RunEdits(store).Find(result.GetValue(id)!);
                }

                var overrides = (result.GetValue(setParams) ?? []).SelectMany(ParamAssignment.ParseArgument).ToList();
                var assignments = RunClone.Assignments(run, overrides);
                var head = await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false);
                if (head != run.Baseline)
                {
                    output.WriteLine(
                        $"Note: run {run.Id} ran on commit {run.Baseline[..7]}; the clone uses the code of HEAD ({head[..7]})."
                    );
                }

                if (result.GetValue(queue))
                {
                    var entries = await new ExperimentQueue(project)
                        .EnqueueAsync(
                            new QueueRequest
                            {
                                SetParams = assignments,
                                Name = result.GetValue(name),
                                CommandLine = CommonOptions.CommandLine(),
                            },
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                    output.WriteLine($"Queued clone of run {run.Id} as '{entries[0].Name}' ({entries[0].Id}).");
                    return 0;
                }

                var outcome = await new ExperimentExecution(project, new RunEventsWriter(output, summarize: true))
                    .RunAsync(
                        new ExperimentRunOptions
                        {
                            SetParams = assignments,
                            Name = result.GetValue(name),
                            CommandLine = CommonOptions.CommandLine(),
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                output.WriteLine(
                    outcome.Recorded is { } e
                        ? $"Cloned run {run.Id} as experiment '{e.Name}'."
                        : $"Cloned run {run.Id}: {outcome.NotRecordedReason}."
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Reindex(TextWriter output)
    {
        var command = new Command(
            "reindex",
            "Add a run for every experiment in Git that the store does not know (e.g. after a clone and exp pull)."
        );
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                project.EnsureInitialized();
                var added = await new RunIndexer(project).ReindexAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine($"Added {added} run(s) from refs/exps.");
                return 0;
            }
        );
        return command;
    }

    private static RunStore OpenStore(ExpProject project)
    {
        project.EnsureInitialized();
        return RunStore.Open(project);
    }

    /// <summary>
    /// Enumerates <paramref name="source"/> on another thread, up to <paramref name="capacity"/> items ahead of the
    /// caller, so that reading and writing a long list overlap. The source must not be used by the caller meanwhile.
    /// </summary>
    private static IEnumerable<T> ReadAhead<T>(IEnumerable<T> source, int capacity)
    {
        using var items = new BlockingCollection<T>(capacity);
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var item in source)
                {
                    items.Add(item, stop.Token);
                }
            }
            finally
            {
                items.CompleteAdding();
            }
        });
        var finished = false;
        try
        {
            foreach (var item in items.GetConsumingEnumerable())
            {
                yield return item;
            }

            finished = true;
        }
        finally
        {
            stop.Cancel();
            if (finished)
            {
                // The source's own failure (a store error) is the caller's.
                producer.GetAwaiter().GetResult();
            }
            else
            {
                // The caller stopped early (its own error is on its way): the reader ends at the next item.
                producer.ContinueWith(t => _ = t.Exception, TaskScheduler.Default).Wait();
            }
        }
    }

    private static string ShortKey(string key) => key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];
}
