using GitExp.Core.Pipeline;
using GitExp.Core.Project;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Remotes;

/// <summary>One cache remote as configured: its name, URL and options, and the file it came from.</summary>
/// <param name="Options">Every option but the URL (user, port, keyfile, password, jobs), merged from all files.</param>
/// <param name="BaseDirectory">What a relative folder URL is relative to (the repository root, or <c>.dvc/</c>).</param>
public sealed record CacheRemoteSettings(
    string Name,
    string Url,
    IReadOnlyDictionary<string, string> Options,
    string Source,
    string BaseDirectory
)
{
    /// <summary>"'storage' (ssh://host/srv/cache)".</summary>
    public string Display => $"'{Name}' ({Url})";

    public string? Option(string key) => Options.GetValueOrDefault(key);
}

/// <summary>
/// The cache remotes of a project: <c>remote</c> and <c>core.remote</c> in <c>.exp/config.yaml</c> (committed) and
/// <c>.exp/config.local.yaml</c> (ignored by Git: credentials and per-user settings), and, for a DVC project, the
/// <c>['remote "name"']</c> sections and <c>core.remote</c> of <c>.dvc/config</c> and <c>.dvc/config.local</c>.
/// GitExp's files win over DVC's, the local file over the committed one.
/// </summary>
public sealed class RemoteConfig
{
    public const string ConfigFile = ".exp/config.yaml";
    public const string LocalConfigFile = ".exp/config.local.yaml";

    /// <summary>Every option a remote takes besides its URL.</summary>
    public static readonly IReadOnlyList<string> OptionNames = ["url", "user", "port", "keyfile", "password", "jobs"];

    /// <summary>Options that are secrets or belong to one user's machine: always written to the local file.</summary>
    public static readonly IReadOnlyList<string> LocalOnlyOptions = ["keyfile", "password"];

    private RemoteConfig(IReadOnlyList<CacheRemoteSettings> remotes, string? defaultName)
    {
        Remotes = remotes;
        DefaultName = defaultName;
    }

    public IReadOnlyList<CacheRemoteSettings> Remotes { get; }

    /// <summary>The <c>core.remote</c> setting: the remote used when none is named.</summary>
    public string? DefaultName { get; }

    public CacheRemoteSettings? Find(string name) => Remotes.FirstOrDefault(r => r.Name == name);

    /// <summary>The named remote, or the default one; null when no name is given and there is no default.</summary>
    public CacheRemoteSettings? Resolve(string? name)
    {
        if (name is not null)
        {
            return Find(name)
                ?? throw new ExpException(
                    ExitCode.NotFound,
                    $"-r '{name}': no cache remote of that name{Known()} (see 'dotnet exp remote list')"
                );
        }

        if (DefaultName is null)
        {
            return null;
        }

        return Find(DefaultName)
            ?? throw new ExpException(
                ExitCode.InvalidProject,
                $"core.remote names '{DefaultName}', which is not a configured remote{Known()} (see 'dotnet exp remote default')"
            );
    }

    private string Known() => Remotes.Count == 0 ? "" : $" (configured: {string.Join(", ", Remotes.Select(r => r.Name))})";

    public static RemoteConfig Load(ExpProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var urls = new Dictionary<string, (string Url, string Source, string Base)>(StringComparer.Ordinal);
        var options = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        string? defaultName = null;

        void Merge(string source, string baseDir, string? core, Dictionary<string, Dictionary<string, string>> remotes)
        {
            defaultName = core ?? defaultName;
            foreach (var (name, values) in remotes)
            {
                var mine = options.TryGetValue(name, out var o) ? o : options[name] = new(StringComparer.Ordinal);
                foreach (var (key, value) in values)
                {
                    if (key == "url")
                    {
                        urls[name] = (value, source, baseDir);
                    }
                    else
                    {
                        mine[key] = value;
                    }
                }
            }
        }

        var dvc = Path.Combine(project.Root, ".dvc");
        foreach (var name in (string[])["config", "config.local"])
        {
            var path = Path.Combine(dvc, name);
            if (File.Exists(path))
            {
                var (core, remotes) = ReadDvc(File.ReadAllLines(path));
                Merge(".dvc/" + name, dvc, core, remotes);
            }
        }

        foreach (var display in (string[])[ConfigFile, LocalConfigFile])
        {
            var path = Path.Combine(project.Root, display);
            if (File.Exists(path))
            {
                var (core, remotes) = ReadYaml(File.ReadAllText(path), display);
                Merge(display, project.Root, core, remotes);
            }
        }

        var list = new List<CacheRemoteSettings>();
        foreach (var (name, values) in options.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!urls.TryGetValue(name, out var url))
            {
                // Options of a remote that has no URL anywhere (a local file's password for a removed remote).
                continue;
            }

            list.Add(new CacheRemoteSettings(name, url.Url, values, url.Source, url.Base));
        }

