using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GitExp.Core.Diagnostics;
using GitExp.Core.Project;
using GitExp.Core.Queue;

namespace GitExp.Core.Experiments;

public enum RowKind
{
    Workspace,
    Baseline,
    Experiment,
    Checkpoint,
}

/// <summary>One row of <c>exp show</c>: the workspace, a baseline commit, or one of its experiments.</summary>
public sealed record ShowRow(
    string Name,
    string Rev,
    RowKind Kind,
    string Baseline,
    DateTimeOffset? Created,
    string State,
    RevisionValues Values
)
{
    /// <summary>An experiment's earlier checkpoints, newest first (<c>name~1</c>, <c>name~2</c>, ...).</summary>
    public IReadOnlyList<ShowRow> Checkpoints { get; init; } = [];

    /// <summary>This row followed by its checkpoints.</summary>
    public IEnumerable<ShowRow> WithCheckpoints() => [this, .. Checkpoints];

    public JsonNode? Value(ShowColumn column) =>
        (
            column.Kind switch
            {
                ShowColumnKind.Metric => Values.Metrics,
                ShowColumnKind.Param => Values.Params,
                _ => Values.Deps,
            }
        ).TryGetValue(column.FullName, out var value)
            ? value
            : null;
}

/// <summary>What a data column of <c>exp show</c> holds.</summary>
public enum ShowColumnKind
{
    Metric,
    Param,

    /// <summary>The hash a stage dep had in the revision's lock file; named by the dep's path.</summary>
    Dep,
}

/// <summary>
/// A metrics, params or deps column: <c>file:key</c>, shown as the key alone when that is unambiguous; a dep's
/// column is its path (<see cref="File"/> and <see cref="Key"/> both).
/// </summary>
public sealed record ShowColumn(string FullName, string File, string Key, ShowColumnKind Kind)
{
    public string DisplayName { get; init; } = Key;

    public bool IsMetric => Kind == ShowColumnKind.Metric;

    public bool IsParam => Kind == ShowColumnKind.Param;

    public bool IsDep => Kind == ShowColumnKind.Dep;
}

/// <summary>What to show: which baselines and how to shape the columns.</summary>
public sealed record ShowOptions
{
    /// <summary>Told when the workspace's pipeline is malformed and HEAD's names the params and metrics files instead.</summary>
    public Action<string>? Warn { get; init; }

    public bool AllCommits { get; init; }

    /// <summary>Also every branch's tip commit (<c>-a</c>).</summary>
    public bool AllBranches { get; init; }

    /// <summary>Also every tag's commit (<c>-T</c>).</summary>
    public bool AllTags { get; init; }

    /// <summary>Leave out the workspace row.</summary>
    public bool HideWorkspace { get; init; }

    /// <summary>Name baselines by their short commit id, never by branch or tag (<c>--sha</c>).</summary>
    public bool Sha { get; init; }

    /// <summary>Show this many commits from HEAD back (with their experiments).</summary>
    public int Num { get; init; } = 1;

    public IReadOnlyList<string> Revs { get; init; } = [];

    public string? SortBy { get; init; }

    public bool SortDescending { get; init; }

    public bool OnlyChanged { get; init; }

    /// <summary>Only the params some stage depends on (<c>--param-deps</c>).</summary>
    public bool ParamDeps { get; init; }

    /// <summary>Leave out queued and running entries of the queue.</summary>
    public bool HideQueued { get; init; }

    /// <summary>Leave out failed entries of the queue.</summary>
    public bool HideFailed { get; init; }

    /// <summary>Leave out the checkpoints listed under each experiment.</summary>
    public bool NoCheckpoints { get; init; }

    public IReadOnlyList<string> Drop { get; init; } = [];

    public IReadOnlyList<string> Keep { get; init; } = [];
}

/// <summary>The rows and columns of <c>exp show</c>, ready for any renderer.</summary>
/// <param name="Fixed">
/// The columns every row has, of <see cref="ShowTable.FixedColumns"/>, that <c>--drop</c> left (in that order); a
/// renderer shows those of them it has.
/// </param>
public sealed record ShowTable(IReadOnlyList<ShowRow> Rows, IReadOnlyList<ShowColumn> Columns, IReadOnlyList<string> Fixed)
{
    /// <summary>The fixed columns by DVC's names: the table shows Experiment, rev, Created, State; CSV all six.</summary>
    public static IReadOnlyList<string> FixedColumns { get; } = ["Experiment", "rev", "typ", "Created", "parent", "State"];

