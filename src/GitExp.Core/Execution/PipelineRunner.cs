using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GitExp.Core.Cache;
using GitExp.Core.Diagnostics;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.Execution;

/// <summary>What a failing stage does to the rest of a run.</summary>
public enum OnStageError
{
    /// <summary>The run stops at the first failure (the default).</summary>
    Stop,

    /// <summary>Stages that do not depend on a failed one still run; the run fails at the end (<c>-k</c>).</summary>
    KeepGoing,

    /// <summary>Every selected stage is tried, a failed one's dependents too, and the run succeeds: failures are reported, not raised (<c>--ignore-errors</c>, as DVC's <c>on_error="ignore"</c>).</summary>
    Ignore,
}

/// <summary>What happened to one stage in a run.</summary>
public enum StageAction
{
    UpToDate,
    Frozen,
    Ran,
    RestoredFromRunCache,
    WouldRun,
    Declined,

    /// <summary>Not run: a stage it depends on failed (<c>-k</c>, <c>--ignore-errors</c>).</summary>
    UpstreamFailed,

    /// <summary>Its command failed and the run went on (<c>-k</c>, <c>--ignore-errors</c>).</summary>
    Failed,
}

public sealed record StageOutcome(Stage Stage, StageAction Action, IReadOnlyList<string> Reasons);

/// <summary>
/// One stage as it went, told to <see cref="PipelineRunOptions.StageFinished"/>: <see cref="Outcome"/> when it
/// completed (ran, skipped or restored), null when it failed (<see cref="ExitCode"/> is the command's exit code,
/// or the error's) or was interrupted.
/// </summary>
public sealed record StageExecution(
    Stage Stage,
    StageOutcome? Outcome,
    DateTimeOffset Started,
    TimeSpan Duration,
    int? ExitCode,
    bool Interrupted = false
)
{
    /// <summary><c>ran</c>, <c>up-to-date</c>, <c>restored</c>, <c>frozen</c>, <c>would-run</c>, <c>declined</c>, <c>failed</c> or <c>interrupted</c>.</summary>
    public string Status =>
        Outcome?.Action switch
        {
            StageAction.Ran => "ran",
            StageAction.UpToDate => "up-to-date",
            StageAction.RestoredFromRunCache => "restored",
            StageAction.Frozen => "frozen",
            StageAction.WouldRun => "would-run",
            StageAction.Declined => "declined",
            StageAction.UpstreamFailed => "upstream-failed",
            _ => Interrupted ? "interrupted" : "failed",
        };

    /// <summary>The stage's outs came from earlier work, not from running it: up to date or restored from the run-cache.</summary>
    public bool CacheHit => Outcome?.Action is StageAction.UpToDate or StageAction.RestoredFromRunCache;
}

/// <summary>How to run a pipeline: which stages and in what mode.</summary>
public sealed record PipelineRunOptions
{
    public IReadOnlyList<string> Targets { get; init; } = [];

    public bool AllPipelines { get; init; }

    /// <summary>Run the selected stages even when nothing changed.</summary>
    public bool Force { get; init; }

    /// <summary>Run only the targets, not the stages they depend on.</summary>
    public bool SingleStage { get; init; }

    /// <summary>Run the targets and every stage after them, not the stages before (<c>--downstream</c>).</summary>
    public bool Downstream { get; init; }

    /// <summary>Run the whole pipeline each target belongs to (<c>-p/--pipeline</c>).</summary>
    public bool WholePipeline { get; init; }

    /// <summary>A target that is a folder means every pipeline file under it (<c>-R/--recursive</c>).</summary>
    public bool Recursive { get; init; }

    /// <summary>
    /// A stage whose only changes are deps or outs missing from the workspace, all of them recorded in its lock
    /// (data not pulled), counts as up to date (<c>--allow-missing</c>).
    /// </summary>
    public bool AllowMissing { get; init; }

    /// <summary>What a failing stage does to the rest of the run (<c>-k/--keep-going</c>, <c>--ignore-errors</c>).</summary>
    public OnStageError OnError { get; init; } = OnStageError.Stop;

    /// <summary>Stages (by address) to run even when unchanged: a resumed checkpointing stage.</summary>
    public IReadOnlySet<string> ForceStages { get; init; } = new HashSet<string>();

