using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tracking;

/// <summary>
/// Records runs in the main workspace's run store as they start and finish: who, where, on which
/// commit and branch, with which params, and what came out (metrics with their step history, outs).
/// </summary>
/// <remarks>
/// Tracking never fails a run: if the store cannot be written (a disk full, a store locked for too
/// long), the run goes on and the problem is reported once on <paramref name="output"/>. Git stays the
/// source of truth; <c>dotnet exp runs reindex</c> rebuilds what is missing.
/// </remarks>
public sealed class RunTracker(ExpProject main, TextWriter output)
{
    private readonly List<ExecutionRecord> _executions = [];

    /// <summary>The stage the run is at, until it finishes.</summary>
    private ExecutionRecord? _running;

    /// <summary>The run <see cref="StartAsync"/> recorded, whose executions are saved as they happen.</summary>
    private string? _runId;

    /// <summary>Whether saving an execution failed once already: the warning is not repeated for every stage.</summary>
    private bool _executionWarned;

    public string StorePath => Path.Combine(main.ExpDirectory, "runs.db");

    /// <summary>
    /// Saves the stage as the run's running execution, with the executions before it. Pass as
    /// <see cref="PipelineRunOptions.StageStarted"/>.
    /// </summary>
    public void StageStarted(Stage stage)
    {
        lock (_executions)
        {
            var now = DateTimeOffset.UtcNow;
            _running = new ExecutionRecord(stage.Address, ExecutionRecord.Running, now, now, false, null);
            SaveExecutions();
        }
    }

    /// <summary>
    /// Collects a stage execution, saved at once when the stage's commands ran, so a running run shows each stage
    /// as it finishes; the run's final save writes them all again. One that ran nothing (up to date, restored) is
    /// saved with the next: a store write costs a few milliseconds, and a run of a hundred up-to-date stages
    /// should not pay it for each. Pass as <see cref="PipelineRunOptions.StageFinished"/>.
    /// </summary>
    public void StageFinished(StageExecution execution)
    {
        lock (_executions)
        {
            var ranCommands = _running?.Stage == execution.Stage.Address;
            _running = null;
            _executions.Add(
                new ExecutionRecord(
                    execution.Stage.Address,
                    execution.Status,
                    execution.Started,
                    execution.Started + execution.Duration,
                    execution.CacheHit,
                    execution.ExitCode
                )
            );
            if (ranCommands)
            {
                SaveExecutions();
            }
        }
    }

    // Called under the lock, so saves happen in the order the stages went and a late one never undoes a newer one.
    private void SaveExecutions()
    {
        if (_runId is not { } runId)
        {
            return;
        }

        List<ExecutionRecord> executions = _running is null ? [.. _executions] : [.. _executions, _running];
        try
        {
            using var store = RunStore.Open(StorePath);
            store.SaveExecutions(runId, executions);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            if (!_executionWarned)
            {
                _executionWarned = true;
                output.WriteLine(
                    $"warning: the run's stages were not recorded in .exp/runs.db as they finished ({e.Message}); they are saved with the run when it ends"
                );
            }
        }
    }

    /// <summary>Saves a run as queued or running, with the params it starts with.</summary>
    public async Task<RunRecord> StartAsync(
        ExpProject workspace,
        string id,
        string? name,
        string baseline,
        string kind,
        string command,
        RunStatus status,
        string? logPath,
        CancellationToken cancellationToken
    )
    {
        using var span = Diagnostics.ExpTrace.Start("runs: save run " + id + " as " + status);
        RevisionValues? values;
        using (Diagnostics.ExpTrace.Start("runs: read params"))
        {
            values = await ReadValuesAsync(workspace, cancellationToken).ConfigureAwait(false);
        }

        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord
        {
            Id = id,
            ExperimentName = name,
            ExperimentRef = name is null ? null : Experiment.RefFor(baseline, name),
            Baseline = baseline,
            Branch = await main.Git.CurrentBranchAsync(cancellationToken).ConfigureAwait(false),
            // Tracked files changed or deleted against the baseline commit (added files do not count, as untracked
            // ones never did): for a workspace run, the workspace; for a queued one, the entry's snapshot (its -S
            // values and what was uncommitted when it was queued), whatever the main workspace holds by now.
            Dirty =
                (
                    await workspace
                        .Git.TryRunAsync(
                            ["diff-index", "--quiet", "--diff-filter=a", baseline, "--"],
                            cancellationToken: cancellationToken
                        )
                        .ConfigureAwait(false)
                ).ExitCode != 0,
            GitUser = (
                await main.Git.TryRunAsync(["config", "user.name"], cancellationToken: cancellationToken).ConfigureAwait(false)
            ).StandardOutput.Trim()
                is { Length: > 0 } user
                ? user
                : null,
            Command = command,
            Kind = kind,
            Status = status,
            Created = now,
            Started = status == RunStatus.Running ? now : null,
            // What tells a later command whether this run still runs: it is settled as interrupted once this process is gone.
            Process = status == RunStatus.Running ? ProcessIdentity.Current : null,
            LogPath = logPath,
            Params = values?.Params ?? new Dictionary<string, JsonNode?>(),
        };
        Write(store => store.Save(run));
        lock (_executions)
        {
            _runId = id;
        }

        return run;
    }

