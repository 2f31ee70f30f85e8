using GitExp.Core.Cache;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Project;

/// <summary>Settings from <c>.exp/config.yaml</c>; every key is optional.</summary>
public sealed record ExpConfig(IReadOnlyList<LinkType> LinkOrder)
{
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
            else if (key is not ("core" or "remote"))
            {
                // core.remote and remote.* are the cache remotes' (Remotes/RemoteConfig.cs reads and checks them).
                throw new ExpException(
                    ExitCode.InvalidProject,
                    $"{display}:{keyNode.Start.Line}:{keyNode.Start.Column}: unknown key '{key}' (expected 'cache', 'core' or 'remote')"
                );
            }
        }

        return config;
    }
}
