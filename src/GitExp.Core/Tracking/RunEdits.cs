namespace GitExp.Core.Tracking;

/// <summary>
/// A change to a run's annotations. <see cref="Title"/>, <see cref="Notes"/> and <see cref="Group"/>: null keeps the
/// value, empty clears it. <see cref="Tags"/> (null keeps them) replaces the tags, then <see cref="AddTags"/> and
/// <see cref="RemoveTags"/> apply.
/// </summary>
public sealed record RunAnnotation
{
    public string? Title { get; init; }

    public string? Notes { get; init; }

    public string? Group { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    public IReadOnlyList<string> AddTags { get; init; } = [];

    public IReadOnlyList<string> RemoveTags { get; init; } = [];

    /// <summary>Whether it changes nothing at all: nothing was given.</summary>
    public bool IsEmpty =>
        Title is null && Notes is null && Group is null && Tags is null && AddTags.Count == 0 && RemoveTags.Count == 0;
}

/// <summary>
/// The edits a user makes to runs (annotate, tag, bookmark, archive, restore, delete, purge), with their validation and
/// messages: the one place the command line and the web UI both go through.
/// </summary>
/// <remarks>
/// An edit writes the run exactly as edited (<see cref="RunStore.Replace"/>), so it can clear an annotation, which
/// <see cref="RunStore.Save"/> (for a finishing run) never does. Every run named is found before anything changes,
/// so a typo in a list of ids changes nothing.
/// </remarks>
public sealed class RunEdits(RunStore store)
{
    /// <summary>A run by id, unique id prefix, or the name of the experiment it recorded (the latest such run).</summary>
    public RunRecord Find(string reference) =>
        store.Get(reference)
        ?? store.LatestNamed(reference)
        ?? throw new ExpException(
            ExitCode.NotFound,
            $"no run '{reference}': expected a run id, a unique id prefix or an experiment name (see 'dotnet exp runs list')"
        );

    /// <summary>Sets the annotations given; returns the run as saved.</summary>
    public RunRecord Annotate(string reference, RunAnnotation annotation)
    {
        if (annotation.IsEmpty)
        {
            throw new ExpException(ExitCode.Usage, "annotate: nothing to change; give a title, notes, tags or a group");
        }

        var add = Tags(annotation.AddTags);
        var remove = Tags(annotation.RemoveTags).ToHashSet(StringComparer.Ordinal);
        var set = annotation.Tags is null ? null : Tags(annotation.Tags);
        var run = Find(reference);
        return Write(
            run with
            {
                Title = Text(annotation.Title, run.Title),
                Notes = Text(annotation.Notes, run.Notes),
                // A group is picked from a list by its name: surrounding spaces would make a look-alike group.
                Group = Text(annotation.Group?.Trim(), run.Group),
                Tags = (set ?? run.Tags).Concat(add).Where(t => !remove.Contains(t)).Distinct(StringComparer.Ordinal).ToList(),
            }
        );
    }

    /// <summary>Bookmarks the runs (or takes the bookmark off).</summary>
    public IReadOnlyList<RunRecord> Bookmark(IEnumerable<string> references, bool on) =>
        Each(references, run => run with { Bookmarked = on });

    /// <summary>Hides the runs from the default lists.</summary>
    public IReadOnlyList<RunRecord> Archive(IEnumerable<string> references) =>
        Each(references, run => run with { Archived = true });

    /// <summary>Brings archived or deleted runs back.</summary>
    public IReadOnlyList<RunRecord> Restore(IEnumerable<string> references) =>
        Each(references, run => run with { Archived = false, Deleted = false });

    /// <summary>Soft-deletes the runs: hidden everywhere until restored or purged.</summary>
    public IReadOnlyList<RunRecord> Delete(IEnumerable<string> references) =>
        Each(references, run => run with { Deleted = true });

    /// <summary>Deletes the soft-deleted runs for good (their experiments in Git stay); returns how many.</summary>
    public int Purge() => store.Purge();

    private List<RunRecord> Each(IEnumerable<string> references, Func<RunRecord, RunRecord> change)
    {
        var runs = references.Select(Find).DistinctBy(r => r.Id).ToList();
        return runs.Select(run => Write(change(run))).ToList();
    }

    private RunRecord Write(RunRecord run)
    {
        store.Replace(run);
        return store.Get(run.Id)!;
    }

    /// <summary>Given: kept when null, cleared when empty.</summary>
    private static string? Text(string? given, string? current) =>
        given is null ? current
        : given.Length == 0 ? null
        : given;

    /// <summary>Tags without surrounding spaces; one with nothing else is refused.</summary>
    private static List<string> Tags(IEnumerable<string> tags)
    {
        var trimmed = tags.Select(t => t.Trim()).ToList();
        if (trimmed.Any(t => t.Length == 0))
        {
            throw new ExpException(ExitCode.Usage, "tag '': a tag needs a character other than a space");
        }

        return trimmed;
    }
}
