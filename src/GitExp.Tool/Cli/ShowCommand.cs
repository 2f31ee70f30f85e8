using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Diagnostics;
using GitExp.Core.Experiments;
using GitExp.Core.Serialization;
using GitExp.Tool.Rendering;

namespace GitExp.Tool.Cli;

/// <summary><c>dotnet exp show</c>: the baseline and its experiments with their metrics and params.</summary>
internal static class ShowCommand
{
    public static Command Create(TextWriter output)
    {
        var json = CommonOptions.Json();
        var csv = CommonOptions.Csv();
        var md = CommonOptions.Markdown();
        var sortBy = new Option<string?>("--sort-by")
        {
            Description = "Sort experiments by a param or metric: name or file:name.",
        };
        var sortOrder = new Option<string>("--sort-order") { Description = "asc or desc.", DefaultValueFactory = _ => "asc" };
        sortOrder.AcceptOnlyFromAmong("asc", "desc");
        var onlyChanged = new Option<bool>("--only-changed") { Description = "Show only the columns whose values differ." };
        var drop = new Option<string[]>("--drop")
        {
            Description = "Hide the columns whose name matches a regular expression, fixed ones too (repeatable).",
        };
        var keep = new Option<string[]>("--keep")
        {
            Description =
                "Spare the columns whose name matches a regular expression from --drop and --only-changed (repeatable).",
        };
        var allCommits = new Option<bool>("--all-commits", "-A") { Description = "Also show every commit that has experiments." };
        var num = new Option<int>("--num", "-n")
        {
            Description = "Show N commits back from each --rev (default HEAD), first parents (negative: all of them).",
            DefaultValueFactory = _ => 1,
        };
        var rev = new Option<string[]>("--rev") { Description = "Show these commits instead of HEAD (repeatable)." };
        var hideQueued = new Option<bool>("--hide-queued") { Description = "Leave out queued and running experiments." };
        var hideWorkspace = new Option<bool>("--hide-workspace") { Description = "Leave out the workspace row." };
        var allBranches = new Option<bool>("--all-branches", "-a")
        {
            Description = "Also show every branch's tip and its experiments.",
        };
        var allTags = new Option<bool>("--all-tags", "-T") { Description = "Also show every tagged commit and its experiments." };
        var sha = new Option<bool>("--sha") { Description = "Name baselines by commit id, not by branch or tag." };
        var noCheckpoints = new Option<bool>("--no-checkpoints")
        {
            Description = "Leave out the checkpoints under each experiment.",
        };
        var hideFailed = new Option<bool>("--hide-failed") { Description = "Leave out failed queued experiments." };
        var paramDeps = new Option<bool>("--param-deps") { Description = "Show only the params some stage depends on." };
        var precision = CommonOptions.Precision();
        var width = CommonOptions.Width();
        var transpose = CommonOptions.Transpose();
        var limit = new Option<int?>("--limit")
        {
            Description = "Show at most N experiments per baseline (default on a terminal: what fits the screen).",
        };
        var all = CommonOptions.AllRows("experiment");
        var noPager = CommonOptions.NoPager();
        var command = new Command("show", "Show the baseline and its experiments with metrics and params.")
        {
            json,
            csv,
            md,
            sortBy,
            sortOrder,
            onlyChanged,
            drop,
            keep,
            allCommits,
            num,
            rev,
            hideQueued,
            hideWorkspace,
            allBranches,
            allTags,
            sha,
            hideFailed,
            paramDeps,
            noCheckpoints,
            precision,
            width,
            transpose,
            limit,
            all,
            noPager,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                CommonOptions.OneFormat(result, json, csv, md);
                var digits = CommonOptions.CheckPrecision(result.GetValue(precision));
                var console = !result.GetValue(json) && !result.GetValue(csv) && !result.GetValue(md);
                // A terminal gets a screenful per baseline: the rows around the experiments take the rest.
                var rowLimit = CommonOptions.RowLimit(
                    result,
                    limit,
                    all,
                    console,
                    output,
                    height => height - Screen.Reserved - 2
                );

                var project = await CommonOptions.OpenProjectAsync(cancellationToken).ConfigureAwait(false);
                var table = await ExperimentShow
                    .BuildAsync(
                        project,
                        new ShowOptions
                        {
                            SortBy = result.GetValue(sortBy),
                            SortDescending = result.GetValue(sortOrder) == "desc",
                            OnlyChanged = result.GetValue(onlyChanged),
                            ParamDeps = result.GetValue(paramDeps),
                            HideQueued = result.GetValue(hideQueued),
                            HideFailed = result.GetValue(hideFailed),
                            NoCheckpoints = result.GetValue(noCheckpoints),
                            Drop = result.GetValue(drop) ?? [],
                            Keep = result.GetValue(keep) ?? [],
                            AllCommits = result.GetValue(allCommits),
                            Num = result.GetValue(num),
                            Revs = result.GetValue(rev) ?? [],
                            HideWorkspace = result.GetValue(hideWorkspace),
                            AllBranches = result.GetValue(allBranches),
                            AllTags = result.GetValue(allTags),
                            Sha = result.GetValue(sha),
                            Warn = CommonOptions.Warn,
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                if (rowLimit is { } cut)
                {
                    table = result.GetValue(limit) is not null
                        ? ExperimentShow.Cut(table, cut, int.MaxValue)
                        : ExperimentShow.Cut(table, int.MaxValue, cut);
                }

                if (result.GetValue(json))
                {
                    using var writing = ExpTrace.Start("show: write JSON");
                    JsonOutput.Write(output, writer => WriteJson(writer, table));
                }
                else if (result.GetValue(csv))
                {
                    var header = ShowTable.FixedColumns.Where(table.Shows).ToList();
                    header.AddRange(table.Columns.Select(c => c.FullName));
                    var rows = table
                        .Rows.SelectMany(r => r.WithCheckpoints())
                        .Select(r =>
                            (IReadOnlyList<string>)
                                CsvFixed(table, r)
                                    .Concat(
                                        table.Columns.Select(c =>
                                            r.Value(c) is null ? ""
                                            : c.IsDep ? ValueFormat.Text(r.Value(c), 0)
                                            : result.GetResult(precision) is { Implicit: false }
                                                ? ValueFormat.Text(r.Value(c), digits)
                                            : ValueFormat.Text(r.Value(c), 17)
                                        )
                                    )
                                    .ToList()
                        )
                        .ToList();
                    TableWriter.Csv(output, header, rows);
                }
                else
                {
                    var shown = TableFixed.Where(table.Shows).ToList();
                    var header = new List<string>(shown);
                    header.AddRange(table.Columns.Select(c => c.DisplayName));
                    if (result.GetValue(md))
                    {
                        TableWriter.Markdown(output, header, Display(table, shown, digits, tree: true, shortHashes: false));
                    }
                    else
                    {
                        using var writing = ExpTrace.Start("show: write table");
                        var essential = new[] { "Experiment", "State" }.Count(shown.Contains);
                        var fit = CommonOptions.Fit(
                            result,
                            width,
                            transpose,
                            output,
                            Importance(table, shown),
                            required: essential,
                            nameColumn: 0,
                            rowNoun: "experiment",
                            hint: "--width, --transpose, --drop or --json"
                        );
                        var cells = Display(table, shown, digits, tree: !fit.Transpose, shortHashes: true);
                        Screen.Write(
                            output,
                            paged: !result.GetValue(noPager),
                            text =>
                            {
                                TableWriter.Console(text, header, cells, rightAlignFrom: shown.Count, fit);
                                if (table.LeftOut.Count > 0)
                                {
                                    text.WriteLine(MoreLine(table.LeftOut));
                                }
                            }
                        );
                    }
                }

                return 0;
            }
        );
        return command;
    }

    /// <summary>How many experiments a cut table left out, of which baselines, and how to see them.</summary>
    private static string MoreLine(IReadOnlyList<LeftOut> leftOut) =>
        Screen.MoreLine(
            leftOut.Sum(l => l.Experiments),
            "experiment",
            "of "
                + (
                    leftOut.Count == 1
                        ? leftOut[0].Baseline
                        : string.Join(
                            ", ",
                            leftOut.Select(l => l.Baseline + " (" + l.Experiments.ToString(CultureInfo.InvariantCulture) + ")")
                        )
                ),
            "--limit N or --all"
        );

    /// <summary>The fixed columns of the table and Markdown, in order (CSV has DVC's six).</summary>
    private static readonly string[] TableFixed = ["Experiment", "rev", "Created", "State"];

    private static IEnumerable<string> CsvFixed(ShowTable table, ShowRow r) =>
        ShowTable
            .FixedColumns.Where(table.Shows)
            .Select(name =>
                name switch
                {
                    "Experiment" => r.Name,
                    "rev" => r.Rev,
                    "typ" => r.Kind.ToString().ToLowerInvariant(),
                    "Created" => r.Created?.ToString("O", CultureInfo.InvariantCulture) ?? "",
                    "parent" => r.Kind is RowKind.Experiment or RowKind.Checkpoint ? r.Baseline[..7] : "",
                    "State" => r.State,
                    _ => throw new InvalidOperationException($"no CSV cell for the fixed column '{name}'"),
                }
            );

    /// <summary>
    /// What stays when the terminal is narrow (decision 0028): the name and State, then metrics, then params, then
    /// rev and Created, then deps (a hash says least at a glance); of metrics or params, the columns whose values
    /// differ between rows first, each group in table order. Fixed columns <c>--drop</c> removed are not there to rank.
    /// </summary>
    private static List<int> Importance(ShowTable table, IReadOnlyList<string> shown)
    {
        var data = table
            .Columns.Select((column, i) => (column, index: i + shown.Count, varies: Varies(table, column)))
            .OrderBy(x => (int)x.column.Kind)
            .ThenBy(x => x.varies ? 0 : 1)
            .ToList();
        int[] Fixed(params string[] names) => names.Where(shown.Contains).Select(n => shown.ToList().IndexOf(n)).ToArray();
        return
        [
            .. Fixed("Experiment", "State"),
            .. data.Where(x => !x.column.IsDep).Select(x => x.index),
            .. Fixed("rev", "Created"),
            .. data.Where(x => x.column.IsDep).Select(x => x.index),
        ];
    }

    private static bool Varies(ShowTable table, ShowColumn column) =>
        table.Rows.Select(r => r.Value(column)?.ToJsonString()).Distinct(StringComparer.Ordinal).Skip(1).Any();

    private static List<IReadOnlyList<string>> Display(
        ShowTable table,
        IReadOnlyList<string> shown,
        int digits,
        bool tree,
        bool shortHashes
    )
    {
        var rows = new List<IReadOnlyList<string>>();
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            var name = row.Name;
            if (tree && row.Kind == RowKind.Experiment)
            {
                var last = i + 1 == table.Rows.Count || table.Rows[i + 1].Kind != RowKind.Experiment;
                name = (last ? "└── " : "├── ") + name;
            }

            rows.Add(Cells(table, shown, row, name, digits, shortHashes));
            if (row.Kind == RowKind.Experiment)
            {
                var last = i + 1 == table.Rows.Count || table.Rows[i + 1].Kind != RowKind.Experiment;
                foreach (var checkpoint in row.Checkpoints)
                {
                    rows.Add(
                        Cells(
                            table,
                            shown,
                            checkpoint,
                            (
                                !tree ? ""
                                : last ? "    "
                                : "│   "
                            ) + checkpoint.Name,
                            digits,
                            shortHashes
                        )
                    );
                }
            }
        }

        return rows;
    }