    /// <summary>Only tell what would run.</summary>
    public bool Dry { get; init; }

    /// <summary>Asked before each stage that would run (interactive mode); false skips it.</summary>
    public Func<Stage, IReadOnlyList<string>, bool>? Confirm { get; init; }

    /// <summary>How a stage command is stopped on cancellation; null kills it at once (see <see cref="StageStop"/>).</summary>
    public StageStop? Stop { get; init; }

    /// <summary>Extra environment variables for stage commands (EXP_NAME and friends).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string CurrentDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>
    /// Called when a stage signals a checkpoint, after its outs are in the cache and its lock entry is
    /// written; gets the step the stage wrote into the signal file, if any. Null: checkpoints are
    /// acknowledged but not recorded (a plain pipeline run outside an experiment).
    /// </summary>
    public Func<Stage, int?, CancellationToken, Task>? Checkpoint { get; init; }

    /// <summary>
    /// Where the running command's process id and start time are kept while it runs, so a later run can stop
    /// it if this one dies (<see cref="Processes.OrphanProcess"/>); null keeps none.
    /// </summary>
    public string? PidFile { get; init; }
}

/// <summary>Runs the stages of a project's pipelines in dependency order, skipping what is up to date.</summary>
public sealed class PipelineRunner(ExpProject project, IRunEvents events)
{
    // How often a running stage's checkpoint signal file is looked for: one stat, so cheap; it is
    // half the polling interval on average that every checkpoint waits before it is noticed.
    private const int CheckpointPollMs = 5;

    /// <summary>Stages selected by the options, in run order, each with the reasons it would run.</summary>
    public async Task<IReadOnlyList<StageStatus>> StatusAsync(
        PipelineRunOptions options,
        CancellationToken cancellationToken = default
    )
    {
        var (index, stages) = await SelectAsync(options, cancellationToken).ConfigureAwait(false);
        TellWarnings(index);
        var caches = project.OpenCaches();
        var checker = new StageStatusChecker(project, caches);
        var locks = new LockSet(project.Root, index);
        var statuses = new List<StageStatus>();
        // A checkpoint stage's lock entry is written before its checkpoint's commit: after an interrupted run it
        // may name outs no commit has, so it is not taken as up to date (what 'run' decides, decision 15).
        var interrupted =
            stages.Any(s => s.Outs.Any(o => o.Checkpoint))
            && await new Experiments.CheckpointPlanner(project)
                .LastRunInterruptedAsync(
                    await project.Git.HeadCommitAsync(cancellationToken).ConfigureAwait(false),
                    cancellationToken
                )
                .ConfigureAwait(false);
        foreach (var stage in stages)
        {
            using var span = ExpTrace.Start($"status: stage '{stage.Address}'");
            var (inputs, status) = CheckStage(stage, checker, locks);
            if (interrupted && stage.Outs.Any(o => o.Checkpoint))
            {
                status = new StageStatus(
                    stage,
                    [.. status.Reasons, "interrupted: the last checkpointing run stopped before recording its work"]
                );
            }

            if (!status.Changed && statuses.Any(s => s.Changed && ProducesDepOf(index, s.Stage, stage)))
            {
                status = new StageStatus(stage, ["an upstream stage changed"]);
            }

            statuses.Add(status);
        }

        caches.Save();
        return statuses;
    }

