using GitExp.Core.Pipeline;
using GitExp.Testing;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>
/// The real DVC projects under <c>Pipeline/Corpus/dvc</c> (and DVC's example-get-started): each folder is one
/// project's root with its pipeline files as committed (see SOURCES.md there).
/// </summary>
public static class DvcCorpus
{
    public static DvcCorpusFiles Files { get; } = new(Path.Combine(AppContext.BaseDirectory, "Pipeline", "Corpus", "dvc"));

    /// <summary>
    /// Parses and expands every dvc.yaml of <paramref name="folder"/>, links the stages, reads each dvc.lock and
    /// compares every stage DVC locked with GitExp's expansion of it (a lock entry of a stage no longer in dvc.yaml
    /// is skipped, as DVC skips it): name, command (a list joined by newlines,
    /// as DVC's lock keeps it), dep paths and out paths (outs, metrics and plots). Null when all agree, else why not.
    /// </summary>
    public static string? Check(string folder)
    {
        var root = Path.Combine(Files.Root, folder);
        try
        {
            var files = Directory
                .EnumerateFiles(root, "dvc.yaml", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .ToList();
            var pipelines = files.Select(f => PipelineParser.Load(root, f)).ToList();
            StageGraph.Build(pipelines.SelectMany(p => p.Stages));
            foreach (var pipeline in pipelines)
            {
                var locked = LockFile.Load(root, pipeline.File, pipeline.Stages);
                foreach (var (name, entry) in locked.Stages)
                {
                    var stage = pipeline.Stages.FirstOrDefault(s => s.Name == name);
                    if (stage is null && !pipeline.Stages.Any(s => Group(s.Name) == Group(name)))
                    {
                        // A stage since deleted from dvc.yaml: DVC leaves its entry in the lock and ignores it.
                        continue;
                    }

                    if (stage is null)
                    {
                        return $"{locked.Path}: stage '{name}' is not in GitExp's expansion of {pipeline.File} ({string.Join(", ", pipeline.Stages.Select(s => s.Name))})";
                    }

                    var command = string.Join("\n", stage.Commands);
                    if (command != entry.Command)
                    {
                        return $"{locked.Path}: stage '{name}': cmd differs: GitExp '{command}', DVC '{entry.Command}'";
                    }

                    if (Differ(stage.Deps, entry.Deps.Select(d => d.Path)) is { } deps)
                    {
                        return $"{locked.Path}: stage '{name}': deps differ: {deps}";
                    }

                    if (Differ(stage.Outs.Select(o => o.Path), entry.Outs.Select(o => o.Path)) is { } outs)
                    {
                        return $"{locked.Path}: stage '{name}': outs differ: {outs}";
                    }
                }
            }
        }
        catch (ExpException e)
        {
            return e.Message;
        }

        return null;
    }

    // foreach and matrix stages are named group@key; the group is the name written in dvc.yaml.
    private static string Group(string name) => name.Split('@')[0];

    private static string? Differ(IEnumerable<string> ours, IEnumerable<string> dvcs)
    {
        var a = ours.Order(StringComparer.Ordinal).ToList();
        var b = dvcs.Order(StringComparer.Ordinal).ToList();
        return a.SequenceEqual(b) ? null : $"GitExp [{string.Join(", ", a)}], DVC [{string.Join(", ", b)}]";
    }
}
