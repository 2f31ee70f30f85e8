using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>
/// A file or directory with its content hash; a directory's <see cref="Sha256"/> ends in ".dir" and it alone has
/// <see cref="NFiles"/>. For dvc.yaml pipelines the hash is DVC's MD5 (see <see cref="LockFile.HashKindOf"/>); a
/// <see cref="Size"/> of -1 means the lock did not record one (old DVC lock files). <see cref="Extra"/> holds the
/// keys of a dvc.lock entry GitExp does not act on (<c>isexec</c>, <c>cloud</c>, <c>version_id</c>, <c>files</c>,
/// another URL's <c>etag</c> or <c>checksum</c>), written back as read so rewriting DVC's lock loses nothing. For an
/// http(s) dep, <see cref="Sha256"/> holds its server's ETag (DVC's <c>checksum</c>), empty when the server sends none.
/// </summary>
public sealed record HashedPath(string Path, string Sha256, long Size, int? NFiles, JsonObject? Extra = null);

/// <summary>What a stage's last run saw and produced: the state a re-run is compared against.</summary>
/// <remarks><see cref="Params"/> maps params file → key → value.</remarks>
public sealed record StageLock(
    string Name,
    string Command,
    IReadOnlyList<HashedPath> Deps,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonNode?>> Params,
    IReadOnlyList<HashedPath> Outs
);

/// <summary>The lock file beside a pipeline file (exp.yaml → exp.lock): one <see cref="StageLock"/> per stage that has run.</summary>
/// <remarks>
/// Paths are repo-relative in the API and relative to the lock file's directory in the file, so a pipeline folder can move.
/// A dvc.yaml's dvc.lock is DVC's own format (schema 2.0, <c>hash: md5</c>), read and written as DVC 3 does; DVC 1's
/// (its stages at the top level, no schema) is read too and written as 2.0, as DVC 2 did.
/// </remarks>
public sealed partial class LockFile
{
    private const string Schema = "1.0";
    private const string DvcSchema = "2.0";
    private readonly OrderedDictionary<string, StageLock> stages = new(StringComparer.Ordinal);

    // DVC writes a stage's paths relative to its wdir; GitExp's exp.lock, relative to the lock file's folder.
    private readonly Dictionary<string, string> wdirs = new(StringComparer.Ordinal);

    private LockFile(string pipelineFile, IReadOnlyList<Stage>? pipelineStages)
    {
        PipelineFile = pipelineFile;
        Path = PathFor(pipelineFile);
        if (pipelineStages is null)
        {
            return;
        }

        StageOrder = pipelineStages.Select(s => s.Name).ToList();
        if (IsDvc)
        {
            foreach (var stage in pipelineStages)
            {
                wdirs.TryAdd(stage.Name, stage.WorkingDirectory);
            }
        }
    }

    public string PipelineFile { get; }

    /// <summary>True for a dvc.yaml's lock: DVC's format and MD5 hashes.</summary>
    public bool IsDvc => HashKindOf(PipelineFile) == Cache.HashKind.Md5;

    /// <summary>
    /// How the deps and outs of a pipeline file's stages are hashed: DVC's MD5 for a file named dvc.yaml (so its
    /// dvc.lock stays DVC's), SHA-256 for every other pipeline file.
    /// </summary>
    public static Cache.HashKind HashKindOf(string pipelineFile) =>
        pipelineFile == "dvc.yaml" || pipelineFile.EndsWith("/dvc.yaml", StringComparison.Ordinal)
            ? Cache.HashKind.Md5
            : Cache.HashKind.Sha256;

    /// <summary>Repo-relative path of the lock file.</summary>
    public string Path { get; }

    public IReadOnlyDictionary<string, StageLock> Stages => stages;

    /// <summary>Stage names in pipeline order; <see cref="Serialize"/> writes these first, in this order, then the rest as added.</summary>
    public IReadOnlyList<string>? StageOrder { get; set; }

    /// <summary>The lock path for a pipeline file: same folder and name, extension ".lock".</summary>
    public static string PathFor(string pipelineFile)
    {
        var file =
            RepoPath.Normalize(pipelineFile)
            ?? throw new ExpException(ExitCode.Usage, $"'{pipelineFile}': pipeline file must be a path inside the repository");
        var dir = RepoPath.DirectoryOf(file);
        var name = file[(dir.Length == 0 ? 0 : dir.Length + 1)..];
        var dot = name.LastIndexOf('.');
        var lockName = (dot > 0 ? name[..dot] : name) + ".lock";
        return dir.Length == 0 ? lockName : $"{dir}/{lockName}";
    }

