using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core.Execution;
using GitExp.Core.Git;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using GitExp.Core.Serialization;

namespace GitExp.Core.Experiments;

/// <summary>The params and metrics of one revision, keyed <c>file:key</c> in file order.</summary>
public sealed record RevisionValues(IReadOnlyDictionary<string, JsonNode?> Params, IReadOnlyDictionary<string, JsonNode?> Metrics)
{
    private static readonly Dictionary<string, JsonNode?> None = new(StringComparer.Ordinal);

    /// <summary>
    /// The hash each stage dep had when the revision's lock files last recorded it, keyed by the dep's repo-relative
    /// path (DVC's deps columns); empty unless read through <see cref="ValueSources.WithDeps"/>.
    /// </summary>
    public IReadOnlyDictionary<string, JsonNode?> Deps { get; init; } = None;
}

/// <summary>Which files hold params and metrics, and reading them from commits (in one batch) or the workspace.</summary>
public sealed class ValueSources
{
    private readonly IReadOnlyList<Stage> _stages;
    private readonly IReadOnlyList<string> _lockFiles = [];
    private readonly ParamDeps? _paramDeps;

    private ValueSources(IReadOnlyList<Stage> stages, IReadOnlyList<string> paramsFiles, IReadOnlyList<string> metricsFiles)
    {
        _stages = stages;
        ParamsFiles = paramsFiles;
        MetricsFiles = metricsFiles;
    }

    private ValueSources(ValueSources from, IReadOnlyList<string> lockFiles, ParamDeps? paramDeps)
        : this(from._stages, from.ParamsFiles, from.MetricsFiles)
    {
        _lockFiles = lockFiles;
        _paramDeps = paramDeps;
    }

    public IReadOnlyList<string> ParamsFiles { get; }

    public IReadOnlyList<string> MetricsFiles { get; }

    /// <summary>
    /// These sources also reading each revision's lock files for the hashes of the stages' deps
    /// (<see cref="RevisionValues.Deps"/>), as DVC's <c>exp show</c> shows them.
    /// </summary>
    public ValueSources WithDeps() =>
        new(this, _stages.Select(s => LockFile.PathFor(s.PipelineFile)).Distinct(StringComparer.Ordinal).ToList(), _paramDeps);

    /// <summary>
    /// These sources keeping only the params some stage depends on (DVC's <c>--param-deps</c>): the keys a stage's
    /// <c>params</c> list (a key stands for everything under it), every key of a file listed whole, and values a stage
    /// interpolates from a file no stage lists params of (as DVC keeps its tracked vars).
    /// </summary>
    public ValueSources OnlyParamDeps() => new(this, _lockFiles, new ParamDeps(_stages));

    /// <summary>The params and metrics files named by the workspace's pipelines.</summary>
    /// <param name="warn">
    /// Given (show, diff): a malformed pipeline file does not stop the listing of what Git already holds; it is told
    /// through this, and the files HEAD's pipelines name are used instead. Null: a malformed pipeline is an error.
    /// </param>
    public static async Task<ValueSources> FromWorkspaceAsync(
        ExpProject project,
        CancellationToken cancellationToken = default,
        Action<string>? warn = null
    )
    {
        IReadOnlyList<Stage> stages;
        try
        {
            stages = (await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false)).Graph.Stages;
        }
        catch (ExpException e) when (warn is not null && e.Code == ExitCode.InvalidProject)
        {
            stages = await CommittedStagesAsync(project, cancellationToken).ConfigureAwait(false);
            warn($"{e.Message} (listing what Git holds, with the params and metrics files HEAD's pipeline names)");
        }

        // Params files a stage interpolates with ${...} are shown too, as DVC shows its tracked vars.
        var paramsFiles = stages
            .SelectMany(s => s.Params.Concat(s.UsedParams))
            .Select(p => p.File)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var metricsFiles = stages
            .SelectMany(s => s.Outs)
            .Where(o => o.Kind == OutKind.Metric)
            .Select(o => o.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new ValueSources(stages, paramsFiles, metricsFiles);
    }

