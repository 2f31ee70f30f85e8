using System.Text.Json;
using System.Text.RegularExpressions;
using GitExp.Core.Pipeline.Templating;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Pipeline;

/// <summary>Reads a pipeline file (exp.yaml, dvc.yaml or any name) with DVC's dvc.yaml stage schema.</summary>
public static partial class PipelineParser
{
    private static readonly string[] StageKeys =
    [
        "cmd",
        "wdir",
        "deps",
        "params",
        "outs",
        "metrics",
        "plots",
        "frozen",
        "always_changed",
        "desc",
        "meta",
    ];

    // Out options DVC accepts that GitExp does not act on yet; tolerated so dvc.yaml files load.
    private static readonly HashSet<string> IgnoredOutKeys = ["desc", "remote", "push", "type", "labels", "meta"];

    // DVC loads any name dvc.yaml holds ("Load Data" too); these characters would make a name unaddressable:
    // ':' and '/' in targets and files, '@' in foreach and matrix names, a leading '-' read as an option; and
    // '${' would look resolved, but DVC never resolves a stage's name.
    [GeneratedRegex(@"^(?!.*\$\{)[^\s:/\\@.\-\p{Cc}][^:/\\@\p{Cc}]*(?<!\s)$")]
    private static partial Regex StageName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*://")]
    private static partial Regex Url();

    [GeneratedRegex("^https?://[^/]", RegexOptions.IgnoreCase)]
    private static partial Regex HttpUrl();

    /// <summary>Loads <paramref name="relativeFile"/> (repo-relative) under <paramref name="repoRoot"/>.</summary>
    public static Pipeline Load(string repoRoot, string relativeFile)
    {
        var file = NormalizeFile(relativeFile);
        var full = RepoPath.ToFull(repoRoot, file);
        if (!File.Exists(full))
        {
            throw new ExpException(ExitCode.NotFound, $"{file}: pipeline file not found");
        }
        return Parse(
            File.ReadAllText(full),
            file,
            path => File.Exists(RepoPath.ToFull(repoRoot, path)) ? File.ReadAllText(RepoPath.ToFull(repoRoot, path)) : null
        );
    }

    /// <summary>Parses pipeline text as if it were the file <paramref name="relativeFile"/>, with no params files to read.</summary>
    public static Pipeline Parse(string yamlText, string relativeFile) => Parse(yamlText, relativeFile, _ => null);

    /// <summary>
    /// Parses pipeline text as if it were the file <paramref name="relativeFile"/>; templating reads params files
    /// (repo-relative paths) through <paramref name="readFile"/>, which gives null for a missing file.
    /// </summary>
    public static Pipeline Parse(string yamlText, string relativeFile, Func<string, string?> readFile)
    {
        var file = NormalizeFile(relativeFile);
        var root = Yaml.LoadRoot(yamlText, file);
        if (root is null || Yaml.IsNull(root))
        {
            return new Pipeline(file, []);
        }
        if (root is not YamlMappingNode top)
        {
            throw Yaml.Error(file, root, "expected a map with a 'stages' key");
        }
        var stages = new List<Stage>();
        var plots = new List<PlotDefinition>();
        // DVC resolves templating before it reads the stage schema; a file without any is read as it is.
        var template = PipelineTemplate.IsUsedBy(top) ? new PipelineTemplate(file, top, readFile) : null;
        foreach (var (keyNode, value) in top.Children)
        {
            var key = Yaml.ScalarText(keyNode);
            switch (key)
            {
                case "stages":
                    if (Yaml.IsNull(value))
                    {
                        break;
                    }
                    if (value is not YamlMappingNode map)
                    {
                        throw Yaml.Error(file, value, "'stages' must be a map of stage name to stage");
                    }
                    foreach (var (nameNode, body) in map.Children)
                    {
                        var name = CheckName(file, nameNode);
                        if (template is null)
                        {
                            stages.Add(ParseStage(file, name, nameNode, body));
                            continue;
                        }

                        foreach (var expanded in template.Expand(name, nameNode, body))
                        {
                            stages.Add(
                                ParseStage(file, expanded.Name, nameNode, expanded.Body) with
                                {
                                    UsedParams = expanded.UsedParams,
                                }
                            );
                        }
                    }
                    break;
                case "vars":
                    // Read by the template above (top-level vars are loaded before any stage resolves).
                    break;
                case "plots":
                    // Drawn by 'plots show'; like the declarations below, they add no stage, dep or out.
                    plots.AddRange(ParsePlots(file, template is null ? value : template.ResolveSection("plots", value)));
                    break;
                case "artifacts" or "metrics" or "params":
                    // DVC's project-level declarations (for 'dvc metrics/params show' and the model
                    // registry) add no stage, dep or out: a pipeline runs the same without them.
                    break;
                default:
                    throw Yaml.Error(
                        file,
                        keyNode,
                        $"unknown top-level key '{key}' (expected stages, vars, params, metrics, plots or artifacts)"
                    );
            }
        }
        return new Pipeline(file, stages)
        {
            TemplateInputs = template?.Inputs ?? [],
            Warnings = template?.Warnings ?? [],
            Plots = plots,
        };
    }