    public ShowTable(IReadOnlyList<ShowRow> rows, IReadOnlyList<ShowColumn> columns)
        : this(rows, columns, FixedColumns) { }

    public bool Shows(string fixedColumn) => Fixed.Contains(fixedColumn);

    /// <summary>Experiments <see cref="ExperimentShow.Cut"/> left out, per baseline, in table order.</summary>
    public IReadOnlyList<LeftOut> LeftOut { get; init; } = [];
}

/// <summary>How many experiments of one baseline a cut table leaves out; <paramref name="Baseline"/> is its row's name.</summary>
public sealed record LeftOut(string Baseline, int Experiments);

/// <summary>Collects baselines and experiments with their params and metrics, reading Git in batches.</summary>
public static class ExperimentShow
{
    private static readonly Dictionary<string, JsonNode?> NoValues = new(StringComparer.Ordinal);

    public static async Task<ShowTable> BuildAsync(
        ExpProject project,
        ShowOptions options,
        CancellationToken cancellationToken = default
    )
    {
        ExperimentRemoval.CheckNum(options.Num);

        var git = project.Git;
        // The remembered facts and values of every experiment are wanted below: read while git lists the refs.
        git.CommitFactsCache?.Preload();
        project.ValuesCache.Preload();
        // The reads below are independent: running them at once overlaps git's work with ours.
        var headTask = git.HeadCommitAsync(cancellationToken);
        var experimentsTask = new ExperimentStore(git).ListAsync(cancellationToken);
        var sourcesTask = ValueSources.FromWorkspaceAsync(project, cancellationToken, options.Warn ?? (_ => { }));
        var labelsTask = BranchLabelsAsync(project, cancellationToken);
        var queueTask = new ExperimentQueue(project).ListAsync(cancellationToken);
        await Task.WhenAll(headTask, experimentsTask, sourcesTask, labelsTask, queueTask).ConfigureAwait(false);
        var head = await headTask.ConfigureAwait(false);
        var experiments = await experimentsTask.ConfigureAwait(false);
        var sources = (await sourcesTask.ConfigureAwait(false)).WithDeps();
        if (options.ParamDeps)
        {
            sources = sources.OnlyParamDeps();
        }
        var (labels, currentBranch) = await labelsTask.ConfigureAwait(false);
        if (currentBranch is not null)
        {
            labels[head] = currentBranch;
        }

        if (options.Sha)
        {
            labels.Clear();
        }

        var baselines = await BaselinesAsync(project, options, head, experiments, cancellationToken).ConfigureAwait(false);
        var pending = (await queueTask.ConfigureAwait(false))
            .Where(i => i.Status != QueueStatus.Success && baselines.Contains(i.Entry.Baseline))
            .Where(i => !(options.HideQueued && i.Status is QueueStatus.Queued or QueueStatus.Running))
            .Where(i => !(options.HideFailed && i.Status == QueueStatus.Failed))
            .ToList();
        var commits = new List<string>();
        foreach (var baseline in baselines)
        {
            commits.Add(baseline);
            commits.AddRange(experiments.Where(e => e.Baseline == baseline).Select(e => e.Commit));
        }

        commits.AddRange(pending.Select(i => i.Entry.Commit));
        var chains = new Dictionary<string, IReadOnlyList<(string Commit, DateTimeOffset Time)>>(StringComparer.Ordinal);
        if (!options.NoCheckpoints)
        {
            foreach (var experiment in experiments.Where(e => e.Step is not null && baselines.Contains(e.Baseline)))
            {
                var chain = await CheckpointsAsync(project, experiment, cancellationToken).ConfigureAwait(false);
                chains[experiment.Ref] = chain;
                commits.AddRange(chain.Select(c => c.Commit));
            }
        }

        IReadOnlyList<RevisionValues> values;
        using (ExpTrace.Start($"show: read values of {commits.Count} commits"))
        {
            values = sources.ReadCommits(git, commits, project.ValuesCache);
        }

        var valueByCommit = new Dictionary<string, RevisionValues>(StringComparer.Ordinal);
        for (var i = 0; i < commits.Count; i++)
        {
            valueByCommit[commits[i]] = values[i];
        }

        var rows = new List<ShowRow>();
        if (!options.HideWorkspace)
        {
            rows.Add(new("workspace", "-", RowKind.Workspace, head, null, "-", sources.ReadWorkspace(project.Root)));
        }

        var baselineFacts = await git.CommitFactsAsync(baselines, cancellationToken).ConfigureAwait(false);
        foreach (var baseline in baselines)
        {
            var name = labels.GetValueOrDefault(baseline) ?? baseline[..7];
            rows.Add(
                new ShowRow(
                    name,
                    baseline[..7],
                    RowKind.Baseline,
                    baseline,
                    baselineFacts.TryGetValue(baseline, out var facts)
                        ? DateTimeOffset.FromUnixTimeSeconds(facts.CommitTime)
                        : null,
                    "-",
                    valueByCommit[baseline]
                )
            );
            rows.AddRange(
                experiments
                    .Where(e => e.Baseline == baseline)
                    .OrderByDescending(e => e.Created)
                    .ThenBy(e => e.Name, StringComparer.Ordinal)
                    .Select(e => new ShowRow(
                        e.Name,
                        e.Commit[..7],
                        RowKind.Experiment,
                        baseline,
                        e.Created,
                        e.Interrupted ? "Interrupted" : "Success",
                        valueByCommit[e.Commit]
                    )
                    {
                        Checkpoints = chains.TryGetValue(e.Ref, out var chain)
                            ? chain
                                .Select(
                                    (c, i) =>
                                        new ShowRow(
                                            $"{e.Name}~{(i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                                            c.Commit[..7],
                                            RowKind.Checkpoint,
                                            baseline,
                                            c.Time,
                                            "Checkpoint",
                                            valueByCommit[c.Commit]
                                        )
                                )
                                .ToList()
                            : [],
                    })
            );
            // Queued, running and failed entries follow the experiments, as DVC lists them.
            rows.AddRange(
                pending
                    .Where(i => i.Entry.Baseline == baseline)
                    .Select(i => new ShowRow(
                        i.Entry.Name,
                        i.Entry.Commit[..7],
                        RowKind.Experiment,
                        baseline,
                        i.Entry.Created,
                        i.Status.ToString(),
                        // An entry's snapshot holds the params it will run with, but its metrics files and lock are
                        // whatever the workspace held when it was queued: not results, so none are shown.
                        valueByCommit[i.Entry.Commit] with
                        {
                            Metrics = NoValues,
                            Deps = NoValues,
                        }
                    ))
            );
        }

        using var shaping = ExpTrace.Start("show: shape");
        return Shape(rows, options);
    }

