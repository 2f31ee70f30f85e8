namespace GitExp.Core.Tracking;

/// <summary>What <see cref="RunGroups"/> tells its front end it did.</summary>
public interface IRunGroupEvents
{
    void GroupCreated(string name);

    /// <summary>Runs were moved into <paramref name="group"/> (null: out of any group).</summary>
    void RunsMoved(IReadOnlyList<RunRecord> runs, string? group);
}

/// <summary>
/// Experiments as the web UI shows them: named groups of runs (a run's <see cref="RunRecord.Group"/>), created with a
/// description before any run is in them, listed with their run counts and best run, and runs moved between them.
/// </summary>
public sealed class RunGroups(RunStore store, IRunGroupEvents events)
{
    public const int MaxNameLength = 100;

    public void Create(string name, string? description)
    {
        var trimmed = name.Trim();
        if (trimmed.Length == 0)
        {
            throw new ExpException(ExitCode.Usage, "experiment name: expected a name, got nothing");
        }

        if (trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"experiment name '{trimmed}': expected at most {MaxNameLength} characters and no control characters"
            );
        }

        if (store.GroupExists(trimmed))
        {
            throw new ExpException(ExitCode.Conflict, $"experiment '{trimmed}' exists already: pick another name");
        }

        var text = description?.Trim();
        store.CreateGroup(trimmed, string.IsNullOrEmpty(text) ? null : text, DateTimeOffset.UtcNow);
        events.GroupCreated(trimmed);
    }

    /// <summary>Moves the runs into <paramref name="group"/> (null or empty: out of any group); all or none are found first.</summary>
    public IReadOnlyList<RunRecord> Move(IReadOnlyList<string> references, string? group)
    {
        if (references.Count == 0)
        {
            throw new ExpException(ExitCode.Usage, "move: name at least one run");
        }

        var edits = new RunEdits(store);
        var runs = references.Select(edits.Find).ToList();
        var target = string.IsNullOrWhiteSpace(group) ? "" : group.Trim();
        var moved = runs.Select(r => edits.Annotate(r.Id, new RunAnnotation { Group = target })).ToList();
        events.RunsMoved(moved, target.Length == 0 ? null : target);
        return moved;
    }
}