    private static string NormalizeFile(string relativeFile) =>
        RepoPath.Normalize(relativeFile) is { Length: > 0 } f
            ? f
            : throw new ExpException(ExitCode.Usage, $"'{relativeFile}': pipeline file must be a path inside the repository");

    // Written names only: '@' joins a foreach or matrix group's name and each generated stage's key.
    private static string CheckName(string file, YamlNode nameNode)
    {
        var name = Yaml.ScalarText(nameNode) ?? "";
        if (!StageName().IsMatch(name))
        {
            throw Yaml.Error(
                file,
                nameNode,
                $"invalid stage name '{name}': a name cannot hold ':', '/', '\\', '@' or '${{', nor start with '.', '-' or a space, nor end with a space"
                    + (name.Contains('@', StringComparison.Ordinal) ? " ('@' is for names foreach and matrix generate)" : "")
            );
        }

        return name;
    }

    private static Stage ParseStage(string file, string name, YamlNode nameNode, YamlNode body)
    {
        if (body is not YamlMappingNode map)
        {
            throw Yaml.Error(file, body, $"stage '{name}': expected a map with at least 'cmd'");
        }
        var ctx = new StageContext(file, name);
        var fields = new Dictionary<string, (YamlNode Key, YamlNode Value)>();
        foreach (var (k, v) in map.Children)
        {
            var key = Yaml.ScalarText(k) ?? "";
            if (!StageKeys.Contains(key))
            {
                throw ctx.Error(k, $"unknown key '{key}' (expected one of {string.Join(", ", StageKeys)})");
            }
            fields[key] = (k, v);
        }

        if (!fields.TryGetValue("cmd", out var cmdField))
        {
            throw ctx.Error(nameNode, "'cmd' is required");
        }
        var commands = ParseCommands(ctx, cmdField.Value);

        var pipelineDir = RepoPath.DirectoryOf(file);
        var wdir = pipelineDir;
        if (fields.TryGetValue("wdir", out var wdirField))
        {
            var text = Yaml.ScalarText(wdirField.Value);
            if (text is null || Yaml.IsNull(wdirField.Value))
            {
                throw ctx.Error(wdirField.Value, "'wdir' must be a directory path");
            }
            wdir =
                RepoPath.Combine(pipelineDir, text)
                ?? throw ctx.Error(wdirField.Value, $"'wdir' '{text}' must be a relative path inside the repository");
        }

        var deps = new List<string>();
        if (fields.TryGetValue("deps", out var depsField))
        {
            foreach (var item in List(ctx, depsField.Value, "deps", "a list of paths"))
            {
                var text = Yaml.ScalarText(item);
                if (text is null || text.Length == 0)
                {
                    throw ctx.Error(item, "'deps' must be a list of paths");
                }
                deps.Add(ResolvePath(ctx, wdir, item, "deps", text, Outside.Allowed));
            }
        }

        var parameters = fields.TryGetValue("params", out var paramsField) ? ParseParams(ctx, wdir, paramsField.Value) : [];

        var outs = new List<OutSpec>();
        foreach (var (key, kind) in new[] { ("outs", OutKind.Out), ("metrics", OutKind.Metric), ("plots", OutKind.Plot) })
        {
            if (fields.TryGetValue(key, out var f))
            {
                outs.AddRange(ParseOuts(ctx, wdir, f.Value, key, kind));
            }
        }

        return new Stage(
            name,
            file,
            commands,
            wdir,
            deps,
            parameters,
            outs,
            fields.TryGetValue("frozen", out var frozen) && Bool(ctx, frozen.Value, "frozen"),
            fields.TryGetValue("always_changed", out var always) && Bool(ctx, always.Value, "always_changed"),
            fields.TryGetValue("desc", out var desc) ? Text(ctx, desc.Value, "desc") : null,
            (int)nameNode.Start.Line
        );
    }