    /// <summary>
    /// Orders columns (metrics, params, then deps by path, as DVC), applies --only-changed and --drop, sparing the
    /// columns --keep names (DVC's meaning: keep protects, it never hides), then sorts experiments within each baseline.
    /// </summary>
    /// <remarks>Patterns match a column's name from its start, as Python's <c>re.match</c> does for DVC.</remarks>
    public static ShowTable Shape(IReadOnlyList<ShowRow> rows, ShowOptions options)
    {
        var columns = new List<ShowColumn>();
        foreach (var kind in new[] { ShowColumnKind.Metric, ShowColumnKind.Param, ShowColumnKind.Dep })
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var ofKind = new List<ShowColumn>();
            foreach (var row in rows)
            {
                AddColumns(row, kind, seen, ofKind);
                foreach (var checkpoint in row.Checkpoints)
                {
                    AddColumns(checkpoint, kind, seen, ofKind);
                }
            }

            columns.AddRange(kind == ShowColumnKind.Dep ? ofKind.OrderBy(c => c.FullName, StringComparer.Ordinal) : ofKind);
        }

        // A bare key is only a name when no other file has it too.
        columns = columns
            .Select(c => !c.IsDep && columns.Count(o => !o.IsDep && o.Key == c.Key) > 1 ? c with { DisplayName = c.FullName } : c)
            .ToList();
        var keep = Patterns(options.Keep, "--keep");
        bool Kept(string name) => keep is not null && keep.IsMatch(name);
        bool KeptColumn(ShowColumn c) => Kept(c.FullName) || Kept(c.DisplayName);
        if (options.OnlyChanged)
        {
            var compared = rows.SelectMany(r => r.WithCheckpoints()).Where(r => r.Kind != RowKind.Workspace).ToList();
            columns = columns
                .Where(c => KeptColumn(c) || compared.Select(r => r.Value(c)?.ToJsonString()).Distinct().Count() > 1)
                .ToList();
        }