    /// <summary>Runs the selected stages. A failing command throws <see cref="StageFailedException"/> after earlier stages' results are kept.</summary>
    public async Task<IReadOnlyList<StageOutcome>> RunAsync(
        string runId,
        PipelineRunOptions options,
        CancellationToken cancellationToken = default
    )
    {
        project.EnsureInitialized();
        var (index, stages) = await SelectAsync(options, cancellationToken).ConfigureAwait(false);
        TellWarnings(index);
        // Uncached outs (metrics, plots) live in Git; a copy in the cache (CopiesFor) lets the run-cache restore them too.
        var caches = project.OpenCaches();
        var runCache = new RunCache(project.CacheDirectory);
        var checker = new StageStatusChecker(project, caches);
        var locks = new LockSet(project.Root, index);
        var outcomes = new List<StageOutcome>();
        var failedStages = new HashSet<Stage>();
        StageFailedException? firstFailure = null;
        Directory.CreateDirectory(project.LogDirectory);
        using var log = new StreamWriter(
            Path.Combine(project.LogDirectory, runId + ".log"),
            append: true,
            new UTF8Encoding(false)
        );
        try
        {
            foreach (var stage in stages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var started = DateTimeOffset.UtcNow;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                StageOutcome outcome;
                if (
                    options.OnError == OnStageError.KeepGoing
                    && failedStages.Count > 0
                    && index.Graph.Upstream(stage).Any(failedStages.Contains)
                )
                {
                    // -k / --ignore-errors: what depends on a failed stage cannot run; independent branches go on.
                    failedStages.Add(stage);
                    events.StageSkipped(stage, StageAction.UpstreamFailed);
                    outcome = new StageOutcome(stage, StageAction.UpstreamFailed, []);
                    events.StageFinished(new StageExecution(stage, outcome, started, clock.Elapsed, null));
                    outcomes.Add(outcome);
                    continue;
                }

                try
                {
                    outcome = await RunStageAsync(
                            stage,
                            options,
                            checker,
                            caches.For(stage.PipelineFile),
                            caches.CopiesFor(stage.PipelineFile),
                            runCache,
                            locks,
                            runId,
                            log,
                            cancellationToken
                        )
                        .ConfigureAwait(false);
                }
                catch (Exception e)
                    when (options.OnError != OnStageError.Stop
                        && e is StageFailedException or ExpException { Code: ExitCode.NotFound or ExitCode.StageFailed }
                    )
                {
                    var failed = e as StageFailedException ?? new StageFailedException(stage, (int)((ExpException)e).Code);
                    events.Warning(
                        $"stage '{stage.Address}' failed ({e.Message}); going on with the stages that do not depend on it"
                    );
                    events.StageFinished(new StageExecution(stage, null, started, clock.Elapsed, failed.ExitCode));
                    failedStages.Add(stage);
                    firstFailure ??= failed;
                    outcomes.Add(new StageOutcome(stage, StageAction.Failed, []));
                    continue;
                }
                catch (Exception e) when (e is StageFailedException or ExpException or OperationCanceledException)
                {
                    var code = e switch
                    {
                        StageFailedException failed => failed.ExitCode,
                        ExpException user => (int)user.Code,
                        _ => (int?)null,
                    };
                    events.StageFinished(
                        new StageExecution(stage, null, started, clock.Elapsed, code, e is OperationCanceledException)
                    );
                    throw;
                }

                events.StageFinished(new StageExecution(stage, outcome, started, clock.Elapsed, null));
                outcomes.Add(outcome);
            }
        }
        finally
        {
            caches.Save();
        }

        if (firstFailure is not null && options.OnError == OnStageError.KeepGoing)
        {
            throw firstFailure;
        }

        return outcomes;
    }

    private async Task<StageOutcome> RunStageAsync(
        Stage stage,
        PipelineRunOptions options,
        StageStatusChecker checker,
        ContentCache cache,
        ContentCache copies,
        RunCache runCache,
        LockSet locks,
        string runId,
        StreamWriter log,
        CancellationToken cancellationToken
    )
    {
        if (stage.Frozen)
        {
            events.StageSkipped(stage, StageAction.Frozen);
            return new StageOutcome(stage, StageAction.Frozen, []);
        }

        var (inputs, status) = CheckStage(stage, checker, locks);
        if (options.AllowMissing && StageStatusChecker.OnlyMissing(locks.Get(stage), inputs, status))
        {
            events.StageSkipped(stage, StageAction.UpToDate);
            return new StageOutcome(stage, StageAction.UpToDate, []);
        }

        if (inputs.MissingDeps.Count > 0 && !options.Dry)
        {
            throw new ExpException(
                ExitCode.NotFound,
                $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Name}' depends on '{inputs.MissingDeps[0]}', which does not exist and no stage before it creates"
            );
        }

        var forced = options.Force || options.ForceStages.Contains(stage.Address);
        var reasons = forced && !status.Changed ? ["forced"] : status.Reasons;
        if (reasons.Count == 0)
        {
            events.StageSkipped(stage, StageAction.UpToDate);
            return new StageOutcome(stage, StageAction.UpToDate, []);
        }

