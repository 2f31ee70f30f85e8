using System.Text;
using System.Text.Json.Nodes;
using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Experiments;

/// <summary>The params and metrics of one revision, keyed <c>file:key</c> in file order.</summary>
public sealed record RevisionValues(
    IReadOnlyDictionary<string, JsonNode?> Params,
    IReadOnlyDictionary<string, JsonNode?> Metrics
);

/// <summary>Which files hold params and metrics, and reading them from commits (in one batch) or the workspace.</summary>
public sealed class ValueSources
{
    private ValueSources(IReadOnlyList<string> paramsFiles, IReadOnlyList<string> metricsFiles)
    {
        ParamsFiles = paramsFiles;
        MetricsFiles = metricsFiles;
    }

    public IReadOnlyList<string> ParamsFiles { get; }

    public IReadOnlyList<string> MetricsFiles { get; }

    /// <summary>The params and metrics files named by the workspace's pipelines.</summary>
    public static async Task<ValueSources> FromWorkspaceAsync(ExpProject project, CancellationToken cancellationToken = default)
    {
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        var stages = index.Graph.Stages;
        var paramsFiles = stages.SelectMany(s => s.Params).Select(p => p.File).Distinct(StringComparer.Ordinal).ToList();
        var metricsFiles = stages
            .SelectMany(s => s.Outs)
            .Where(o => o.Kind == OutKind.Metric)
            .Select(o => o.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new ValueSources(paramsFiles, metricsFiles);
    }

    public RevisionValues ReadWorkspace(string root) =>
        Build(path =>
        {
            var full = Path.Combine(root, path);
            return File.Exists(full) ? File.ReadAllText(full) : null;
        });

    /// <summary>Reads the values of many commits through one <c>git cat-file --batch</c>.</summary>
    public IReadOnlyList<RevisionValues> ReadCommits(GitRepository git, IReadOnlyList<string> commits)
    {
        var files = ParamsFiles.Concat(MetricsFiles).ToList();
        var names = new List<string>(commits.Count * files.Count);
        foreach (var commit in commits)
        {
            foreach (var file in files)
            {
                names.Add(commit + ":" + file);
            }
        }

        using var reader = git.OpenObjectReader();
        var blobs = reader.ReadMany(names);
        var results = new List<RevisionValues>(commits.Count);
        for (var i = 0; i < commits.Count; i++)
        {
            var offset = i * files.Count;
            results.Add(
                Build(path =>
                {
                    var blob = blobs[offset + files.IndexOf(path)];
                    return blob is null ? null : Encoding.UTF8.GetString(blob);
                })
            );
        }

        return results;
    }

    private RevisionValues Build(Func<string, string?> read) => new(Collect(ParamsFiles, read), Collect(MetricsFiles, read));

    private static Dictionary<string, JsonNode?> Collect(IReadOnlyList<string> files, Func<string, string?> read)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var text = read(file);
            if (text is null)
            {
                continue;
            }

            ParamsFile parsed;
            try
            {
                parsed = ParamsFile.Parse(text, file, file.EndsWith(".json", StringComparison.OrdinalIgnoreCase));
            }
            catch (ExpException)
            {
                // A malformed file in some old commit must not stop the whole table; its values stay empty.
                continue;
            }

            foreach (var (key, value) in parsed.Flatten())
            {
                values[file + ":" + key] = value;
            }
        }

        return values;
    }
}