        return new RemoteConfig(list, defaultName);
    }

    /// <summary><c>dotnet exp remote add</c>: a new remote in the committed file (or the local one), optionally the default.</summary>
    public static void Add(ExpProject project, string name, string url, bool makeDefault, bool local)
    {
        ArgumentNullException.ThrowIfNull(project);
        CheckName(name);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new ExpException(ExitCode.Usage, "url: expected a folder path or ssh://[user@]host[:port]/path");
        }

        _ = RemoteLocation.Parse(url, project.Root);
        if (Load(project).Find(name) is { } existing)
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"remote '{name}' already exists in {existing.Source} ({existing.Url}); use 'dotnet exp remote modify {name} url <url>' to change it"
            );
        }

        var file = local ? LocalConfigFile : ConfigFile;
        Edit(project, file, text => Set(text, file, $"remote.{name}.url", url));
        if (makeDefault)
        {
            Edit(project, file, text => Set(text, file, "core.remote", name));
        }
    }

    /// <summary><c>dotnet exp remote remove</c>: the remote's section in both GitExp files, and core.remote if it named it.</summary>
    public static void Remove(ExpProject project, string name)
    {
        ArgumentNullException.ThrowIfNull(project);
        var existing = Load(project).Find(name) ?? throw NoSuch(project, name);
        if (existing.Source.StartsWith(".dvc/", StringComparison.Ordinal))
        {
            throw new ExpException(
                ExitCode.Conflict,
                $"remote '{name}' is DVC's, in {existing.Source}; remove it with 'dvc remote remove {name}'"
            );
        }

        foreach (var file in (string[])[ConfigFile, LocalConfigFile])
        {
            Edit(
                project,
                file,
                text =>
                {
                    var (core, remotes) = ReadYaml(text, file);
                    if (remotes.ContainsKey(name))
                    {
                        text = Delete(text, file, $"remote.{name}");
                    }

                    return core == name ? Delete(text, file, "core.remote") : text;
                }
            );
        }
    }

    /// <summary><c>dotnet exp remote default</c>: core.remote in the committed file (or the local one).</summary>
    public static void SetDefault(ExpProject project, string name, bool local)
    {
        ArgumentNullException.ThrowIfNull(project);
        _ = Load(project).Find(name) ?? throw NoSuch(project, name);
        var file = local ? LocalConfigFile : ConfigFile;
        Edit(project, file, text => Set(text, file, "core.remote", name));
    }

    /// <summary>
    /// <c>dotnet exp remote modify</c>: one option of a remote; <c>keyfile</c> and <c>password</c> always go to the
    /// local file, so they are never committed. Returns the file written.
    /// </summary>
    public static string Modify(ExpProject project, string name, string option, string? value, bool local)
    {
        ArgumentNullException.ThrowIfNull(project);
        _ = Load(project).Find(name) ?? throw NoSuch(project, name);
        if (!OptionNames.Contains(option))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"option '{option}': unknown remote option (expected one of {string.Join(", ", OptionNames)})"
            );
        }

        if (value is not null)
        {
            CheckOption(option, value, "option");
        }

        var file = local || LocalOnlyOptions.Contains(option) ? LocalConfigFile : ConfigFile;
        Edit(
            project,
            file,
            text =>
                value is not null ? Set(text, file, $"remote.{name}.{option}", value)
                : ReadYaml(text, file).Remotes.GetValueOrDefault(name)?.ContainsKey(option) == true
                    ? Delete(text, file, $"remote.{name}.{option}")
                : text
        );
        return file;
    }

    private static ExpException NoSuch(ExpProject project, string name) =>
        new(ExitCode.NotFound, $"no cache remote named '{name}'{Load(project).Known()} (see 'dotnet exp remote list')");

    private static void CheckName(string name)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ExpException(
                ExitCode.Usage,
                $"remote name '{name}': expected letters, digits, '-' and '_' only (it becomes a key in {ConfigFile})"
            );
        }
    }

    private static void CheckOption(string option, string value, string where)
    {
        if (option is "port" or "jobs" && (!int.TryParse(value, out var number) || number <= 0 || number > 65535))
        {
            throw new ExpException(ExitCode.Usage, $"{where} '{option}': '{value}' is not a positive whole number");
        }
    }

    private static void Edit(ExpProject project, string file, Func<string, string> change)
    {
        var path = Path.Combine(project.Root, file);
        var before = File.Exists(path) ? File.ReadAllText(path) : "";
        var after = change(before);
        if (after == before)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (file == LocalConfigFile)
        {
            EnsureIgnored(project);
        }

        RepoPath.WriteAtomic(path, after);
    }

    /// <summary>Projects made before the local file existed have a <c>.exp/.gitignore</c> without it.</summary>
    private static void EnsureIgnored(ExpProject project)
    {
        var ignore = Path.Combine(project.ExpDirectory, ".gitignore");
        var text = File.Exists(ignore) ? File.ReadAllText(ignore) : "";
        var entry = Path.GetFileName(LocalConfigFile);
        if (!text.Split('\n').Any(line => line.Trim() == entry))
        {
            File.WriteAllText(ignore, (text.Length == 0 || text.EndsWith('\n') ? text : text + "\n") + entry + "\n");
        }
    }

    private static string Set(string text, string file, string key, string value) =>
        new YamlEditor(text, file).Set(
            new ParamAssignment(null, key, ParamAssignment.QuoteString(value)) { Kind = ParamEditKind.AddOrSet }
        );

    private static string Delete(string text, string file, string key)
    {
        KeyPath.TryParse(key, out var path, out _);
        return new YamlEditor(text, file).Delete(key, path);
    }

    /// <summary>The <c>core.remote</c> and <c>remote</c> keys of a GitExp config file.</summary>
    internal static (string? Core, Dictionary<string, Dictionary<string, string>> Remotes) ReadYaml(string text, string display)
    {
        var remotes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        string? core = null;
        YamlStream yaml = [];
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ExpException(ExitCode.InvalidProject, $"{display}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            return (core, remotes);
        }

        foreach (var (keyNode, value) in root.Children)
        {
            switch (Yaml.ScalarText(keyNode))
            {
                case "core" when value is YamlMappingNode coreMap:
                    foreach (var (k, v) in coreMap.Children)
                    {
                        if (Yaml.ScalarText(k) != "remote" || Yaml.ScalarText(v) is not { } name)
                        {
                            throw Invalid(display, k, $"unknown key 'core.{Yaml.ScalarText(k)}' (expected 'remote: <name>')");
                        }

                        core = name.Length == 0 ? null : name;
                    }

                    break;
                case "remote" when value is YamlMappingNode remoteMap:
                    foreach (var (nameNode, settings) in remoteMap.Children)
                    {
                        var name = Yaml.ScalarText(nameNode) ?? "";
                        var values = remotes[name] = new(StringComparer.Ordinal);
                        if (settings is not YamlMappingNode settingsMap)
                        {
                            throw Invalid(display, nameNode, $"'remote.{name}' must be a mapping of options (url, ...)");
                        }

                        foreach (var (k, v) in settingsMap.Children)
                        {
                            var option = Yaml.ScalarText(k) ?? "";
                            if (!OptionNames.Contains(option) || Yaml.ScalarText(v) is not { } text2)
                            {
                                throw Invalid(
                                    display,
                                    k,
                                    $"'remote.{name}.{option}': unknown option or not a value (expected one of {string.Join(", ", OptionNames)})"
                                );
                            }

                            CheckOption(option, text2, $"{display}: remote.{name}");
                            values[option] = text2;
                        }
                    }

                    break;
                case "core" or "remote" when Yaml.IsNull(value):
                    break;
                case "core" or "remote":
                    throw Invalid(display, keyNode, $"'{Yaml.ScalarText(keyNode)}' must be a mapping");
            }
        }

        return (core, remotes);
    }

    private static ExpException Invalid(string display, YamlNode node, string message) =>
        new(ExitCode.InvalidProject, $"{display}:{node.Start.Line}:{node.Start.Column}: {message}");

    /// <summary>DVC's <c>core.remote</c> and <c>['remote "name"']</c> sections (see <see cref="DvcConfig.Read"/>).</summary>
    internal static (string? Core, Dictionary<string, Dictionary<string, string>> Remotes) ReadDvc(IEnumerable<string> lines)
    {
        var remotes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        string? core = null;
        string? section = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1].Trim().Trim('\'', '"').Trim();
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (section is null || equals <= 0)
            {
                continue;
            }

            var key = line[..equals].Trim();
            var value = line[(equals + 1)..].Trim();
            value = value.Length >= 2 && value[0] == value[^1] && value[0] is '"' or '\'' ? value[1..^1] : value;
            if (section == "core" && key == "remote")
            {
                core = value.Length == 0 ? null : value;
            }
            else if (section.StartsWith("remote ", StringComparison.Ordinal) && OptionNames.Contains(key))
            {
                var name = section["remote ".Length..].Trim().Trim('"', '\'');
                (remotes.TryGetValue(name, out var values) ? values : remotes[name] = new(StringComparer.Ordinal))[key] = value;
            }
        }

        return (core, remotes);
    }
}