    /// <param name="pipelineStages">
    /// The pipeline's stages, when known: their order is the file's (<see cref="StageOrder"/>), and a dvc.lock's
    /// paths are relative to each stage's <c>wdir</c>, as DVC writes them. Without them, paths are relative to the
    /// lock file's folder.
    /// </param>
    public static LockFile Load(string repoRoot, string pipelineFile, IReadOnlyList<Stage>? pipelineStages = null)
    {
        var full = RepoPath.ToFull(repoRoot, PathFor(pipelineFile));
        return File.Exists(full)
            ? Parse(File.ReadAllText(full), pipelineFile, pipelineStages)
            : new LockFile(RepoPath.Normalize(pipelineFile)!, pipelineStages);
    }

    /// <inheritdoc cref="Load" path="/param[@name='pipelineStages']"/>
    public static LockFile Parse(string text, string pipelineFile, IReadOnlyList<Stage>? pipelineStages = null)
    {
        var lockFile = new LockFile(
            RepoPath.Normalize(pipelineFile)
                ?? throw new ExpException(
                    ExitCode.Usage,
                    $"'{pipelineFile}': pipeline file must be a path inside the repository"
                ),
            pipelineStages
        );
        new Reader(lockFile.Path, lockFile.IsDvc, lockFile.BaseDirectory).Read(text, lockFile);
        return lockFile;
    }

    // What a stage's paths in the file are relative to.
    private string BaseDirectory(string stage) => wdirs.GetValueOrDefault(stage) ?? RepoPath.DirectoryOf(Path);

    public void Set(StageLock stage) => stages[stage.Name] = stage;

    public void Remove(string name) => stages.Remove(name);

    /// <summary>Deterministic YAML: the same locks always give the same bytes, so Git diffs show only real changes.</summary>
    public string Serialize()
    {
        var sb = new StringBuilder();
        sb.Append("schema: '").Append(IsDvc ? DvcSchema : Schema).Append("'\n");
        if (stages.Count == 0)
        {
            return sb.Append("stages: {}\n").ToString();
        }
        sb.Append("stages:\n");
        foreach (var stage in Ordered())
        {
            var dir = BaseDirectory(stage.Name);
            sb.Append("  ").Append(Str(stage.Name)).Append(":\n");
            var commands = stage.Command.Split('\n');
            if (IsDvc && commands.Length > 1)
            {
                // DVC keeps a list of commands as a list.
                sb.Append("    cmd:\n");
                foreach (var command in commands)
                {
                    sb.Append("    - ").Append(Str(command)).Append('\n');
                }
            }
            else
            {
                sb.Append("    cmd: ").Append(Str(stage.Command)).Append('\n');
            }

            WritePaths(sb, "deps", stage.Deps, dir, IsDvc);
            if (stage.Params.Count > 0)
            {
                sb.Append("    params:\n");
                foreach (var (file, values) in stage.Params.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sb.Append("      ").Append(Str(RepoPath.RelativeTo(dir, file))).Append(':');
                    if (values.Count == 0)
                    {
                        sb.Append(" {}\n");
                        continue;
                    }
                    sb.Append('\n');
                    foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
                    {
                        sb.Append("        ").Append(Str(key)).Append(": ").Append(Flow(value)).Append('\n');
                    }
                }
            }
            WritePaths(sb, "outs", stage.Outs, dir, IsDvc);
        }
        return sb.ToString();
    }

    public void Save(string repoRoot) => RepoPath.WriteAtomic(RepoPath.ToFull(repoRoot, Path), Serialize());

