using System.Text.Json.Nodes;
using GitExp.Core.Cache;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Execution;

/// <summary>Why a stage must run, in the user's words (empty when it is up to date).</summary>
public sealed record StageStatus(Stage Stage, IReadOnlyList<string> Reasons)
{
    public bool Changed => Reasons.Count > 0;
}

/// <summary>The current facts of a stage: its dep hashes and param values as they are on disk now.</summary>
internal sealed record StageInputs(
    IReadOnlyList<HashedPath> Deps,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonNode?>> Params,
    IReadOnlyList<string> MissingDeps
);

/// <summary>Compares a stage with its lock entry to tell whether and why it must run.</summary>
internal sealed class StageStatusChecker(ExpProject project, CacheSet caches)
{
    private readonly Dictionary<string, ParamsFile> _paramsFiles = new(StringComparer.Ordinal);

    /// <param name="progress">Told the dep files that must be read to hash them.</param>
    public StageInputs ReadInputs(Stage stage, FileProgress? progress = null)
    {
        var deps = new List<HashedPath>();
        var missing = new List<string>();
        foreach (var dep in stage.Deps)
        {
            if (UrlDep.IsUrl(dep))
            {
                if (UrlDep.Read(stage, dep) is { } described)
                {
                    deps.Add(described);
                }
                else
                {
                    missing.Add(dep);
                }

                continue;
            }

            var full = project.FullPath(dep);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                missing.Add(dep);
                continue;
            }

            deps.Add(ToHashedPath(dep, caches.For(stage.PipelineFile).Hash(full, progress)));
        }

        var parameters = new SortedDictionary<string, IReadOnlyDictionary<string, JsonNode?>>(StringComparer.Ordinal);
        foreach (var group in stage.Params.GroupBy(p => p.File))
        {
            var file = LoadParams(group.Key);
            var values = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var reference in group)
            {
                if (reference.Key is null)
                {
                    foreach (var (key, value) in file.Flatten())
                    {
                        values[key] = value;
                    }
                }
                else if (file.TryGet(reference.Key, out var value))
                {
                    values[reference.Key] = value;
                }
                else
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Name}' uses param '{reference.Key}', which '{group.Key}' does not define"
                    );
                }
            }

            parameters[group.Key] = values;
        }

        return new StageInputs(deps, parameters, missing);
    }

    /// <param name="progress">Told the out files that must be read to hash them.</param>
    public StageStatus Check(Stage stage, StageLock? locked, StageInputs inputs, FileProgress? progress = null)
    {
        var reasons = new List<string>();
        if (stage.Frozen)
        {
            return new StageStatus(stage, reasons);
        }

        if (locked is null)
        {
            reasons.Add("never run");
            return new StageStatus(stage, reasons);
        }

        if (stage.AlwaysChanged)
        {
            reasons.Add("always changed");
        }
        else if (stage.IsCallback)
        {
            reasons.Add("always changed: it has no deps");
        }

        if (locked.Command != CommandText(stage))
        {
            reasons.Add("command changed");
        }

        foreach (var dep in inputs.MissingDeps)
        {
            reasons.Add(MissingDepReason(dep));
        }

        var lockedDeps = ByPath(locked.Deps);
        // A dep written twice in dvc.yaml is loaded twice by DVC (and locked twice); it is one file.
        foreach (var dep in inputs.Deps.DistinctBy(d => d.Path))
        {
            if (!lockedDeps.Remove(dep.Path, out var before))
            {
                reasons.Add($"dep '{dep.Path}' added");
            }
            else if (before.Sha256 != dep.Sha256 || dep.Sha256.Length == 0)
            {
                // An empty hash is a URL whose server sends no ETag: nothing tells it unchanged (DVC: "new").
                reasons.Add($"dep '{dep.Path}' modified");
            }
        }

        foreach (var removed in lockedDeps.Keys.Where(k => !inputs.MissingDeps.Contains(k)))
        {
            reasons.Add($"dep '{removed}' removed");
        }

        CompareParams(locked.Params, inputs.Params, reasons);
        var lockedOuts = ByPath(locked.Outs);
        foreach (var output in stage.Outs)
        {
            var full = project.FullPath(output.Path);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                reasons.Add(MissingOutReason(output.Path));
            }
            else if (!lockedOuts.TryGetValue(output.Path, out var before))
            {
                reasons.Add($"out '{output.Path}' added");
            }
            else if (caches.For(stage.PipelineFile).Hash(full, progress).Sha256 != before.Sha256)
            {
                reasons.Add($"out '{output.Path}' modified");
            }
        }

        return new StageStatus(stage, reasons);
    }

    public static string CommandText(Stage stage) => string.Join("\n", stage.Commands);

    public static string MissingDepReason(string path) => $"dep '{path}' missing";

    public static string MissingOutReason(string path) => $"out '{path}' missing";

    /// <summary>
    /// Whether the stage's only changes are deps and outs missing from the workspace that its lock records (data
    /// not pulled or checked out): what <c>--allow-missing</c> lets pass as up to date.
    /// </summary>
    public static bool OnlyMissing(StageLock? locked, StageInputs inputs, StageStatus status)
    {
        if (locked is null)
        {
            return false;
        }

        var allowed = new HashSet<string>(StringComparer.Ordinal);
        allowed.UnionWith(locked.Deps.Where(d => inputs.MissingDeps.Contains(d.Path)).Select(d => MissingDepReason(d.Path)));
        allowed.UnionWith(locked.Outs.Select(o => MissingOutReason(o.Path)));
        return status.Reasons.Count > 0 && status.Reasons.All(allowed.Contains);
    }

    private static Dictionary<string, HashedPath> ByPath(IEnumerable<HashedPath> paths)
    {
        var result = new Dictionary<string, HashedPath>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            result.TryAdd(path.Path, path);
        }

        return result;
    }

    public static HashedPath ToHashedPath(string path, ContentHash hash) => new(path, hash.Sha256, hash.Size, hash.NFiles);

    public static ContentHash ToContentHash(HashedPath path) => new(path.Sha256, path.Size, path.NFiles);

    private static void CompareParams(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonNode?>> before,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonNode?>> now,
        List<string> reasons
    )
    {
        foreach (var (file, values) in now)
        {
            before.TryGetValue(file, out var old);
            foreach (var (key, value) in values)
            {
                if (old is null || !old.TryGetValue(key, out var oldValue))
                {
                    reasons.Add($"param '{key}' added");
                }
                else if (!JsonNode.DeepEquals(oldValue, value))
                {
                    reasons.Add($"param '{key}' changed ({Show(oldValue)} -> {Show(value)})");
                }
            }

            if (old is not null)
            {
                reasons.AddRange(old.Keys.Where(k => !values.ContainsKey(k)).Select(k => $"param '{k}' removed"));
            }
        }

        foreach (var file in before.Keys.Where(f => !now.ContainsKey(f)))
        {
            reasons.Add($"params of '{file}' removed");
        }
    }

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";

    private ParamsFile LoadParams(string repoPath)
    {
        if (!_paramsFiles.TryGetValue(repoPath, out var file))
        {
            file = ParamsFile.Load(project.FullPath(repoPath), repoPath);
            _paramsFiles[repoPath] = file;
        }

        return file;
    }
}