    /// <summary>The stages of the pipeline files as HEAD has them; a file HEAD lacks or cannot parse adds none.</summary>
    private static async Task<IReadOnlyList<Stage>> CommittedStagesAsync(ExpProject project, CancellationToken cancellationToken)
    {
        var found = await project
            .Git.ListFilesAsync(
                [":(top,glob)**/" + PipelineIndex.DefaultPipelineFile, ":(top,glob)**/" + PipelineIndex.DvcPipelineFile],
                cancellationToken
            )
            .ConfigureAwait(false);
        var files = PipelineIndex.SelectPipelineFiles(found).ToList();
        var stages = new List<Stage>();
        using var reader = project.Git.OpenObjectReader();
        reader.ReadEach(
            files.Select(f => "HEAD:" + f).ToList(),
            (i, blob) =>
            {
                if (blob is null)
                {
                    return;
                }

                try
                {
                    stages.AddRange(PipelineParser.Parse(Encoding.UTF8.GetString(blob), files[i]).Stages);
                }
                catch (ExpException)
                {
                    // HEAD's file is malformed too: it names no files.
                }
            }
        );
        return stages;
    }

    /// <summary>
    /// Reads the values of many commits: those remembered in <paramref name="cache"/> (keyed <c>commit:file</c>),
    /// the rest through one <c>git cat-file --batch</c> (and remembered).
    /// </summary>
    public IReadOnlyList<RevisionValues> ReadCommits(GitRepository git, IReadOnlyList<string> commits, FactsFile? cache = null)
    {
        var files = ParamsFiles.Concat(MetricsFiles).Concat(_lockFiles).ToList();
        var isLock = files.Select((_, i) => i >= ParamsFiles.Count + MetricsFiles.Count).ToList();
        List<ColumnNames> Names() => [.. files.Select((f, i) => new ColumnNames(isLock[i] ? "" : f + ":"))];
        var names = Names();
        // One flat map (file:key -> value, in file order) per commit and file; null when the file is missing or unreadable.
        var maps = new List<KeyValuePair<string, JsonNode?>>?[commits.Count * files.Count];
        var remembered = new string?[maps.Length];
        for (var i = 0; i < maps.Length; i++)
        {
            var key = CacheKey(commits[i / files.Count], files[i % files.Count], isLock[i % files.Count]);
            remembered[i] = cache?.TryGet(key, out var json) == true ? json : null;
        }

        // The remembered maps are parsed on every core: 10,000 experiments are 20,000 of them. Each worker names
        // columns through its own copy of the names (the same text), so nothing is shared but the arrays.
        var workers = remembered.Length < 512 ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 4);
        Parallel.For(
            0,
            workers,
            new ParallelOptions { MaxDegreeOfParallelism = workers },
            worker =>
            {
                var own = worker == 0 ? names : Names();
                for (var i = maps.Length * worker / workers; i < maps.Length * (worker + 1) / workers; i++)
                {
                    if (remembered[i] is { } json && TryParseMap(json, own[i % files.Count], out var map))
                    {
                        maps[i] = map;
                        remembered[i] = ""; // parsed: not missing
                    }
                }
            }
        );
        var missing = new List<int>();
        for (var i = 0; i < maps.Length; i++)
        {
            if (remembered[i] is not "")
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            using var reader = git.OpenObjectReader();
            // Each blob is parsed as it arrives: parsing one overlaps git reading the next (loose objects are slow to read).
            reader.ReadEach(
                missing.Select(i => ObjectOf(git, commits[i / files.Count]) + ":" + files[i % files.Count]).ToList(),
                (m, blob) =>
                {
                    var i = missing[m];
                    var f = i % files.Count;
                    var file = files[f];
                    maps[i] =
                        blob is null ? null
                        : isLock[f] ? LockedDeps(file, Encoding.UTF8.GetString(blob))
                        : Flatten(file, Encoding.UTF8.GetString(blob), names[f]);
                    cache?.Add(
                        CacheKey(commits[i / files.Count], file, isLock[f]),
                        MapJson(maps[i], isLock[f] ? 0 : file.Length + 1)
                    );
                }
            );

            cache?.Flush();
        }