        if (options.Dry)
        {
            events.StageWouldRun(stage, reasons, ShellCommand.Lines(stage.Commands));
            return new StageOutcome(stage, StageAction.WouldRun, reasons);
        }

        if (options.Confirm is not null && !options.Confirm(stage, reasons))
        {
            return new StageOutcome(stage, StageAction.Declined, reasons);
        }

        var key = RunCache.Key(RunCacheText(stage, inputs));
        // A checkpointing stage continues from what its checkpoint outs hold, and an always_changed one reads
        // something no dep names (as in DVC): their inputs do not determine their result, so they never take
        // part in the run-cache.
        var checkpointing = stage.Outs.Any(o => o.Checkpoint);
        // An out outside the repository is never cached (decision 37), so the run-cache could not restore it; a URL
        // dep's server may serve other bytes under an ETag it reuses, so DVC keeps such a stage out of it too.
        var runCached =
            !checkpointing
            && !stage.RunsEveryTime
            && !stage.Outs.Any(o => RepoPath.IsOutside(o.Path))
            && !stage.Deps.Any(UrlDep.IsUrl);
        if (
            !options.Force
            && runCached
            && TryRestore(stage, inputs, key, cache, copies, runCache, locks, reasons) is { } restored
        )
        {
            return restored;
        }

        // Single flight: parallel runs of an identical stage share the cache, so the first one runs it
        // and the others wait on its lock, then restore what it produced.
        using var flight = await FileLock
            .AcquireAsync(Path.Combine(project.CacheDirectory, "runs", "locks", key + ".lock"), cancellationToken)
            .ConfigureAwait(false);
        if (
            !options.Force
            && runCached
            && TryRestore(stage, inputs, key, cache, copies, runCache, locks, reasons) is { } restoredAfterWait
        )
        {
            return restoredAfterWait;
        }

        events.StageStarted(stage);
        // A checkpointing stage continues from its outs (model, metric history), so it keeps all of them;
        // EXP_RESUME tells it whether to continue or start over.
        var keepsOuts = stage.Outs.Any(o => o.Checkpoint);
        foreach (var output1 in stage.Outs)
        {
            if (output1.Persist || output1.Checkpoint || keepsOuts)
            {
                // The stage will write these in place: a link into the cache would let it change a cache object.
                ContentCache.Detach(project.FullPath(output1.Path));
            }
            else
            {
                ContentCache.RemoveOutput(project.FullPath(output1.Path));
            }
        }

