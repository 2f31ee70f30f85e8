using System.Globalization;
using System.Text.Json.Nodes;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>Turns <c>-S</c> arguments into new params file texts: checked keys, sweeps expanded.</summary>
public static class ParamEdits
{
    public const string DefaultParamsFile = "params.yaml";

    /// <summary>The most experiments one sweep may queue unless the user raises the limit.</summary>
    public const int DefaultSweepLimit = 1000;

    /// <summary>Writes the values into the workspace's params files; a sweep here is a user error.</summary>
    public static void ApplyToWorkspace(ExpProject project, IReadOnlyList<ParamAssignment> assignments)
    {
        RefuseSweep(assignments);
        WriteToWorkspace(project, NewTexts(assignments, path => ReadWorkspaceFile(project, path)));
    }

    /// <summary>Everything <see cref="ApplyToWorkspace"/> would refuse, refused without writing anything.</summary>
    public static void CheckForWorkspace(ExpProject project, IReadOnlyList<ParamAssignment> assignments)
    {
        RefuseSweep(assignments);
        NewTexts(assignments, path => ReadWorkspaceFile(project, path));
    }

    /// <summary>A run in the workspace is one experiment: a sweep is a user error, as in DVC.</summary>
    public static void RefuseSweep(IReadOnlyList<ParamAssignment> assignments)
    {
        foreach (var assignment in assignments.Where(a => a.Sweep is not null))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{assignment}': a sweep runs one experiment per value, which needs --queue (quote the value to set a string with commas)"
            );
        }
    }

    /// <summary>Writes params file texts made by <see cref="NewTexts"/> into the workspace.</summary>
    public static void WriteToWorkspace(ExpProject project, IReadOnlyDictionary<string, string> texts)
    {
        foreach (var (file, text) in texts)
        {
            RepoPath.WriteAtomic(project.FullPath(file), text);
        }
    }

    /// <summary>
    /// The new text of every params file the assignments change, applied in order as Hydra applies
    /// overrides: <c>key=</c> changes a key the file has (a typo must not add an unused param silently),
    /// <c>+key=</c> adds one it does not have, <c>++key=</c> does either, <c>~key</c> deletes one.
    /// </summary>
    public static IReadOnlyDictionary<string, string> NewTexts(
        IReadOnlyList<ParamAssignment> assignments,
        Func<string, string> readText
    )
    {
        RefuseSweep(assignments);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in assignments.GroupBy(a => a.File ?? DefaultParamsFile))
        {
            var text = readText(group.Key);
            foreach (var assignment in group)
            {
                text = Apply(text, group.Key, assignment);
            }

            texts[group.Key] = text;
        }

        return texts;
    }

    private static string Apply(string text, string path, ParamAssignment assignment)
    {
        var file = ParamsFile.Parse(text, path);
        // Hydra addresses list items as 'layers.0'; the writers take 'layers[0]'.
        var key = ParamsFile.ListIndexKey(file.Root, assignment.Key);
        var exists = file.TryGet(key, out var current);
        var shown = assignment.Key;
        var prefix = assignment.File is null ? "" : assignment.File + ":";
        switch (assignment.Kind)
        {
            case ParamEditKind.Set when !exists:
                throw new ExpException(
                    ExitCode.Usage,
                    $"-S '{assignment}': '{path}' has no key '{shown}'; write -S '{prefix}+{shown}={assignment.Value}' to add it (or '++' to add or change it)"
                );
            // Hydra lets '+' replace a list or map that exists; anything else there is refused.
            case ParamEditKind.Add when exists && current is not null && assignment.ParseValue() is not (JsonObject or JsonArray):
                throw new ExpException(
                    ExitCode.Usage,
                    $"-S '{assignment}': '{path}' already has '{shown}'; write -S '{prefix}{shown}={assignment.Value}' to change it, or -S '{prefix}++{shown}={assignment.Value}' to add or change it"
                );
            case ParamEditKind.Delete when !exists:
                throw new ExpException(ExitCode.Usage, $"-S '{assignment}': '{path}' has no key '{shown}' to delete");
            case ParamEditKind.Delete when assignment.HasValue && !JsonNode.DeepEquals(current, assignment.ParseValue()):
                throw new ExpException(
                    ExitCode.Usage,
                    $"-S '{assignment}': '{shown}' in '{path}' is {ParamAssignment.ToJsonText(current)}, not {ParamAssignment.ToJsonText(assignment.ParseValue())}; nothing was deleted"
                );
            case ParamEditKind.Delete:
                return ParamsFile.DeleteInText(text, path, key);
            default:
                return ParamsFile.SetValuesInText(text, path, [assignment with { Key = key, Kind = ParamEditKind.Set }]);
        }
    }

    /// <summary>
    /// The cartesian product of every sweep, one set of assignments per experiment; one set when there is no
    /// sweep. As DVC: grouped by params file in the order files first appear, and a key given twice in a file
    /// keeps its first place and its last value; the first swept key varies slowest.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ParamAssignment>> ExpandSweep(IReadOnlyList<ParamAssignment> assignments, int limit)
    {
        if (assignments.All(a => a.Sweep is null))
        {
            return [assignments];
        }

        var ordered = assignments
            .GroupBy(a => a.File ?? DefaultParamsFile, StringComparer.Ordinal)
            .SelectMany(file => file.GroupBy(a => a.Prefix + a.Key, StringComparer.Ordinal).Select(key => key.Last()))
            .ToList();
        var total = 1L;
        foreach (var assignment in ordered)
        {
            total *= assignment.SweepValues().Count;
            if (total > limit)
            {
                throw new ExpException(
                    ExitCode.Usage,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"-S: the sweep expands to more than {limit} experiments; narrow it or raise --sweep-limit"
                    )
                );
            }
        }

        IEnumerable<IReadOnlyList<ParamAssignment>> sets =
        [
            [],
        ];
        foreach (var assignment in ordered)
        {
            var values = assignment.SweepValues();
            sets = sets.SelectMany(set =>
                values.Select(value => (IReadOnlyList<ParamAssignment>)[.. set, assignment with { Value = value, Sweep = null }])
            );
        }

        return sets.ToList();
    }

    /// <summary>
    /// A params file as the checkpoint a run continues from holds it: <c>-S</c> edits that file, since the
    /// checkpoint's files replace the workspace's.
    /// </summary>
    public static string ReadCheckpointFile(CatFileBatch reader, string checkpoint, string repoPath) =>
        (reader.Read(checkpoint + ":" + repoPath) is { } bytes ? ParamsFile.DecodeForEdit(bytes, repoPath) : null)
        ?? throw new ExpException(ExitCode.NotFound, $"-S: params file '{repoPath}' is not in checkpoint {checkpoint[..7]}");

    internal static string ReadWorkspaceFile(ExpProject project, string repoPath)
    {
        var full = project.FullPath(repoPath);
        return File.Exists(full)
            ? ParamsFile.DecodeForEdit(File.ReadAllBytes(full), repoPath)
            : throw new ExpException(ExitCode.NotFound, $"-S: params file '{repoPath}' does not exist");
    }
}