        var fixedColumns = ShowTable.FixedColumns;
        if (Patterns(options.Drop, "--drop") is { } drop)
        {
            columns = columns.Where(c => KeptColumn(c) || !(drop.IsMatch(c.FullName) || drop.IsMatch(c.DisplayName))).ToList();
            fixedColumns = fixedColumns.Where(name => Kept(name) || !drop.IsMatch(name)).ToList();
        }

        var sorted = options.SortBy is null ? rows : Sort(rows, FindColumn(rows, options.SortBy), options.SortDescending);
        return new ShowTable(sorted, columns, fixedColumns);
    }

    /// <summary>
    /// The first experiments of each baseline, in the table's order (newest first, or as sorted): at most
    /// <paramref name="experiments"/>, and only while they and their checkpoints fit in <paramref name="lines"/> rows
    /// (the first always shows). Columns stay as they are; what is left out is counted in <see cref="ShowTable.LeftOut"/>.
    /// </summary>
    public static ShowTable Cut(ShowTable table, int experiments, int lines)
    {
        var rows = new List<ShowRow>();
        var leftOut = new List<LeftOut>();
        string? baseline = null;
        int shown = 0,
            used = 0,
            dropped = 0;
        void Close()
        {
            if (baseline is not null && dropped > 0)
            {
                leftOut.Add(new LeftOut(baseline, dropped));
            }

            (shown, used, dropped) = (0, 0, 0);
        }

        foreach (var row in table.Rows)
        {
            if (row.Kind != RowKind.Experiment)
            {
                if (row.Kind == RowKind.Baseline)
                {
                    Close();
                    baseline = row.Name;
                }

                rows.Add(row);
                continue;
            }

            var height = 1 + row.Checkpoints.Count;
            if (dropped == 0 && shown < experiments && (shown == 0 || used + height <= lines))
            {
                rows.Add(row);
                shown++;
                used += height;
            }
            else
            {
                dropped++;
            }
        }

        Close();
        return table with { Rows = rows, LeftOut = [.. table.LeftOut, .. leftOut] };
    }

    private static void AddColumns(ShowRow row, ShowColumnKind kind, HashSet<string> seen, List<ShowColumn> columns)
    {
        var values = kind switch
        {
            ShowColumnKind.Metric => row.Values.Metrics,
            ShowColumnKind.Param => row.Values.Params,
            _ => row.Values.Deps,
        };
        foreach (var fullName in values.Keys)
        {
            if (seen.Add(fullName))
            {
                if (kind == ShowColumnKind.Dep)
                {
                    columns.Add(new ShowColumn(fullName, fullName, fullName, kind));
                    continue;
                }

                var colon = fullName.IndexOf(':', StringComparison.Ordinal);
                columns.Add(new ShowColumn(fullName, fullName[..colon], fullName[(colon + 1)..], kind));
            }
        }
    }

    private static ShowColumn FindColumn(IReadOnlyList<ShowRow> rows, string sortBy)
    {
        var all = Shape(rows, new ShowOptions()).Columns.Where(c => !c.IsDep).ToList();
        var matches = all.Where(c => c.FullName == sortBy).ToList();
        if (matches.Count == 0)
        {
            matches = all.Where(c => c.Key == sortBy).ToList();
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new ExpException(
                ExitCode.Usage,
                $"--sort-by '{sortBy}': no such param or metric (columns: {string.Join(", ", all.Select(c => c.DisplayName))})"
            ),
            _ => throw new ExpException(
                ExitCode.Usage,
                $"--sort-by '{sortBy}' is ambiguous: {string.Join(", ", matches.Select(c => c.FullName))}; write it as file:key"
            ),
        };
    }

    private static List<ShowRow> Sort(IReadOnlyList<ShowRow> rows, ShowColumn column, bool descending)
    {
        var result = new List<ShowRow>();
        var group = new List<ShowRow>();
        void Flush()
        {
            // Rows without the value go last whatever the order, as in DVC.
            var withValue = group.Where(r => r.Value(column) is not null).ToList();
            var ordered = descending
                ? withValue.OrderByDescending(r => r.Value(column), ValueComparer.Instance)
                : withValue.OrderBy(r => r.Value(column), ValueComparer.Instance);
            result.AddRange(ordered);
            result.AddRange(group.Where(r => r.Value(column) is null));
            group.Clear();
        }

        foreach (var row in rows)
        {
            if (row.Kind == RowKind.Experiment)
            {
                group.Add(row);
                continue;
            }

            Flush();
            result.Add(row);
        }

        Flush();
        return result;
    }

    /// <summary>One regex matching, from a name's start, any of the patterns (DVC joins them with '|'); null for none.</summary>
    private static Regex? Patterns(IReadOnlyList<string> patterns, string flag)
    {
        if (patterns.Count == 0)
        {
            return null;
        }

        foreach (var pattern in patterns)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new ExpException(ExitCode.Usage, $"{flag} '{pattern}': not a valid regular expression ({e.Message})");
            }
        }

        return new Regex(
            @"\A(?:" + string.Join("|", patterns.Select(p => "(?:" + p + ")")) + ")",
            RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1)
        );
    }

    private static async Task<List<string>> BaselinesAsync(
        ExpProject project,
        ShowOptions options,
        string head,
        IReadOnlyList<Experiment> experiments,
        CancellationToken cancellationToken
    )
    {
        var git = project.Git;
        // --rev (default HEAD) with -n: each rev and its first-parent ancestors, as exp list and remove take them.
        var baselines = new List<string>(
            await ExperimentRemoval
                .BaselinesAsync(git, options.Revs.Count > 0 ? options.Revs : [head], options.Num, cancellationToken)
                .ConfigureAwait(false)
        );
        foreach (var (wanted, prefix) in new[] { (options.AllBranches, "refs/heads"), (options.AllTags, "refs/tags") })
        {
            if (wanted)
            {
                // An annotated tag names its commit through %(*objectname).
                var tips = await git.RunAsync(
                        ["for-each-ref", "--format=%(objectname) %(*objectname)", prefix],
                        cancellationToken: cancellationToken
                    )
                    .ConfigureAwait(false);
                baselines.AddRange(
                    tips.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])
                );
            }
        }

        if (options.AllCommits)
        {
            baselines.AddRange(experiments.Select(e => e.Baseline));
        }

        return baselines.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Branch and tag names by the commit they point at, and the checked-out branch (null when detached).</summary>
    private static async Task<(Dictionary<string, string> Labels, string? CurrentBranch)> BranchLabelsAsync(
        ExpProject project,
        CancellationToken cancellationToken
    )
    {
        // %(*objectname) is an annotated tag's commit; %(HEAD) marks the checked-out branch with '*'.
        var output = await project
            .Git.RunAsync(
                [
                    "for-each-ref",
                    "--format=%(HEAD)%00%(objectname)%00%(*objectname)%00%(refname:short)",
                    "refs/heads",
                    "refs/tags",
                ],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\0');
            if (fields.Length != 4)
            {
                continue;
            }

            labels.TryAdd(fields[2].Length > 0 ? fields[2] : fields[1], fields[3]);
            if (fields[0] == "*")
            {
                current = fields[3];
            }
        }

        return (labels, current);
    }

    /// <summary>The commits of an experiment's chain below its tip, newest first, with their times.</summary>
    private static async Task<IReadOnlyList<(string Commit, DateTimeOffset Time)>> CheckpointsAsync(
        ExpProject project,
        Experiment experiment,
        CancellationToken cancellationToken
    )
    {
        var output = await project
            .Git.RunAsync(
                ["log", "--format=%H %ct", "--skip=1", experiment.Commit, "^" + experiment.Baseline],
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        return output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Select(parts =>
                (
                    parts[0],
                    DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture))
                )
            )
            .ToList();
    }
}

/// <summary>Orders param and metric values: numbers numerically, then everything else as text.</summary>
public sealed class ValueComparer : IComparer<JsonNode?>
{
    public static ValueComparer Instance { get; } = new();

    public int Compare(JsonNode? x, JsonNode? y)
    {
        var xNumber = AsNumber(x);
        var yNumber = AsNumber(y);
        if (xNumber is not null && yNumber is not null)
        {
            return xNumber.Value.CompareTo(yNumber.Value);
        }

        if (xNumber is not null)
        {
            return -1;
        }

        if (yNumber is not null)
        {
            return 1;
        }

        return string.CompareOrdinal(x?.ToJsonString(), y?.ToJsonString());
    }

    public static double? AsNumber(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
