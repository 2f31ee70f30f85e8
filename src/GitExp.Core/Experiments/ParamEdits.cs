using System.Globalization;
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

    /// <summary>A run in the workspace is one experiment: a list of values (a sweep) is a user error.</summary>
    public static void RefuseSweep(IReadOnlyList<ParamAssignment> assignments)
    {
        foreach (var assignment in assignments.Where(a => a.SweepValues().Count > 1))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"-S '{assignment.Key}={assignment.Value}': a list of values is a sweep, which needs --queue (quote the value to set a string with commas)"
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
    /// The new text of every params file the assignments change. A key the file does not have needs a
    /// leading '+' (a typo must not add an unused param silently).
    /// </summary>
    public static IReadOnlyDictionary<string, string> NewTexts(
        IReadOnlyList<ParamAssignment> assignments,
        Func<string, string> readText
    )
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in assignments.GroupBy(a => a.File ?? DefaultParamsFile))
        {
            var text = readText(group.Key);
            var file = ParamsFile.Parse(text, group.Key);
            var changes = new List<ParamAssignment>();
            foreach (var assignment in group)
            {
                var adding = assignment.Key.StartsWith('+');
                var key = adding ? assignment.Key[1..] : assignment.Key;
                if (!adding && !file.TryGet(key, out _))
                {
                    throw new ExpException(
                        ExitCode.Usage,
                        $"-S '{assignment.Key}={assignment.Value}': '{group.Key}' has no key '{key}'; write -S '+{key}={assignment.Value}' to add it"
                    );
                }

                changes.Add(assignment with { Key = key });
            }

            texts[group.Key] = ParamsFile.SetValuesInText(text, group.Key, changes);
        }

        return texts;
    }

    /// <summary>The cartesian product of every sweep (<c>lr=0.1,0.01</c>), in argument order; one set when there is no sweep.</summary>
    public static IReadOnlyList<IReadOnlyList<ParamAssignment>> ExpandSweep(IReadOnlyList<ParamAssignment> assignments, int limit)
    {
        var total = 1L;
        foreach (var assignment in assignments)
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
        foreach (var assignment in assignments)
        {
            var values = assignment.SweepValues();
            sets = sets.SelectMany(set =>
                values.Select(value => (IReadOnlyList<ParamAssignment>)[.. set, assignment with { Value = value }])
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