        foreach (var output1 in stage.Outs)
        {
            var parent = Path.GetDirectoryName(project.FullPath(output1.Path));
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }
        }

        // A generated stage's name can hold any character of its foreach key ('/' too): escaped to stay one file name.
        var signal = Path.Combine(project.TempDirectory, "checkpoints", runId + "-" + Uri.EscapeDataString(stage.Name));
        Directory.CreateDirectory(Path.GetDirectoryName(signal)!);
        File.Delete(signal);
        var environment = new Dictionary<string, string?>(options.Environment)
        {
            ["EXP_ROOT"] = project.Root,
            ["EXP_RUN_ID"] = runId,
            ["EXP_CHECKPOINT_FILE"] = signal,
        };
        await log.WriteLineAsync(
                $"# stage {stage.Address} at {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}"
            )
            .ConfigureAwait(false);
        foreach (var command in ShellCommand.Lines(stage.Commands))
        {
            events.CommandStarted(stage, command);
            var running = ShellCommand.RunAsync(
                command,
                project.FullPath(stage.WorkingDirectory),
                environment,
                events,
                log,
                options.PidFile,
                options.Stop,
                cancellationToken
            );
            // The checkpoint protocol: the stage creates the signal file and waits until it is gone.
            while (!running.IsCompleted)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // The command is being stopped (it may take its grace time): no checkpoint, no busy wait.
                    break;
                }

                await Task.WhenAny(running, Task.Delay(CheckpointPollMs, cancellationToken)).ConfigureAwait(false);
                if (File.Exists(signal) && !running.IsCompleted)
                {
                    await TakeCheckpointAsync(stage, inputs, signal, cache, locks, options, cancellationToken)
                        .ConfigureAwait(false);
                }
            }

            var exitCode = await running.ConfigureAwait(false);
            if (exitCode != 0)
            {
                throw new StageFailedException(stage, exitCode);
            }
        }

        var outs = SaveOuts(stage, cache, (ExitCode.StageFailed, "stage '{0}' finished but did not create its out '{1}'"));

        if (runCached)
        {
            runCache.Put(key, outs);
        }

        locks.Set(stage, LockEntry(stage, inputs, outs));
        return new StageOutcome(stage, StageAction.Ran, reasons);
    }

    /// <summary>
    /// Records the workspace's deps, params and outs as the lock entries of the selected stages that changed,
    /// and saves their outs in the cache, without running anything (DVC's <c>commit --force</c>; what
    /// <c>exp save</c> does first). Frozen stages are left as they are.
    /// </summary>
    /// <returns>The stages whose lock entries were written.</returns>
    public async Task<IReadOnlyList<Stage>> CommitAsync(PipelineRunOptions options, CancellationToken cancellationToken = default)
    {
        project.EnsureInitialized();
        var (index, stages) = await SelectAsync(options, cancellationToken).ConfigureAwait(false);
        var caches = project.OpenCaches();
        var checker = new StageStatusChecker(project, caches);
        var locks = new LockSet(project.Root, index);
        var committed = new List<Stage>();
        try
        {
            foreach (var stage in stages.Where(s => !s.Frozen))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (inputs, status) = CheckStage(stage, checker, locks);
                if (!status.Changed)
                {
                    continue;
                }

                if (inputs.MissingDeps.Count > 0)
                {
                    throw new ExpException(
                        ExitCode.NotFound,
                        $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Name}' depends on '{inputs.MissingDeps[0]}', which does not exist: nothing to save for it (run it, or name other stages as targets)"
                    );
                }

                var outs = SaveOuts(
                    stage,
                    caches.For(stage.PipelineFile),
                    (
                        ExitCode.NotFound,
                        "stage '{0}' has no out '{1}' in the workspace: nothing to save for it (run it, or name other stages as targets)"
                    )
                );
                locks.Set(stage, LockEntry(stage, inputs, outs));
                committed.Add(stage);
            }
        }
        finally
        {
            caches.Save();
        }

        return committed;
    }

    /// <summary>Saves each out of the stage in the cache (cached outs) or as a copy (metrics, plots); a missing out is <paramref name="missing"/>'s error.</summary>
    private List<(string Path, ContentHash Hash)> SaveOuts(
        Stage stage,
        ContentCache cache,
        (ExitCode Code, string Format) missing
    )
    {
        var outs = new List<(string Path, ContentHash Hash)>();
        var caching = new FileProgress(FileWork.Caching, stage.Address, events.Progress);
        try
        {
            foreach (var spec in stage.Outs)
            {
                var full = project.FullPath(spec.Path);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    throw new ExpException(
                        missing.Code,
                        string.Format(CultureInfo.InvariantCulture, missing.Format, stage.Address, spec.Path)
                    );
                }

                outs.Add((spec.Path, Save(cache, spec, full, caching)));
            }
        }
        finally
        {
            caching.Finish();
        }

        return outs;
    }

    // A cached out is moved into the cache and linked back; an uncached one is copied (the run-cache restores it);
    // one outside the repository is only hashed: DVC never caches it either.
    private static ContentHash Save(ContentCache cache, OutSpec spec, string full, FileProgress caching) =>
        spec.Cache ? cache.Save(full, caching)
        : RepoPath.IsOutside(spec.Path) ? cache.Hash(full, caching)
        : cache.SaveCopy(full, caching);

    private async Task TakeCheckpointAsync(
        Stage stage,
        StageInputs inputs,
        string signal,
        ContentCache cache,
        LockSet locks,
        PipelineRunOptions options,
        CancellationToken cancellationToken
    )
    {
        var text = await File.ReadAllTextAsync(signal, cancellationToken).ConfigureAwait(false);
        int? step = int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var written)
            ? written
            : null;
        // Copies, and the workspace files left untouched: the stage goes on writing its outs after the
        // checkpoint, maybe through handles it keeps open.
        var outs = new List<(string Path, ContentHash Hash)>();
        var caching = new FileProgress(FileWork.Caching, stage.Address, events.Progress);
        try
        {
            foreach (var spec in stage.Outs)
            {
                var full = project.FullPath(spec.Path);
                if (File.Exists(full) || Directory.Exists(full))
                {
                    outs.Add(
                        (spec.Path, RepoPath.IsOutside(spec.Path) ? cache.Hash(full, caching) : cache.SaveCopy(full, caching))
                    );
                }
            }
        }
        finally
        {
            caching.Finish();
        }

        locks.Set(stage, LockEntry(stage, inputs, outs));
        if (options.Checkpoint is not null)
        {
            await options.Checkpoint(stage, step, cancellationToken).ConfigureAwait(false);
        }

        File.Delete(signal);
    }

    /// <summary>Hashes a stage's deps and outs (telling the events what must be read) and compares them with its lock entry.</summary>
    private (StageInputs Inputs, StageStatus Status) CheckStage(Stage stage, StageStatusChecker checker, LockSet locks)
    {
        var hashing = new FileProgress(FileWork.Hashing, stage.Address, events.Progress);
        try
        {
            var inputs = checker.ReadInputs(stage, hashing);
            return (inputs, checker.Check(stage, locks.Get(stage), inputs, hashing));
        }
        finally
        {
            hashing.Finish();
        }
    }

    private StageOutcome? TryRestore(
        Stage stage,
        StageInputs inputs,
        string key,
        ContentCache cache,
        ContentCache copies,
        RunCache runCache,
        LockSet locks,
        IReadOnlyList<string> reasons
    )
    {
        if (
            !runCache.TryGet(key, out var cachedOuts)
            || !cachedOuts.All(o => cache.Contains(o.Hash))
            || !SameOutSet(stage, cachedOuts)
        )
        {
            return null;
        }

        events.StageRestoredFromRunCache(stage);
        foreach (var (path, hash) in cachedOuts)
        {
            var cached = stage.Outs.First(o => o.Path == path).Cache;
            (cached ? cache : copies).Checkout(hash, project.FullPath(path));
        }

        locks.Set(stage, LockEntry(stage, inputs, cachedOuts));
        return new StageOutcome(stage, StageAction.RestoredFromRunCache, reasons);
    }

    private static StageLock LockEntry(Stage stage, StageInputs inputs, IEnumerable<(string Path, ContentHash Hash)> outs) =>
        new(
            stage.Name,
            StageStatusChecker.CommandText(stage),
            inputs.Deps,
            inputs.Params,
            outs.Select(o => StageStatusChecker.ToHashedPath(o.Path, o.Hash)).ToList()
        );

    private static bool SameOutSet(Stage stage, IReadOnlyList<(string Path, ContentHash Hash)> cachedOuts) =>
        stage
            .Outs.Select(o => o.Path)
            .Order(StringComparer.Ordinal)
            .SequenceEqual(cachedOuts.Select(o => o.Path).Order(StringComparer.Ordinal));

    private static string RunCacheText(Stage stage, StageInputs inputs)
    {
        var text = new StringBuilder();
        text.Append("cmd\n").Append(StageStatusChecker.CommandText(stage)).Append('\n');
        text.Append("wdir\n").Append(stage.WorkingDirectory).Append('\n');
        foreach (var dep in inputs.Deps.OrderBy(d => d.Path, StringComparer.Ordinal))
        {
            text.Append("dep ").Append(dep.Path).Append(' ').Append(dep.Sha256).Append('\n');
        }

        var parameters = new JsonObject();
        foreach (var (file, values) in inputs.Params)
        {
            var group = new JsonObject();
            foreach (var (key, value) in values)
            {
                group[key] = value?.DeepClone();
            }

            parameters[file] = group;
        }

        text.Append("params ").Append(parameters.ToJsonString()).Append('\n');
        foreach (var output in stage.Outs.OrderBy(o => o.Path, StringComparer.Ordinal))
        {
            text.Append("out ").Append(output.Path).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// Checks what <see cref="RunAsync"/> would select (targets, pipeline files, a pipeline with stages) and
    /// writes nothing, so a mistake is refused before a run touches the workspace or creates .exp/.
    /// </summary>
    public async Task CheckSelectionAsync(PipelineRunOptions options, CancellationToken cancellationToken = default) =>
        await SelectAsync(options, cancellationToken).ConfigureAwait(false);

    private async Task<(PipelineIndex Index, IReadOnlyList<Stage> Stages)> SelectAsync(
        PipelineRunOptions options,
        CancellationToken cancellationToken
    )
    {
        var extra = options
            .Targets.Select(t => t.LastIndexOf(':') is var colon and > 0 ? t[..colon] : t)
            .Where(PipelineIndex.IsPipelinePath)
            .Select(t => project.ToRepoPath(Path.Combine(options.CurrentDirectory, t)))
            .ToList();
        foreach (var file in extra.Where(f => !File.Exists(project.FullPath(f))))
        {
            throw new ExpException(ExitCode.NotFound, $"pipeline file '{file}' does not exist");
        }

        var index = await PipelineIndex.LoadAsync(project, extra, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<Stage> targets = options.AllPipelines
            ? index.AllStages()
            : index.Resolve(
                project,
                options.Recursive ? ExpandFolders(index, options.Targets, options.CurrentDirectory) : options.Targets,
                options.CurrentDirectory
            );
        if (options.WholePipeline)
        {
            targets = targets.SelectMany(index.Graph.Connected).Distinct().ToList();
        }

        if (options.SingleStage)
        {
            return (index, index.Graph.TopologicalOrder().Where(targets.Contains).ToList());
        }

        var selected = new HashSet<Stage>();
        foreach (var target in targets)
        {
            selected.UnionWith(options.Downstream ? index.Graph.Downstream(target) : index.Graph.Upstream(target));
        }

        return (index, index.Graph.TopologicalOrder().Where(selected.Contains).ToList());
    }

    /// <summary><c>-R</c>: a target that is a folder stands for every pipeline file under it.</summary>
    private List<string> ExpandFolders(PipelineIndex index, IReadOnlyList<string> targets, string currentDirectory)
    {
        var expanded = new List<string>();
        foreach (var target in targets)
        {
            var full = Path.GetFullPath(Path.Combine(currentDirectory, target));
            if (!Directory.Exists(full))
            {
                expanded.Add(target);
                continue;
            }

            var folder = project.ToRepoPath(full);
            var files = index
                .Pipelines.Select(p => p.File)
                .Where(f => folder is "" or "." || f.StartsWith(folder + "/", StringComparison.Ordinal))
                .ToList();
            if (files.Count == 0)
            {
                throw new ExpException(ExitCode.NotFound, $"target '{target}': no pipeline file under that folder (-R)");
            }

            expanded.AddRange(files.Select(f => Path.GetRelativePath(currentDirectory, project.FullPath(f))));
        }

        return expanded;
    }

    // What DVC warns of while reading the pipelines, told once per status or run.
    private void TellWarnings(PipelineIndex index)
    {
        foreach (var warning in index.Pipelines.SelectMany(p => p.Warnings))
        {
            events.Warning(warning);
        }
    }

    private static bool ProducesDepOf(PipelineIndex index, Stage producer, Stage consumer) =>
        consumer.Deps.Any(dep => index.Graph.FindProducer(dep) == producer);

    /// <summary>The lock files of the pipelines a run touches, written after each stage that ran.</summary>
    private sealed class LockSet(string root, PipelineIndex index)
    {
        private readonly Dictionary<string, LockFile> _files = new(StringComparer.Ordinal);

        public StageLock? Get(Stage stage) => Open(stage).Stages.GetValueOrDefault(stage.Name);

        public void Set(Stage stage, StageLock entry)
        {
            var file = Open(stage);
            file.Set(entry);
            file.Save(root);
        }

        private LockFile Open(Stage stage)
        {
            if (!_files.TryGetValue(stage.PipelineFile, out var file))
            {
                file = LockFile.Load(
                    root,
                    stage.PipelineFile,
                    index.Pipelines.FirstOrDefault(p => p.File == stage.PipelineFile)?.Stages
                );
                _files[stage.PipelineFile] = file;
            }

            return file;
        }
    }
}

/// <summary>A stage command exited with a non-zero code; the run stops there.</summary>
public sealed class StageFailedException(Stage stage, int exitCode)
    : Exception($"stage '{stage.Address}' failed: its command exited with code {exitCode}")
{
    public Stage Stage { get; } = stage;

    public int ExitCode { get; } = exitCode;
}