        var results = new List<RevisionValues>(commits.Count);
        var indexes = new KeyIndex.Cache();
        for (var c = 0; c < commits.Count; c++)
        {
            var offset = c * files.Count;
            results.Add(Build(path => maps[offset + files.IndexOf(path)], indexes));
        }

        return results;
    }

    /// <summary>
    /// The commit's tree when its facts are known (listing experiments just read them): <c>tree:path</c> spares git
    /// reading the commit object again for every file, a third of its reads when objects are loose.
    /// </summary>
    private static string ObjectOf(GitRepository git, string commit) =>
        git.CommitFactsCache?.TryGet(commit, out var json) == true && CommitFacts.TryParse(json, out var facts)
            ? facts.Tree
            : commit;

    /// <summary>A lock file's entries are cached apart from a params or metrics file that might share its name.</summary>
    private static string CacheKey(string commit, string file, bool isLock) => commit + ":" + file + (isLock ? "#deps" : "");

    public RevisionValues ReadWorkspace(string root) =>
        Build(path =>
        {
            var full = Path.Combine(root, path);
            if (!File.Exists(full))
            {
                return null;
            }

            return _lockFiles.Contains(path)
                ? LockedDeps(path, File.ReadAllText(full))
                : Flatten(path, File.ReadAllText(full), new ColumnNames(path + ":"));
        });

    private RevisionValues Build(
        Func<string, IReadOnlyList<KeyValuePair<string, JsonNode?>>?> read,
        KeyIndex.Cache? indexes = null
    )
    {
        indexes ??= new KeyIndex.Cache();
        var parameters = Collect(ParamsFiles, read, indexes);
        if (_paramDeps is not null)
        {
            parameters = parameters.Where(p => _paramDeps.Covers(p.Key)).ToDictionary(StringComparer.Ordinal);
        }

        return new(parameters, Collect(MetricsFiles, read, indexes)) { Deps = Collect(_lockFiles, read, indexes) };
    }

    /// <summary>
    /// The hash of every dep a lock file records (params are not deps here, as in DVC), by repo-relative path; a path
    /// two stages depend on keeps the later stage's hash. Null when the lock cannot be parsed.
    /// </summary>
    private static List<KeyValuePair<string, JsonNode?>>? LockedDeps(string lockPath, string text)
    {
        LockFile locks;
        try
        {
            // The pipeline file's name only decides the lock's format: dvc.lock is DVC's, any other GitExp's.
            locks = LockFile.Parse(text, lockPath[..^".lock".Length] + ".yaml");
        }
        catch (ExpException)
        {
            return null;
        }

        var deps = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var dep in locks.Stages.Values.SelectMany(s => s.Deps))
        {
            deps[dep.Path] = JsonValue.Create(dep.Sha256);
        }

        return deps.ToList();
    }

    private static IReadOnlyDictionary<string, JsonNode?> Collect(
        IReadOnlyList<string> files,
        Func<string, IReadOnlyList<KeyValuePair<string, JsonNode?>>?> read,
        KeyIndex.Cache indexes
    )
    {
        var names = new List<string>();
        var values = new List<JsonNode?>();
        foreach (var file in files)
        {
            foreach (var (name, value) in read(file) ?? [])
            {
                names.Add(name);
                values.Add(value);
            }
        }

        // Commits of one project mostly have the same keys: they share one index and keep only their values.
        return indexes.Get(names) is { } index ? new IndexedValues(index, [.. values]) : Dictionary(names, values);
    }

    /// <summary>The names and values as a dictionary, a later value for a name winning.</summary>
    private static Dictionary<string, JsonNode?> Dictionary(List<string> names, List<JsonNode?> values)
    {
        var map = new Dictionary<string, JsonNode?>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            map[names[i]] = values[i];
        }

        return map;
    }

    /// <summary>A params or metrics file's leaf values under their column names; null when it cannot be parsed.</summary>
    private static List<KeyValuePair<string, JsonNode?>>? Flatten(string file, string text, ColumnNames names)
    {
        try
        {
            return ParamsFile
                .Parse(text, file)
                .Flatten()
                .Select(p => new KeyValuePair<string, JsonNode?>(names.Get(p.Key), p.Value))
                .ToList();
        }
        catch (ExpException)
        {
            // A malformed file in some old commit must not stop the whole table; its values stay empty.
            return null;
        }
    }

    /// <summary>The cache's form of a flat map: a JSON object of the leaf keys (column names without the file), or <c>null</c>.</summary>
    private static string MapJson(List<KeyValuePair<string, JsonNode?>>? map, int prefixLength)
    {
        if (map is null)
        {
            return "null";
        }

        return CompactJson.ToText(writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, value) in map)
            {
                writer.WritePropertyName(name.AsSpan(prefixLength));
                CompactJson.WriteValue(writer, value);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>Reads what <see cref="MapJson"/> wrote; false (a cache miss) for anything else.</summary>
    /// <remarks>
    /// A reader rather than <c>JsonNode.Parse</c>, and no allocation that is not kept: <c>exp show</c> reads a
    /// thousand of these per call. Scalars become the same kinds of values the params parser makes (a number
    /// keeps its exact text: when a long or double would print it differently, it stays the parsed JSON number).
    /// </remarks>
    private static bool TryParseMap(string json, ColumnNames names, out List<KeyValuePair<string, JsonNode?>>? map)
    {
        map = null;
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        var chars = ArrayPool<char>.Shared.Rent(json.Length);
        try
        {
            var length = Encoding.UTF8.GetBytes(json, bytes);
            var reader = new Utf8JsonReader(bytes.AsSpan(0, length));
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var values = new List<KeyValuePair<string, JsonNode?>>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = names.Get(chars.AsSpan(0, reader.CopyString(chars)));
                reader.Read();
                JsonNode? value;
                switch (reader.TokenType)
                {
                    case JsonTokenType.Null:
                        value = null;
                        break;
                    case JsonTokenType.True:
                        value = JsonValue.Create(true);
                        break;
                    case JsonTokenType.False:
                        value = JsonValue.Create(false);
                        break;
                    case JsonTokenType.String:
                        value = JsonValue.Create(reader.GetString());
                        break;
                    case JsonTokenType.Number:
                        value = Number(ref reader);
                        break;
                    default:
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        value = JsonNode.Parse(bytes.AsSpan(start, (int)reader.BytesConsumed - start));
                        break;
                }

                values.Add(new(name, value));
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }

            map = values;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static JsonNode? Number(ref Utf8JsonReader reader)
    {
        Span<byte> text = stackalloc byte[32];
        if (
            reader.TryGetInt64(out var integer)
            && integer.TryFormat(text, out var written, default, CultureInfo.InvariantCulture)
            && text[..written].SequenceEqual(reader.ValueSpan)
        )
        {
            return JsonValue.Create(integer);
        }

        if (
            reader.TryGetDouble(out var real)
            && real.TryFormat(text, out written, "R", CultureInfo.InvariantCulture)
            && text[..written].SequenceEqual(reader.ValueSpan)
        )
        {
            return JsonValue.Create(real);
        }

        return JsonNode.Parse(reader.ValueSpan);
    }

    /// <summary>Column names (<c>file:key</c>, or a dep's path) made once per key rather than once per commit.</summary>
    private sealed class ColumnNames
    {
        private readonly string _prefix;
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public ColumnNames(string prefix)
        {
            _prefix = prefix;
            _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public string Get(ReadOnlySpan<char> key)
        {
            if (!_lookup.TryGetValue(key, out var name))
            {
                var text = key.ToString();
                name = _prefix + text;
                _names[text] = name;
            }

            return name;
        }
    }
}

/// <summary>Which params columns (<c>file:key</c>) are some stage's dependency, as DVC's <c>--param-deps</c> decides.</summary>
internal sealed class ParamDeps
{
    private readonly HashSet<string> _wholeFiles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _filesWithDeps = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];

    public ParamDeps(IEnumerable<Stage> stages)
    {
        var used = new List<ParamRef>();
        foreach (var stage in stages)
        {
            foreach (var param in stage.Params)
            {
                _filesWithDeps.Add(param.File);
                if (param.Key is null)
                {
                    _wholeFiles.Add(param.File);
                }
                else
                {
                    _keys.Add(param.File + ":" + param.Key);
                }
            }

            used.AddRange(stage.UsedParams);
        }

        // DVC shows the values a stage interpolates only from files that are not already params deps.
        foreach (var param in used.Where(p => !_filesWithDeps.Contains(p.File)))
        {
            if (param.Key is null)
            {
                _wholeFiles.Add(param.File);
            }
            else
            {
                _keys.Add(param.File + ":" + param.Key);
            }
        }
    }

    /// <summary>True when the column is a dep: its file is listed whole, or a listed key is it or holds it.</summary>
    public bool Covers(string column)
    {
        var colon = column.IndexOf(':', StringComparison.Ordinal);
        if (_wholeFiles.Contains(column[..colon]))
        {
            return true;
        }

        return _keys.Exists(key =>
            column.StartsWith(key, StringComparison.Ordinal) && (column.Length == key.Length || column[key.Length] is '.' or '[')
        );
    }
}

/// <summary>Column names in order and the position of each: one per distinct key list, shared by the commits that have it.</summary>
internal sealed class KeyIndex
{
    private KeyIndex(string[] names, Dictionary<string, int> positions)
    {
        Names = names;
        Positions = positions;
    }

    public string[] Names { get; }

    public Dictionary<string, int> Positions { get; }

    /// <summary>The few indexes last made (params and metrics alternate), reused for commits with the same keys in the same order.</summary>
    public sealed class Cache
    {
        private readonly List<KeyIndex> _recent = [];

        /// <summary>The index of these names; null when a name repeats (the caller keeps a dictionary, last one wins).</summary>
        public KeyIndex? Get(List<string> names)
        {
            var wanted = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(names);
            foreach (var known in _recent)
            {
                if (known.Names.AsSpan().SequenceEqual(wanted))
                {
                    return known;
                }
            }

            var positions = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++)
            {
                if (!positions.TryAdd(names[i], i))
                {
                    return null;
                }
            }

            var index = new KeyIndex([.. names], positions);
            if (_recent.Count == 4)
            {
                _recent.RemoveAt(0);
            }

            _recent.Add(index);
            return index;
        }
    }
}

/// <summary>One commit's values over a shared <see cref="KeyIndex"/>: an array instead of a dictionary per commit.</summary>
internal sealed class IndexedValues(KeyIndex index, JsonNode?[] values) : IReadOnlyDictionary<string, JsonNode?>
{
    public JsonNode? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => index.Names;

    public IEnumerable<JsonNode?> Values => values;

    public int Count => values.Length;

    public bool ContainsKey(string key) => index.Positions.ContainsKey(key);

    public bool TryGetValue(string key, out JsonNode? value)
    {
        if (index.Positions.TryGetValue(key, out var i))
        {
            value = values[i];
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, JsonNode?>> GetEnumerator()
    {
        for (var i = 0; i < values.Length; i++)
        {
            yield return new(index.Names[i], values[i]);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