    private static List<string> ParseCommands(StageContext ctx, YamlNode node)
    {
        if (node is YamlScalarNode s && !Yaml.IsNull(s))
        {
            return [s.Value!];
        }
        if (node is YamlSequenceNode { Children.Count: > 0 } seq)
        {
            return seq
                .Children.Select(c =>
                    c is YamlScalarNode cs && !Yaml.IsNull(cs)
                        ? cs.Value!
                        : throw ctx.Error(c, "'cmd' must be a command or a list of commands")
                )
                .ToList();
        }
        throw ctx.Error(node, "'cmd' must be a command or a non-empty list of commands");
    }

    private static IEnumerable<YamlNode> List(StageContext ctx, YamlNode node, string key, string expected)
    {
        if (Yaml.IsNull(node))
        {
            return [];
        }
        return node is YamlSequenceNode seq ? seq.Children : throw ctx.Error(node, $"'{key}' must be {expected}");
    }

    // Where a path outside the repository may be: a dep (DVC hashes it and never caches it), an uncached out (DVC 3
    // refuses only cached outputs outside the project), nothing else (params files, metrics and plots, which GitExp
    // keeps in Git).
    private enum Outside
    {
        Refused,
        Allowed,
        CachedOut,
    }

    private static string ResolvePath(
        StageContext ctx,
        string wdir,
        YamlNode node,
        string key,
        string text,
        Outside outside = Outside.Refused
    )
    {
        if (key == "deps" && HttpUrl().IsMatch(text))
        {
            // DVC's HTTP dependency: its server's ETag stands for its hash (see UrlDep), kept as written.
            return text;
        }

        if (Url().IsMatch(text))
        {
            // DVC's external deps and outs (https://, s3://, gs://, azure://, remote://...): GitExp hashes and caches
            // files of the repository only, and a URL read as a path would silently become another file.
            var (what, instead) =
                key == "deps"
                    ? ("dependencies other than http(s)", "download it in the stage's cmd, or track a copy with 'dvc import-url'")
                    : ("outputs", "write the file in the repository, and upload it in the cmd if needed");
            throw ctx.Error(node, $"'{key}': '{text}' is a URL: external {what} are not supported; {instead}");
        }

        var path = RepoPath.Combine(wdir, text);
        if (path is { Length: > 0 })
        {
            return path;
        }

        var any = RepoPath.CombineAny(wdir, text);
        if (RepoPath.IsOutside(any))
        {
            if (outside == Outside.Allowed)
            {
                return any;
            }

            if (outside == Outside.CachedOut)
            {
                throw ctx.Error(
                    node,
                    $"'{key}': '{text}' is outside the repository, where a cached out cannot be (DVC 3 refuses it too); add 'cache: false' to write it there uncached"
                );
            }
        }

        throw ctx.Error(node, $"'{key}': '{text}' must be a relative path inside the repository");
    }

    private static List<ParamRef> ParseParams(StageContext ctx, string wdir, YamlNode node)
    {
        const string Expected = "a list of keys, 'file:key' items or {file: [keys]} maps";
        var result = new List<ParamRef>();
        var defaultFile = RepoPath.Combine(wdir, "params.yaml")!;
        foreach (var item in List(ctx, node, "params", Expected))
        {
            if (item is YamlScalarNode s && !Yaml.IsNull(s))
            {
                var text = s.Value!;
                var colon = text.LastIndexOf(':');
                if (colon < 0)
                {
                    result.Add(new ParamRef(defaultFile, CheckKey(ctx, item, text)));
                    continue;
                }
                var file = ResolvePath(ctx, wdir, item, "params", text[..colon]);
                var key = text[(colon + 1)..];
                result.Add(new ParamRef(file, key.Length == 0 ? null : CheckKey(ctx, item, key)));
                continue;
            }
            if (item is YamlMappingNode map)
            {
                foreach (var (fileNode, keys) in map.Children)
                {
                    var fileText = Yaml.ScalarText(fileNode);
                    if (string.IsNullOrEmpty(fileText))
                    {
                        throw ctx.Error(fileNode, $"'params' must be {Expected}");
                    }
                    var file = ResolvePath(ctx, wdir, fileNode, "params", fileText);
                    var keyNodes = List(ctx, keys, "params", $"a map of params file to a list of keys ('{fileText}' has no list)")
                        .ToList();
                    if (keyNodes.Count == 0)
                    {
                        result.Add(new ParamRef(file, null));
                    }
                    foreach (var keyNode in keyNodes)
                    {
                        var key = Yaml.ScalarText(keyNode);
                        if (string.IsNullOrEmpty(key))
                        {
                            throw ctx.Error(keyNode, $"'params': '{fileText}' must list parameter keys");
                        }
                        result.Add(new ParamRef(file, CheckKey(ctx, keyNode, key)));
                    }
                }
                continue;
            }
            throw ctx.Error(item, $"'params' must be {Expected}");
        }
        return result;
    }

