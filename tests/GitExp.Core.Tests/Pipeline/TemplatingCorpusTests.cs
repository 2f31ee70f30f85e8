using GitExp.Core.Pipeline;
using GitExp.Core.Pipeline.Templating;
using YamlDotNet.RepresentationModel;

namespace GitExp.Core.Tests.Pipeline;

/// <summary>
/// Real dvc.yaml files that use templating (Corpus/templating, see its SOURCES.md), each with the dvc.lock DVC
/// wrote for it: the lock holds DVC's own expansion, so every stage name, command and dependency path must match.
/// </summary>
public class TemplatingCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Pipeline", "Corpus", "templating");

    public static TheoryData<string> Projects =>
        [.. Directory.GetDirectories(Root).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    private static Func<string, string?> Reader(string project) =>
        path => File.Exists(Path.Combine(Root, project, path)) ? File.ReadAllText(Path.Combine(Root, project, path)) : null;

    [Theory]
    [MemberData(nameof(Projects))]
    public void Expansion_matches_the_stages_dvc_locked(string project)
    {
        var yaml = File.ReadAllText(Path.Combine(Root, project, "dvc.yaml"));
        var top = (YamlMappingNode)Yaml.LoadRoot(yaml, "dvc.yaml")!;
        Assert.True(PipelineTemplate.IsUsedBy(top));
        var template = new PipelineTemplate("dvc.yaml", top, Reader(project));
        var stages = (YamlMappingNode)top.Children[new YamlScalarNode("stages")];
        var expanded = stages
            .Children.SelectMany(s => template.Expand(Yaml.ScalarText(s.Key)!, s.Key, s.Value))
            .ToDictionary(s => s.Name);

        // Read plainly: DVC's lock holds absolute and URL paths too, which GitExp's lock reader refuses.
        var lockTop = (YamlMappingNode)Yaml.LoadRoot(File.ReadAllText(Path.Combine(Root, project, "dvc.lock")), "dvc.lock")!;
        var locked = (YamlMappingNode)lockTop.Children[new YamlScalarNode("stages")];
        var compared = 0;
        foreach (var (name, stage) in expanded)
        {
            if (!locked.Children.TryGetValue(new YamlScalarNode(name), out var entry))
            {
                continue;
            }

            var lockEntry = (YamlMappingNode)entry;
            var body = (YamlMappingNode)stage.Body;
            Assert.Equal(Commands(lockEntry), Commands(body));
            var lockDeps = lockEntry.Children.TryGetValue(new YamlScalarNode("deps"), out var ld)
                ? ((YamlSequenceNode)ld).Children.Select(c =>
                    Normalize(Yaml.ScalarText(((YamlMappingNode)c).Children[new YamlScalarNode("path")])!)
                )
                : [];
            var deps = body.Children.TryGetValue(new YamlScalarNode("deps"), out var d)
                ? ((YamlSequenceNode)d).Children.Select(c => Normalize(Yaml.ScalarText(c)!))
                : [];
            Assert.Equal(lockDeps.Order(StringComparer.Ordinal), deps.Order(StringComparer.Ordinal));
            compared++;
        }

        // Every project's lock names most of the stages the file expands to (generated names included).
        Assert.True(compared >= 2, $"{project}: only {compared} stages compared");
    }

    private static string[] Commands(YamlMappingNode stage) =>
        stage.Children[new YamlScalarNode("cmd")] is YamlSequenceNode list
            ? [.. list.Children.Select(c => Yaml.ScalarText(c)!)]
            : [Yaml.ScalarText(stage.Children[new YamlScalarNode("cmd")])!];

    [Theory]
    [MemberData(nameof(Projects))]
    public void Real_templated_pipelines_load(string project)
    {
        if (project == "sagemaker-pipeline")
        {
            // s3:// outs: DVC's external outputs, which GitExp refuses (decision 33); its https:// dep is read.
            var e = Assert.Throws<ExpException>(() => PipelineParser.Parse(Text(project), "dvc.yaml", Reader(project)));
            Assert.Contains("is a URL: external outputs are not supported", e.Message);
            return;
        }

        var pipeline = PipelineParser.Parse(Text(project), "dvc.yaml", Reader(project));
        Assert.NotEmpty(pipeline.Stages);
        Assert.All(pipeline.Stages, s => Assert.DoesNotContain("${", string.Join(" ", s.Commands), StringComparison.Ordinal));
    }

    private static string Text(string project) => File.ReadAllText(Path.Combine(Root, project, "dvc.yaml"));

    private static string Normalize(string path) => RepoPath.Normalize(path) ?? path;
}
