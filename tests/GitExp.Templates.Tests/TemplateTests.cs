using System.Text;
using System.Text.Json;
using GitExp.Templates.Tests.Infrastructure;

namespace GitExp.Templates.Tests;

/// <summary><c>dotnet new exp-project</c>: the files it writes, with default options and with each option set.</summary>
[Collection(TemplateCollection.Name)]
public sealed class TemplateTests(TemplateFixture fixture)
{
    [Fact]
    public async Task Default_options_create_a_checkpointing_project_named_after_the_name()
    {
        var project = await fixture.NewProjectAsync(fixture.NewFolder("defaults"), "Iris");

        Snapshot.Verify(Describe(project, "Program.cs", "Iris.csproj", "exp.yaml", "params.yaml", ".gitignore", "README.md"));
    }

    [Fact]
    public async Task Options_set_epochs_and_learning_rate_and_no_checkpoints_drops_them()
    {
        var project = await fixture.NewProjectAsync(
            fixture.NewFolder("options"),
            "Sweep",
            "--epochs",
            "5",
            "--learning-rate",
            "0.05",
            "--no-checkpoints"
        );

        Snapshot.Verify(Describe(project, "Program.cs", "exp.yaml", "params.yaml", "README.md"));
    }

    [Fact]
    public async Task Packages_and_tool_are_pinned_to_the_version_of_the_template_package()
    {
        var project = await fixture.NewProjectAsync(fixture.NewFolder("version"), "Pinned");

        Assert.Contains(
            $"<GitExpVersion>{fixture.Version}</GitExpVersion>",
            File.ReadAllText(Path.Combine(project, "Pinned.csproj")),
            StringComparison.Ordinal
        );
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, ".config", "dotnet-tools.json")));
        var tool = manifest.RootElement.GetProperty("tools").GetProperty("gitexp.tool");
        Assert.Equal(fixture.Version, tool.GetProperty("version").GetString());
        Assert.Equal("dotnet-exp", tool.GetProperty("commands")[0].GetString());
    }

    /// <summary>The sorted file list, then each named file, with the package version scrubbed.</summary>
    private string Describe(string project, params string[] files)
    {
        var text = new StringBuilder("--- files\n");
        foreach (var file in Directory.EnumerateFiles(project, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            text.Append(Path.GetRelativePath(project, file).Replace('\\', '/')).Append('\n');
        }

        foreach (var file in files)
        {
            text.Append($"--- {file}\n").Append(File.ReadAllText(Path.Combine(project, file)));
        }

        return text.ToString().Replace(fixture.Version, "{version}", StringComparison.Ordinal);
    }
}