    private static string CheckKey(StageContext ctx, YamlNode node, string key)
    {
        if (!KeyPath.TryParse(key, out _, out var error))
        {
            throw ctx.Error(node, $"'params': key '{key}' {error}");
        }
        return key;
    }

    private static IEnumerable<OutSpec> ParseOuts(StageContext ctx, string wdir, YamlNode node, string key, OutKind kind)
    {
        var expected = $"a list of paths or {{path: {{cache: ..., persist: ...}}}} maps";
        foreach (var item in List(ctx, node, key, expected))
        {
            var cache = kind == OutKind.Out;
            var persist = false;
            var plot = kind == OutKind.Plot ? new PlotProps() : null;
            var checkpoint = false;
            string? text;
            if (item is YamlScalarNode s && !Yaml.IsNull(s))
            {
                text = s.Value!;
            }
            else if (item is YamlMappingNode { Children.Count: 1 } map)
            {
                var (pathNode, options) = map.Children.First();
                text = Yaml.ScalarText(pathNode);
                if (string.IsNullOrEmpty(text))
                {
                    throw ctx.Error(pathNode, $"'{key}' must be {expected}");
                }
                if (!Yaml.IsNull(options))
                {
                    if (options is not YamlMappingNode optionMap)
                    {
                        throw ctx.Error(options, $"'{key}': options of '{text}' must be a map like {{cache: false}}");
                    }
                    foreach (var (optKey, optValue) in optionMap.Children)
                    {
                        var opt = Yaml.ScalarText(optKey) ?? "";
                        switch (opt)
                        {
                            case "cache":
                                cache = Bool(ctx, optValue, $"{key}: {text}: cache");
                                break;
                            case "persist":
                                persist = Bool(ctx, optValue, $"{key}: {text}: persist");
                                break;
                            case "checkpoint":
                                checkpoint = Bool(ctx, optValue, $"{key}: {text}: checkpoint");
                                break;
                            default:
                                // Plot properties shape 'plots show' only, not what a stage runs or caches.
                                if (
                                    !IgnoredOutKeys.Contains(opt)
                                    && !(
                                        plot is not null
                                        && TryPlotProp(
                                            ctx.File,
                                            wdir,
                                            $"stage '{ctx.Name}': {key}: {text}",
                                            opt,
                                            optValue,
                                            ref plot
                                        )
                                    )
                                )
                                {
                                    throw ctx.Error(
                                        optKey,
                                        $"'{key}': unknown option '{opt}' of '{text}' (expected cache, persist, checkpoint or desc)"
                                    );
                                }
                                break;
                        }
                    }
                }
                yield return new OutSpec(
                    ResolvePath(ctx, wdir, pathNode, key, text, OutsideFor(kind, cache)),
                    kind,
                    cache,
                    persist,
                    checkpoint
                )
                {
                    Plot = plot,
                };
                continue;
            }
            else
            {
                throw ctx.Error(item, $"'{key}' must be {expected}");
            }
            yield return new OutSpec(
                ResolvePath(ctx, wdir, item, key, text, OutsideFor(kind, cache)),
                kind,
                cache,
                persist,
                checkpoint
            )
            {
                Plot = kind == OutKind.Plot ? new PlotProps() : null,
            };
        }
    }

    private static Outside OutsideFor(OutKind kind, bool cache) =>
        kind != OutKind.Out ? Outside.Refused
        : cache ? Outside.CachedOut
        : Outside.Allowed;

    private static bool Bool(StageContext ctx, YamlNode node, string key) =>
        node is YamlScalarNode s
        && Yaml.IsPlain(s)
        && Yaml.TypePlain(s.Value ?? "") is { } v
        && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw ctx.Error(node, $"'{key}' must be true or false");

    private static string Text(StageContext ctx, YamlNode node, string key) =>
        Yaml.ScalarText(node) ?? throw ctx.Error(node, $"'{key}' must be text");

    private sealed record StageContext(string File, string Name)
    {
        public ExpException Error(YamlNode node, string message) => Yaml.Error(File, node, $"stage '{Name}': {message}");
    }
}