    /// <summary>Saves how a run ended, with the values, outs and metric histories its workspace holds now.</summary>
    public async Task FinishAsync(
        ExpProject workspace,
        RunRecord run,
        Experiment? experiment,
        RunStatus status,
        int? exitCode,
        IReadOnlyList<(string Commit, int Step)> checkpoints,
        CancellationToken cancellationToken
    )
    {
        using var span = Diagnostics.ExpTrace.Start("runs: save run " + run.Id + " as " + status);
        try
        {
            await FinishCoreAsync(workspace, run, experiment, status, exitCode, checkpoints, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e)
            when (e
                    is IOException
                        or UnauthorizedAccessException
                        or ExpException
                        or Git.GitCommandException
                        or System.ComponentModel.Win32Exception
            )
        {
            output.WriteLine(
                $"warning: the run's results were not recorded in .exp/runs.db ({e.Message}); 'dotnet exp runs reindex' rebuilds them from Git"
            );
        }
    }

    private async Task FinishCoreAsync(
        ExpProject workspace,
        RunRecord run,
        Experiment? experiment,
        RunStatus status,
        int? exitCode,
        IReadOnlyList<(string Commit, int Step)> checkpoints,
        CancellationToken cancellationToken
    )
    {
        var values = await ReadValuesAsync(workspace, cancellationToken).ConfigureAwait(false);
        var executions = Executions();
        var stages = await ReadStagesAsync(workspace, cancellationToken).ConfigureAwait(false);
        // A run that did not succeed has as results only what its completed stages wrote: the outs, metrics and plots
        // of a stage that failed or never ran are an earlier run's, still in the workspace.
        var completed = executions.Where(e => e.Completed).Select(e => e.Stage).ToHashSet(StringComparer.Ordinal);
        var ownStages = status == RunStatus.Succeeded ? stages : stages.Where(s => completed.Contains(s.Address)).ToList();
        var metricValues = (values?.Metrics ?? new Dictionary<string, JsonNode?>())
            .Where(m => status == RunStatus.Succeeded || MetricStage(stages, m.Key) is { } stage && completed.Contains(stage))
            .ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var histories = ReadHistories(workspace, ownStages, metricValues.Keys);
        var metrics = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        foreach (var (key, value) in metricValues)
        {
            var history = histories.GetValueOrDefault(key);
            var number = ValueComparer.AsNumber(value);
            metrics[key] = new MetricSummary(
                value,
                history is { Count: > 0 } ? history.Min(p => p.Value) : number,
                history is { Count: > 0 } ? history.Max(p => p.Value) : number
            );
        }

        var finished = run with
        {
            ExperimentName = experiment?.Name ?? run.ExperimentName,
            ExperimentRef = experiment?.Ref ?? run.ExperimentRef,
            Commit = experiment?.Commit,
            Status = status,
            Started = run.Started ?? DateTimeOffset.UtcNow,
            Finished = DateTimeOffset.UtcNow,
            ExitCode = exitCode,
            Params = values?.Params ?? run.Params,
            Metrics = metrics,
            Artifacts = ReadArtifacts(workspace, ownStages),
            Checkpoints = checkpoints,
            Executions = executions,
        };
        // A checkpoint run's first commit follows the checkpoint it continued from: the run that recorded that
        // checkpoint and did not finish is the one this run resumed.
        var firstCommit = checkpoints.Count > 0 ? checkpoints[0].Commit : experiment?.Commit;
        var continued = firstCommit is null
            ? null
            : await workspace.Git.ResolveCommitAsync(firstCommit + "^", cancellationToken).ConfigureAwait(false);
        Write(store =>
        {
            finished = finished with
            {
                ResumedFrom = run.ResumedFrom ?? (continued is null ? null : store.ResumedRun(continued, run.Id)),
            };
            store.Save(finished);
            // Under the metric's own key (file:key): a key without its file is not one history.
            foreach (var (key, points) in histories)
            {
                store.SaveMetricHistory(finished.Id, key, points);
            }
        });
    }

    /// <summary>
    /// The step histories a running run has written so far, read from the workspace it runs in (the project's for a
    /// workspace run, its isolated one for a queued run): each plot column tied to the metric it is the history of as
    /// the finished run's will be, by metric key, and the rest by <c>file:column</c>. None when the run is not
    /// running or its workspace is gone.
    /// </summary>
    public static async Task<IReadOnlyList<(string Key, IReadOnlyList<(long Step, double Value)> Points)>> LiveHistoriesAsync(
        ExpProject main,
        RunRecord run,
        CancellationToken cancellationToken = default
    )
    {
        var root = run.Kind == "workspace" ? main.Root : new Queue.ExperimentQueue(main).WorkspacePath(run.Id);
        if (run.Status != RunStatus.Running || !Directory.Exists(root))
        {
            return [];
        }

        ExpProject workspace;
        try
        {
            workspace =
                run.Kind == "workspace" ? main : await ExpProject.OpenAsync(root, cancellationToken).ConfigureAwait(false);
        }
        catch (ExpException)
        {
            return [];
        }

        var stages = await ReadStagesAsync(workspace, cancellationToken).ConfigureAwait(false);
        var values = await ReadValuesAsync(workspace, cancellationToken).ConfigureAwait(false);
        var columns = ReadColumns(workspace, stages);
        var matched = MatchHistories(stages, values?.Metrics.Keys ?? [], columns);
        var byMetric = matched.Select(m => (m.Key, m.Value)).ToList();
        var taken = matched.Values.ToHashSet();
        byMetric.AddRange(columns.Where(c => !taken.Contains(c.Points)).Select(c => (c.File + ":" + c.Name, c.Points)));
        return byMetric.OrderBy(h => h.Item1, StringComparer.Ordinal).ToList();
    }

    private List<ExecutionRecord> Executions()
    {
        lock (_executions)
        {
            return [.. _executions];
        }
    }

    private void Write(Action<RunStore> write)
    {
        try
        {
            using var store = RunStore.Open(main);
            write(store);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            output.WriteLine(
                $"warning: the run was not recorded in .exp/runs.db ({e.Message}); 'dotnet exp runs reindex' rebuilds it from Git"
            );
        }
    }

    private static bool IsStoreFailure(Exception e) =>
        e
            is SqliteException
                or IOException
                or UnauthorizedAccessException
                or ExpException
                or InvalidOperationException
                or System.ComponentModel.Win32Exception;

    private static async Task<RevisionValues?> ReadValuesAsync(ExpProject workspace, CancellationToken cancellationToken)
    {
        try
        {
            var sources = await ValueSources.FromWorkspaceAsync(workspace, cancellationToken).ConfigureAwait(false);
            return sources.ReadWorkspace(workspace.Root);
        }
        catch (ExpException)
        {
            return null; // a broken pipeline fails the run itself; tracking records what it can
        }
    }

    /// <summary>The workspace's stages, in pipeline order; none when the pipeline cannot be read.</summary>
    private static async Task<IReadOnlyList<Stage>> ReadStagesAsync(ExpProject workspace, CancellationToken cancellationToken)
    {
        try
        {
            var index = await PipelineIndex.LoadAsync(workspace, [], cancellationToken).ConfigureAwait(false);
            return index.Pipelines.SelectMany(p => p.Stages).ToList();
        }
        catch (ExpException)
        {
            return []; // a broken pipeline fails the run itself; tracking records what it can
        }
    }

    /// <summary>The stage whose metrics file holds the key (<c>file:key</c>; the longest file it starts with).</summary>
    private static string? MetricStage(IReadOnlyList<Stage> stages, string key) =>
        stages
            .SelectMany(s => s.Outs.Where(o => o.Kind == OutKind.Metric).Select(o => (o.Path, s.Address)))
            .Where(f => key.StartsWith(f.Path + ":", StringComparison.Ordinal))
            .MaxBy(f => f.Path.Length)
            .Address;

    private static IReadOnlyList<ArtifactRecord> ReadArtifacts(ExpProject workspace, IReadOnlyList<Stage> stages)
    {
        var artifacts = new List<ArtifactRecord>();
        try
        {
            foreach (var pipeline in stages.GroupBy(s => s.PipelineFile))
            {
                var locks = LockFile.Load(workspace.Root, pipeline.Key, [.. pipeline]);
                foreach (var stage in pipeline)
                {
                    if (!locks.Stages.TryGetValue(stage.Name, out var locked))
                    {
                        continue;
                    }

                    foreach (var outPath in locked.Outs)
                    {
                        var kind =
                            stage.Outs.FirstOrDefault(o => o.Path == outPath.Path)?.Kind.ToString().ToLowerInvariant() ?? "out";
                        artifacts.Add(new ArtifactRecord(outPath.Path, outPath.Sha256, outPath.Size, kind));
                    }
                }
            }
        }
        catch (ExpException)
        {
            // As above: what cannot be read is left out.
        }

        return artifacts;
    }

    /// <summary>
    /// The step histories of the metrics, by metric key: the columns of plot files, TSV or CSV with a header
    /// <c>step&lt;tab&gt;name</c> (what GitExp.Client's Live writes), tied to metrics by <see cref="MetricHistories"/>.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<(long Step, double Value)>> ReadHistories(
        ExpProject workspace,
        IReadOnlyList<Stage> stages,
        IEnumerable<string> metricKeys
    ) => MatchHistories(stages, metricKeys, ReadColumns(workspace, stages));