    private IEnumerable<StageLock> Ordered()
    {
        if (StageOrder is null)
        {
            return stages.Values;
        }
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in StageOrder)
        {
            rank.TryAdd(name, rank.Count);
        }
        // OrderBy is stable, so stages the pipeline does not know keep their insertion order at the end.
        return stages.Values.OrderBy(s => rank.TryGetValue(s.Name, out var r) ? r : int.MaxValue);
    }

    private static void WritePaths(StringBuilder sb, string key, IReadOnlyList<HashedPath> paths, string dir, bool dvc)
    {
        if (paths.Count == 0)
        {
            return;
        }
        sb.Append("    ").Append(key).Append(":\n");
        foreach (var p in paths)
        {
            // A URL, or an absolute path outside the repository, is kept as written (as DVC keeps it).
            var path =
                p.Path.Contains("://", StringComparison.Ordinal) || (RepoPath.IsOutside(p.Path) && !p.Path.StartsWith('.'))
                    ? p.Path
                    : RepoPath.RelativeTo(dir, p.Path);
            sb.Append("    - path: ").Append(Str(path)).Append('\n');
            if (RepoPath.IsHttpUrl(p.Path))
            {
                // DVC's HTTP dependency: its server's ETag, as DVC 3 writes it ('checksum', under 'hash: md5').
                if (dvc)
                {
                    sb.Append("      hash: md5\n");
                }

                if (p.Sha256.Length > 0)
                {
                    sb.Append("      checksum: ").Append(Str(p.Sha256)).Append('\n');
                }
            }
            else if (dvc)
            {
                sb.Append("      hash: md5\n");
                if (p.Sha256.Length > 0)
                {
                    sb.Append("      md5: ").Append(Str(p.Sha256)).Append('\n');
                }
            }
            else
            {
                sb.Append("      sha256: ").Append(Str(p.Sha256)).Append('\n');
            }

            if (p.Size >= 0)
            {
                sb.Append("      size: ").Append(p.Size.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            if (p.NFiles is { } n)
            {
                sb.Append("      nfiles: ").Append(n.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            foreach (var (name, value) in p.Extra ?? [])
            {
                sb.Append("      ").Append(name).Append(": ").Append(Flow(value)).Append('\n');
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_/.$][A-Za-z0-9_/.+=@$%~()-]*( [A-Za-z0-9_/.+=@,$%~()'""-]+)*$")]
    private static partial Regex BlockPlain();

    [GeneratedRegex(@"^[A-Za-z0-9_/.$][A-Za-z0-9_/.+=@$%~()-]*( [A-Za-z0-9_/.+=@$%~()-]+)*$")]
    private static partial Regex FlowPlain();

    /// <summary>A string as YAML: plain when that reads back as the same string, else double-quoted.</summary>
    private static string Str(string s, bool flow = false) =>
        (flow ? FlowPlain() : BlockPlain()).IsMatch(s) && !Yaml.PlainIsNotString(s) ? s : ParamAssignment.QuoteString(s);

    private static string Flow(JsonNode? value) =>
        value switch
        {
            null => "null",
            JsonObject obj => "{" + string.Join(", ", obj.Select(p => $"{Str(p.Key, flow: true)}: {Flow(p.Value)}")) + "}",
            JsonArray arr => "[" + string.Join(", ", arr.Select(Flow)) + "]",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => Str(v.GetValue<string>(), flow: true),
            _ => ParamAssignment.ToJsonText(value),
        };

    /// <summary>Reads the lock file's YAML with located errors.</summary>
    private sealed class Reader(string displayPath, bool dvc, Func<string, string> baseDirectory)
    {
        public void Read(string text, LockFile target)
        {
            var root = Yaml.LoadRoot(text, displayPath);
            if (root is null || Yaml.IsNull(root))
            {
                return;
            }
            var top = Map(root, "the lock file");
            if (dvc && !top.Children.Keys.Any(k => Yaml.ScalarText(k) is "schema" or "stages"))
            {
                // DVC 1 wrote its stages at the top level, with no schema (the same stage entries). DVC 2 read such a
                // file and wrote it as 2.0 on its next write, as Serialize does; DVC 3 refuses it.
                ReadStages(top, target);
                return;
            }

            foreach (var (k, v) in top.Children)
            {
                switch (Yaml.ScalarText(k))
                {
                    case "schema":
                        if (Yaml.ScalarText(v) != (dvc ? DvcSchema : Schema))
                        {
                            throw Yaml.Error(
                                displayPath,
                                v,
                                dvc
                                    ? $"'schema' must be '{DvcSchema}' (DVC 2 and 3 write '2.0'; DVC 1 wrote no schema)"
                                    : $"'schema' must be '{Schema}' (written by a different GitExp version?)"
                            );
                        }
                        break;
                    case "stages":
                        if (Yaml.IsNull(v))
                        {
                            break;
                        }
                        ReadStages(Map(v, "'stages'"), target);
                        break;
                    default:
                        throw Yaml.Error(displayPath, k, $"unknown key '{Yaml.ScalarText(k)}' (expected 'schema' or 'stages')");
                }
            }
        }

        private void ReadStages(YamlMappingNode map, LockFile target)
        {
            foreach (var (nameNode, body) in map.Children)
            {
                var stage = ReadStage(
                    Yaml.ScalarText(nameNode) ?? throw Yaml.Error(displayPath, nameNode, "stage names must be text"),
                    body
                );
                if (!target.stages.TryAdd(stage.Name, stage))
                {
                    throw Yaml.Error(displayPath, nameNode, $"stage '{stage.Name}' appears twice");
                }
            }
        }

        private StageLock ReadStage(string name, YamlNode body)
        {
            string? cmd = null;
            List<HashedPath> deps = [],
                outs = [];
            var parameters = new Dictionary<string, IReadOnlyDictionary<string, JsonNode?>>(StringComparer.Ordinal);
            foreach (var (k, v) in Map(body, $"stage '{name}'").Children)
            {
                var key = Yaml.ScalarText(k);
                switch (key)
                {
                    case "cmd":
                        cmd =
                            dvc && v is YamlSequenceNode commands
                                ? string.Join(
                                    "\n",
                                    commands.Children.Select(c =>
                                        Yaml.ScalarText(c)
                                        ?? throw Yaml.Error(displayPath, c, $"stage '{name}': each 'cmd' must be text")
                                    )
                                )
                                : Yaml.ScalarText(v) ?? throw Yaml.Error(displayPath, v, $"stage '{name}': 'cmd' must be text");
                        break;
                    case "deps":
                        deps = ReadPaths(name, key, v);
                        break;
                    case "outs":
                        outs = ReadPaths(name, key, v);
                        break;
                    case "params":
                        if (Yaml.IsNull(v))
                        {
                            break;
                        }
                        foreach (var (fileNode, values) in Map(v, $"stage '{name}': 'params'").Children)
                        {
                            var file = PathFrom(name, "params", fileNode);
                            var dict = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                            if (!Yaml.IsNull(values))
                            {
                                foreach (
                                    var (pk, pv) in Map(
                                        values,
                                        $"stage '{name}': params of '{Yaml.ScalarText(fileNode)}'"
                                    ).Children
                                )
                                {
                                    dict[
                                        Yaml.ScalarText(pk)
                                            ?? throw Yaml.Error(displayPath, pk, $"stage '{name}': param keys must be text")
                                    ] = Yaml.ToJson(pv, displayPath);
                                }
                            }
                            parameters[file] = dict;
                        }
                        break;
                    default:
                        throw Yaml.Error(
                            displayPath,
                            k,
                            $"stage '{name}': unknown key '{key}' (expected cmd, deps, params or outs)"
                        );
                }
            }
            return new StageLock(
                name,
                cmd ?? throw Yaml.Error(displayPath, body, $"stage '{name}': 'cmd' is required"),
                deps,
                parameters,
                outs
            );
        }

        private List<HashedPath> ReadPaths(string stage, string key, YamlNode node)
        {
            var result = new List<HashedPath>();
            if (Yaml.IsNull(node))
            {
                return result;
            }
            if (node is not YamlSequenceNode seq)
            {
                throw Yaml.Error(displayPath, node, $"stage '{stage}': '{key}' must be a list of {{path, {HashKey}, size}} maps");
            }
            foreach (var item in seq.Children)
            {
                string? path = null,
                    sha = null;
                long? size = null;
                int? nfiles = null;
                JsonObject? extra = null;
                (string Text, YamlNode Node)? checksum = null;
                foreach (var (k, v) in Map(item, $"stage '{stage}': '{key}' item").Children)
                {
                    switch (Yaml.ScalarText(k))
                    {
                        case "path":
                            path = PathFrom(stage, key, v);
                            break;
                        case "sha256" when !dvc:
                        case "md5" when dvc:
                            sha =
                                Yaml.ScalarText(v)
                                ?? throw Yaml.Error(displayPath, v, $"stage '{stage}': '{key}': '{HashKey}' must be text");
                            break;
                        case "hash" when dvc:
                            // DVC 3 writes 'md5'; a lock without 'hash' is DVC 2's (MD5 after CRLF -> LF for text).
                            if (Yaml.ScalarText(v) is not ("md5" or "md5-dos2unix"))
                            {
                                throw Yaml.Error(
                                    displayPath,
                                    v,
                                    $"stage '{stage}': '{key}': hash '{Yaml.ScalarText(v)}' is not supported (expected md5)"
                                );
                            }
                            break;
                        case "checksum" when Yaml.ScalarText(v) is { } text:
                            // An http(s) dep's ETag (DVC's HTTP checksum); another URL's is kept as read, below.
                            checksum = (text, v);
                            break;
                        // Kept as read: cloud versioning, executable bits, a URL's own checksum (DVC's lock schema).
                        case "isexec" or "cloud" or "version_id" or "files" or "etag" or "checksum" when dvc:
                            extra ??= [];
                            extra[Yaml.ScalarText(k)!] = Yaml.ToJson(v, displayPath);
                            break;
                        case "size":
                            size = Number(stage, key, "size", v);
                            break;
                        case "nfiles":
                            nfiles = (int)Number(stage, key, "nfiles", v);
                            break;
                        default:
                            throw Yaml.Error(
                                displayPath,
                                k,
                                $"stage '{stage}': '{key}': unknown key '{Yaml.ScalarText(k)}' (expected path, {HashKey}, size, nfiles)"
                            );
                    }
                }
                var http = path is not null && RepoPath.IsHttpUrl(path);
                if (http)
                {
                    // Its server's ETag is its hash; none means nothing tells it unchanged.
                    sha ??= checksum?.Text ?? "";
                }
                else if (checksum is { } kept)
                {
                    extra ??= [];
                    extra["checksum"] = Yaml.ToJson(kept.Node, displayPath);
                }

                // DVC writes a dep it could not hash (missing when the stage was committed) with its path alone, and
                // another URL with its server's etag or checksum: no md5, so it never matches what is on disk.
                if (dvc)
                {
                    sha ??= "";
                }

                // DVC leaves 'size' out of old lock files; GitExp always writes it.
                if (path is null || sha is null || (size is null && !dvc && !http))
                {
                    throw Yaml.Error(
                        displayPath,
                        item,
                        dvc
                            ? $"stage '{stage}': '{key}' items need 'path'"
                            : $"stage '{stage}': '{key}' items need 'path', 'sha256' and 'size'"
                    );
                }
                result.Add(new HashedPath(path, sha, size ?? -1, nfiles, extra));
            }
            return result;
        }

        private string HashKey => dvc ? "md5" : "sha256";

        private static bool IsUrl(string path) => path.Contains("://", StringComparison.Ordinal);

        private long Number(string stage, string key, string field, YamlNode node) =>
            node is YamlScalarNode s
            && long.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n <= (field == "nfiles" ? int.MaxValue : long.MaxValue)
                ? n
                : throw Yaml.Error(displayPath, node, $"stage '{stage}': '{key}': '{field}' must be a whole number");

        private string PathFrom(string stage, string key, YamlNode node)
        {
            var text = Yaml.ScalarText(node);
            if (text is not null && (dvc ? IsUrl(text) : RepoPath.IsHttpUrl(text)))
            {
                // DVC's external deps and outs are URLs, kept as they are (never a repository path).
                return text;
            }

            var dir = baseDirectory(stage);
            if (text is not null && RepoPath.Combine(dir, text) is { } p)
            {
                return p;
            }

            // A dep outside the repository (DVC hashes it there), or an uncached out DVC 3 writes there.
            if (
                text is not null
                && key is "deps" or "outs"
                && RepoPath.CombineAny(dir, text) is var outside
                && RepoPath.IsOutside(outside)
            )
            {
                return outside;
            }

            throw Yaml.Error(
                displayPath,
                node,
                $"stage '{stage}': '{key}': '{text}' must be a relative path inside the repository"
            );
        }

        private YamlMappingNode Map(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Yaml.Error(displayPath, node, $"{what} must be a map");
    }
}
