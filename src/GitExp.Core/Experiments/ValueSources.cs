using System.Buffers;
using System.Text;
using System.Text.Json;
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

    /// <summary>
    /// Reads the values of many commits: those remembered in <paramref name="cache"/> (keyed <c>commit:file</c>),
    /// the rest through one <c>git cat-file --batch</c> (and remembered).
    /// </summary>
    public IReadOnlyList<RevisionValues> ReadCommits(GitRepository git, IReadOnlyList<string> commits, FactsFile? cache = null)
    {
        var files = ParamsFiles.Concat(MetricsFiles).ToList();
        // One flat map (key -> value, in file order) per commit and file; null when the file is missing or unreadable.
        var maps = new List<KeyValuePair<string, JsonNode?>>?[commits.Count * files.Count];
        var missing = new List<int>();
        for (var i = 0; i < maps.Length; i++)
        {
            var key = commits[i / files.Count] + ":" + files[i % files.Count];
            if (cache?.TryGet(key, out var json) == true && TryParseMap(json, out var map))
            {
                maps[i] = map;
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            using var reader = git.OpenObjectReader();
            var blobs = reader.ReadMany(missing.Select(i => commits[i / files.Count] + ":" + files[i % files.Count]).ToList());
            for (var m = 0; m < missing.Count; m++)
            {
                var i = missing[m];
                var file = files[i % files.Count];
                maps[i] = blobs[m] is { } blob ? Flatten(file, Encoding.UTF8.GetString(blob)) : null;
                cache?.Add(commits[i / files.Count] + ":" + file, MapJson(maps[i]));
            }

            cache?.Flush();
        }

        var results = new List<RevisionValues>(commits.Count);
        for (var c = 0; c < commits.Count; c++)
        {
            var offset = c * files.Count;
            results.Add(Build(path => maps[offset + files.IndexOf(path)]));
        }

        return results;
    }

    public RevisionValues ReadWorkspace(string root) =>
        Build(path =>
        {
            var full = Path.Combine(root, path);
            return File.Exists(full) ? Flatten(path, File.ReadAllText(full)) : null;
        });

    private RevisionValues Build(Func<string, IReadOnlyList<KeyValuePair<string, JsonNode?>>?> read) =>
        new(Collect(ParamsFiles, read), Collect(MetricsFiles, read));

    private static Dictionary<string, JsonNode?> Collect(
        IReadOnlyList<string> files,
        Func<string, IReadOnlyList<KeyValuePair<string, JsonNode?>>?> read
    )
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var (key, value) in read(file) ?? [])
            {
                values[file + ":" + key] = value;
            }
        }

        return values;
    }

    /// <summary>A params or metrics file's leaf values; null when it cannot be parsed.</summary>
    private static List<KeyValuePair<string, JsonNode?>>? Flatten(string file, string text)
    {
        try
        {
            return ParamsFile.Parse(text, file, file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)).Flatten().ToList();
        }
        catch (ExpException)
        {
            // A malformed file in some old commit must not stop the whole table; its values stay empty.
            return null;
        }
    }

    /// <summary>The cache's form of a flat map: a JSON object of the leaf keys, or <c>null</c>.</summary>
    private static string MapJson(List<KeyValuePair<string, JsonNode?>>? map)
    {
        if (map is null)
        {
            return "null";
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in map)
            {
                writer.WritePropertyName(key);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool TryParseMap(string json, out List<KeyValuePair<string, JsonNode?>>? map)
    {
        map = null;
        try
        {
            switch (JsonNode.Parse(json))
            {
                case null:
                    return true;
                case JsonObject obj:
                    map = obj.ToList();
                    // Detached, so a caller may put a value into another document.
                    obj.Clear();
                    return true;
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
