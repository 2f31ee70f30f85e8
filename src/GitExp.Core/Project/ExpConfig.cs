using System.Globalization;
using GitExp.Core.Cache;
using GitExp.Core.Queue;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Project;

/// <summary>Settings from <c>.exp/config.yaml</c>; every key is optional.</summary>
public sealed record ExpConfig(IReadOnlyList<LinkType> LinkOrder)
{
    /// <summary>Where queued entries run by default: <c>local</c> (worker processes here) or <c>slurm</c>.</summary>
    public string Executor { get; init; } = "local";

    /// <summary>The Slurm settings of <c>executor:</c>, used when the executor is <c>slurm</c>.</summary>
    public SlurmOptions Slurm { get; init; } = new();

    /// <summary>The executors <c>executor.name</c> and <c>--executor</c> accept.</summary>
    public static readonly IReadOnlyList<string> Executors = ["local", "slurm"];

    public const string DefaultText = """
        # GitExp settings. See docs/formats.md#config.
        cache:
          # How cached outputs appear in the workspace, first that works wins: reflink, hardlink, symlink, copy.
          type: reflink,hardlink,copy
        """;

    public static ExpConfig Default { get; } = new(LinkTypes.Parse("reflink,hardlink,copy"));

    public static ExpConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            return Default;
        }

        var display = ".exp/config.yaml";
        YamlStream yaml;
        try
        {
            yaml = [];
            using var reader = new StringReader(File.ReadAllText(path));
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ExpException(ExitCode.InvalidProject, $"{display}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            return Default;
        }

        var config = Default;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value;
            if (key == "cache" && value is YamlMappingNode cache)
            {
                foreach (var (cacheKey, cacheValue) in cache.Children)
                {
                    var name = ((YamlScalarNode)cacheKey).Value;
                    if (name == "type" && cacheValue is YamlScalarNode { Value: { } types })
                    {
                        config = config with { LinkOrder = LinkTypes.Parse(types) };
                    }
                    else
                    {
                        throw new ExpException(
                            ExitCode.InvalidProject,
                            $"{display}:{cacheKey.Start.Line}:{cacheKey.Start.Column}: unknown key 'cache.{name}' (expected 'type')"
                        );
                    }
                }
            }
            else if (key == "executor")
            {
                config = ReadExecutor(config, value, display);
            }
            else if (key is not ("core" or "remote"))
            {
                // core.remote and remote.* are the cache remotes' (Remotes/RemoteConfig.cs reads and checks them).
                throw new ExpException(
                    ExitCode.InvalidProject,
                    $"{display}:{keyNode.Start.Line}:{keyNode.Start.Column}: unknown key '{key}' (expected 'cache', 'core', 'executor' or 'remote')"
                );
            }
        }

        return config;
    }

    /// <summary><c>executor: slurm</c>, or a mapping with <c>name</c> and the Slurm settings.</summary>
    private static ExpConfig ReadExecutor(ExpConfig config, YamlNode value, string display)
    {
        if (value is YamlScalarNode { Value: { } scalar })
        {
            return config with { Executor = ExecutorName(scalar, value, display, "executor") };
        }

        if (value is not YamlMappingNode mapping)
        {
            throw Invalid(value, display, "'executor' must be a name (local or slurm) or a mapping");
        }

        var slurm = config.Slurm;
        foreach (var (keyNode, item) in mapping.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value;
            var text = item is YamlScalarNode { Value: { } t } ? t : null;
            string Text() => text ?? throw Invalid(item, display, $"'executor.{name}' must be a single value");
            int Number() =>
                int.TryParse(Text(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1
                    ? n
                    : throw Invalid(item, display, $"'executor.{name}' must be a whole number of at least 1, not '{text}'");
            switch (name)
            {
                case "name":
                    config = config with { Executor = ExecutorName(Text(), item, display, "executor.name") };
                    break;
                case "jobs":
                    slurm = slurm with { Jobs = Number() };
                    break;
                case "partition":
                    slurm = slurm with { Partition = Text() };
                    break;
                case "time":
                    slurm = slurm with { Time = Text() };
                    break;
                case "gres":
                    slurm = slurm with { Gres = Text() };
                    break;
                case "cpus":
                    slurm = slurm with { Cpus = Number() };
                    break;
                case "mem":
                    slurm = slurm with { Mem = Text() };
                    break;
                case "tool":
                    slurm = slurm with { Tool = Text() };
                    break;
                case "requeue":
                    slurm = slurm with
                    {
                        Requeue = bool.TryParse(Text(), out var requeue)
                            ? requeue
                            : throw Invalid(item, display, $"'executor.requeue' must be true or false, not '{text}'"),
                    };
                    break;
                case "sbatch_args":
                    slurm = slurm with
                    {
                        SbatchArgs = item is YamlSequenceNode list
                            ? list.Children.Select(c => (c as YamlScalarNode)?.Value ?? "").ToList()
                            : [Text()],
                    };
                    break;
                default:
                    throw Invalid(
                        keyNode,
                        display,
                        $"unknown key 'executor.{name}' (expected name, jobs, partition, time, gres, cpus, mem, sbatch_args, requeue or tool)"
                    );
            }
        }

        return config with
        {
            Slurm = slurm,
        };
    }

    private static string ExecutorName(string name, YamlNode node, string display, string key) =>
        Executors.Contains(name) ? name : throw Invalid(node, display, $"'{key}' is '{name}': expected local or slurm");

    private static ExpException Invalid(YamlNode node, string display, string message) =>
        new(ExitCode.InvalidProject, $"{display}:{node.Start.Line}:{node.Start.Column}: {message}");
}
