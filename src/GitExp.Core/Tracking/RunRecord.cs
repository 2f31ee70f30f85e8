using System.Text.Json.Nodes;

namespace GitExp.Core.Tracking;

/// <summary>Where a run stands.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

/// <summary>A metric's latest value and its range over the run's steps.</summary>
public sealed record MetricSummary(JsonNode? Last, double? Min, double? Max);

/// <summary>An output of a run (out, metric or plot) with its content hash.</summary>
public sealed record ArtifactRecord(string Path, string Sha256, long Size, string Kind);

/// <summary>
/// One stage of a run as it happened: <paramref name="Status"/> is <c>ran</c>, <c>up-to-date</c>, <c>restored</c>
/// (from the run-cache), <c>frozen</c>, <c>failed</c>, <c>interrupted</c>, <c>would-run</c> or <c>declined</c>, or
/// <see cref="Running"/> while the run is still at it (then <paramref name="Finished"/> is its start);
/// <paramref name="CacheHit"/> is true when the stage's outs came from earlier work (up to date or restored).
/// </summary>
public sealed record ExecutionRecord(
    string Stage,
    string Status,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    bool CacheHit,
    int? ExitCode
)
{
    /// <summary>The status of the stage a running run is at now; replaced by how it went when it finishes.</summary>
    public const string Running = "running";

    /// <summary>The status of a stage whose run was stopped (Ctrl+C) or died while the stage ran.</summary>
    public const string Interrupted = "interrupted";

    public long DurationMs => (long)(Finished - Started).TotalMilliseconds;

    /// <summary>
    /// Whether the stage's outs are the run's own when it ends: it ran, was up to date, restored or frozen. Those of a
    /// stage that failed, was interrupted or never started are what an earlier run left in the workspace.
    /// </summary>
    public bool Completed => Status is "ran" or "up-to-date" or "restored" or "frozen";
}

/// <summary>Everything the run store keeps about one run.</summary>
public sealed record RunRecord
{
    public required string Id { get; init; }

    public string? ExperimentName { get; init; }

    public string? ExperimentRef { get; init; }

    /// <summary>The experiment commit the run produced (null until it finished).</summary>
    public string? Commit { get; init; }

    public required string Baseline { get; init; }

    public string? Branch { get; init; }

    /// <summary>Whether the workspace had changes against HEAD when the run started.</summary>
    public bool Dirty { get; init; }

    public string? GitUser { get; init; }

    public string Command { get; init; } = "";

    public string Host { get; init; } = Environment.MachineName;

    /// <summary>
    /// The process that runs it (on <see cref="Host"/>), recorded when it starts running: a run whose process is gone
    /// while the store still says <see cref="RunStatus.Running"/> is settled as interrupted. Null for runs recorded
    /// by an earlier <c>dotnet exp</c>, by reindex, and for queued ones.
    /// </summary>
    public Processes.ProcessIdentity? Process { get; init; }

    /// <summary>
    /// The run this one resumed: the interrupted (or failed) run whose last checkpoint its own first commit follows.
    /// </summary>
    public string? ResumedFrom { get; init; }

    /// <summary>workspace, queue, temp, or git (rebuilt from refs by reindex).</summary>
    public string Kind { get; init; } = "workspace";

    public RunStatus Status { get; init; }

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset? Started { get; init; }

    public DateTimeOffset? Finished { get; init; }

    public int? ExitCode { get; init; }

    public string? LogPath { get; init; }

    public string? Title { get; init; }

    public string? Notes { get; init; }

    public bool Bookmarked { get; init; }

    public bool Archived { get; init; }

    /// <summary>Soft-deleted: hidden everywhere until restored or purged.</summary>
    public bool Deleted { get; init; }

    /// <summary>A named set of runs (an "experiment" in MLflow or Kubeflow terms).</summary>
    public string? Group { get; init; }

    /// <summary>The schedule whose fire queued the run (a recurring run), if any.</summary>
    public string? Schedule { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Params as <c>file:key</c> → value.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Params { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Metrics as <c>file:key</c> → summary.</summary>
    public IReadOnlyDictionary<string, MetricSummary> Metrics { get; init; } = new Dictionary<string, MetricSummary>();

    public IReadOnlyList<ArtifactRecord> Artifacts { get; init; } = [];

    /// <summary>Checkpoint commits of the run, oldest first, with their steps.</summary>
    public IReadOnlyList<(string Commit, int Step)> Checkpoints { get; init; } = [];

    /// <summary>The stages the run executed (or skipped), in order.</summary>
    public IReadOnlyList<ExecutionRecord> Executions { get; init; } = [];

    public TimeSpan? Duration => Started is { } start && Finished is { } end ? end - start : null;
}

/// <summary>A named set of runs (an annotation, like an experiment in MLflow) and how many runs it holds.</summary>
public sealed record RunGroup(string Name, int Runs);

/// <summary>One page of runs, with how many runs match in all and the metric and param keys they use.</summary>
public sealed record RunPage(
    int Total,
    IReadOnlyList<RunRecord> Runs,
    IReadOnlyList<string> MetricKeys,
    IReadOnlyList<string> ParamKeys
);