    private static Dictionary<string, IReadOnlyList<(long Step, double Value)>> MatchHistories(
        IReadOnlyList<Stage> stages,
        IEnumerable<string> metricKeys,
        IReadOnlyList<PlotColumn> columns
    )
    {
        var metricFiles = stages
            .SelectMany(s => s.Outs.Where(o => o.Kind == OutKind.Metric).Select(o => (o.Path, Stage: s.Address)))
            .DistinctBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var metrics = new List<MetricSource>();
        foreach (var key in metricKeys)
        {
            // The longest file the key starts with: keys are file:key, and a file's name may itself hold a ':'.
            var file = metricFiles.Where(f => key.StartsWith(f.Path + ":", StringComparison.Ordinal)).MaxBy(f => f.Path.Length);
            if (file.Path is not null)
            {
                metrics.Add(new MetricSource(key, file.Path, key[(file.Path.Length + 1)..], file.Stage));
            }
        }

        return MetricHistories.Match(metrics, columns);
    }

    /// <summary>The columns of the stages' plot files (TSV or CSV with a <c>step</c> column first).</summary>
    private static List<PlotColumn> ReadColumns(ExpProject workspace, IReadOnlyList<Stage> stages)
    {
        var columns = new List<PlotColumn>();
        foreach (var stage in stages)
        {
            foreach (var plot in stage.Outs.Where(o => o.Kind == OutKind.Plot))
            {
                var full = workspace.FullPath(plot.Path);
                var files =
                    Directory.Exists(full)
                        ? Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    : File.Exists(full) ? [full]
                    : Enumerable.Empty<string>();
                foreach (
                    var file in files.Where(f =>
                        f.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)
                        || f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
                    )
                )
                {
                    var relative = Path.GetRelativePath(workspace.Root, file).Replace('\\', '/');
                    try
                    {
                        columns.AddRange(ReadColumns(file, relative, stage.Address));
                    }
                    catch (IOException)
                    {
                        // Replaced or removed while a running stage writes it: read again next time.
                    }
                }
            }
        }

        return columns;
    }

    private static IEnumerable<PlotColumn> ReadColumns(string file, string relative, string stage)
    {
        var separator = file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ',' : '\t';
        var lines = File.ReadAllLines(file);
        if (lines.Length < 2)
        {
            yield break;
        }

        var header = lines[0].Split(separator);
        if (header.Length < 2 || header[0] != "step")
        {
            yield break;
        }

        for (var column = 1; column < header.Length; column++)
        {
            var points = new List<(long, double)>();
            foreach (var line in lines.Skip(1))
            {
                var cells = line.Split(separator);
                if (
                    cells.Length > column
                    && long.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var step)
                    && double.TryParse(cells[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                )
                {
                    points.Add((step, value));
                }
            }

            yield return new PlotColumn(relative, header[column], stage, points);
        }
    }
}
