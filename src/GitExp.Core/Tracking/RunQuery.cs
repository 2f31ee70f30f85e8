namespace GitExp.Core.Tracking;

/// <summary>Which runs a list shows and in what order: <c>runs list</c> and the UI's runs page. Evaluated in SQL.</summary>
public sealed record RunQuery
{
    /// <summary>Archived runs instead of the others. Deleted runs are listed only with <see cref="Deleted"/>.</summary>
    public bool Archived { get; init; }

    /// <summary>The deleted runs (archived or not) instead of the others: what can still be restored.</summary>
    public bool Deleted { get; init; }

    /// <summary>Only the runs of this group (exact name).</summary>
    public string? Group { get; init; }

    public RunFilter? Filter { get; init; }

    /// <summary>Free text: runs whose name, title, notes, commit or id contain it, case-insensitively.</summary>
    public string? Search { get; init; }

    public RunSort Sort { get; init; } = RunSort.Default;

    /// <summary>Bookmarked runs before the others, whatever the sort (the runs list); false for plain sort order.</summary>
    public bool BookmarkedFirst { get; init; } = true;
}

/// <summary>What a list is sorted by.</summary>
public enum RunSortField
{
    Created,
    Name,
    Title,
    Id,
    Status,
    Duration,
    Group,
    Tags,
    Commit,
    Metric,
    Param,
}

/// <summary>
/// A sort key of <c>runs list --sort</c> and the runs page. Runs without the value come last in either direction;
/// ties keep the list order (newest first). Metric and param values sort numbers before text (ascending).
/// </summary>
public sealed record RunSort(RunSortField Field, string? Key, bool Descending)
{
    public static RunSort Default { get; } = new(RunSortField.Created, null, Descending: true);

    private const string Expected =
        "expected created, name, title, id, status, duration, group, tags, commit, metrics.<key> or params.<key>";

    /// <summary>Parses a sort key (null: created); an unknown one is a usage error naming <paramref name="flag"/>.</summary>
    public static RunSort Parse(string? key, bool descending, string flag = "--sort")
    {
        var lower = key?.ToLowerInvariant();
        if (lower is not null && lower.StartsWith("metrics.", StringComparison.Ordinal) && key!.Length > "metrics.".Length)
        {
            return new RunSort(RunSortField.Metric, key["metrics.".Length..], descending);
        }

        if (lower is not null && lower.StartsWith("params.", StringComparison.Ordinal) && key!.Length > "params.".Length)
        {
            return new RunSort(RunSortField.Param, key["params.".Length..], descending);
        }

        var field = lower switch
        {
            null or "created" => RunSortField.Created,
            "name" => RunSortField.Name,
            "title" => RunSortField.Title,
            "id" => RunSortField.Id,
            "status" => RunSortField.Status,
            "duration" => RunSortField.Duration,
            "group" => RunSortField.Group,
            "tags" => RunSortField.Tags,
            "commit" => RunSortField.Commit,
            _ => throw new ExpException(ExitCode.Usage, $"{flag} '{key}': {Expected}"),
        };
        return new RunSort(field, null, descending);
    }
}

/// <summary>The parts of a run to load besides its own fields; a list that shows no params need not read them.</summary>
[Flags]
public enum RunParts
{
    Fields = 0,
    Params = 1,
    Metrics = 2,
    Tags = 4,
    Artifacts = 8,
    Checkpoints = 16,
    Executions = 32,
    All = Params | Metrics | Tags | Artifacts | Checkpoints | Executions,
}