    private static List<string> Cells(
        ShowTable table,
        IReadOnlyList<string> shown,
        ShowRow row,
        string name,
        int digits,
        bool shortHashes
    )
    {
        var cells = shown
            .Select(column =>
                column switch
                {
                    "Experiment" => name,
                    "rev" => row.Rev,
                    "Created" => ValueFormat.Time(row.Created),
                    _ => row.State,
                }
            )
            .ToList();
        cells.AddRange(
            table.Columns.Select(c =>
                c.IsDep && row.Value(c) is { } hash
                    ? ShortHash(ValueFormat.Text(hash, 0), shortHashes)
                    : ValueFormat.Text(row.Value(c), digits)
            )
        );
        return cells;
    }

    /// <summary>A dep's hash in the console table: its first 7 characters, as a commit id is shortened.</summary>
    private static string ShortHash(string hash, bool shorten) => shorten && hash.Length > 7 ? hash[..7] : hash;

    private static void WriteJson(Utf8JsonWriter writer, ShowTable table)
    {
        // GroupBy keeps the first-seen order of files and the column order within each.
        var metrics = FileColumns.Of(table.Columns.Where(c => c.IsMetric));
        var parameters = FileColumns.Of(table.Columns.Where(c => c.IsParam));
        var deps = table.Columns.Where(c => c.IsDep).ToList();
        writer.WriteStartArray();
        foreach (var row in table.Rows)
        {
            writer.WriteStartObject();
            WriteRow(writer, row, metrics, parameters, deps);
            if (row.Checkpoints.Count > 0)
            {
                writer.WriteStartArray("checkpoints");
                foreach (var checkpoint in row.Checkpoints)
                {
                    writer.WriteStartObject();
                    WriteRow(writer, checkpoint, metrics, parameters, deps);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            if (writer.BytesPending > 1 << 14)
            {
                // Out in pieces: the whole output of a thousand experiments is never held at once.
                writer.Flush();
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteRow(
        Utf8JsonWriter writer,
        ShowRow row,
        IReadOnlyList<FileColumns> metrics,
        IReadOnlyList<FileColumns> parameters,
        IReadOnlyList<ShowColumn> deps
    )
    {
        writer.WriteString(Names.Name, row.Name);
        writer.WriteString(Names.Rev, row.Rev);
        writer.WriteString(Names.Type, Names.Kinds[(int)row.Kind]);
        writer.WriteString(Names.Baseline, row.Baseline);
        if (row.Created is { } created)
        {
            writer.WriteString(Names.Created, created.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull(Names.Created);
        }

        writer.WriteString(Names.State, row.State);
        WriteGroup(writer, Names.Metrics, metrics, row);
        WriteGroup(writer, Names.Params, parameters, row);
        // DVC's "deps": { path: { "hash": ... } }; a dep the revision's lock does not record has a null hash.
        writer.WriteStartObject("deps");
        foreach (var dep in deps)
        {
            writer.WriteStartObject(dep.FullName);
            writer.WritePropertyName("hash");
            CompactJson.WriteValue(writer, row.Value(dep));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary><c>{ file: { key: value } }</c>, files in first-seen column order; a column the row lacks is null.</summary>
    private static void WriteGroup(Utf8JsonWriter writer, JsonEncodedText name, IReadOnlyList<FileColumns> files, ShowRow row)
    {
        writer.WriteStartObject(name);
        foreach (var file in files)
        {
            writer.WriteStartObject(file.Name);
            for (var i = 0; i < file.Columns.Count; i++)
            {
                writer.WritePropertyName(file.Keys[i]);
                CompactJson.WriteValue(writer, row.Value(file.Columns[i]));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// One file's columns with their names encoded once: a table of 10,000 rows writes each name 10,000 times, and
    /// an encoded name is copied rather than checked for escapes and transcoded every time.
    /// </summary>
    private sealed record FileColumns(JsonEncodedText Name, IReadOnlyList<ShowColumn> Columns, JsonEncodedText[] Keys)
    {
        public static List<FileColumns> Of(IEnumerable<ShowColumn> columns) =>
            [
                .. columns
                    .GroupBy(c => c.File, StringComparer.Ordinal)
                    .Select(file => new FileColumns(
                        JsonOutput.Encode(file.Key),
                        [.. file],
                        [.. file.Select(c => JsonOutput.Encode(c.Key))]
                    )),
            ];
    }

    /// <summary>The fixed property names of a row, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Name = JsonOutput.Encode("name");
        public static readonly JsonEncodedText Rev = JsonOutput.Encode("rev");
        public static readonly JsonEncodedText Type = JsonOutput.Encode("type");
        public static readonly JsonEncodedText Baseline = JsonOutput.Encode("baseline");
        public static readonly JsonEncodedText Created = JsonOutput.Encode("created");
        public static readonly JsonEncodedText State = JsonOutput.Encode("state");
        public static readonly JsonEncodedText Metrics = JsonOutput.Encode("metrics");
        public static readonly JsonEncodedText Params = JsonOutput.Encode("params");

        /// <summary>Each <see cref="RowKind"/> in lower case, by its value.</summary>
        public static readonly string[] Kinds = [.. Enum.GetValues<RowKind>().Select(k => k.ToString().ToLowerInvariant())];
    }
}
