using GitExp.MSBuild.Tests.Infrastructure;

namespace GitExp.MSBuild.Tests;

/// <summary><c>ExpStage</c> items are checked at build time; errors name the project file and the item's line.</summary>
public sealed class StageTests
{
    private const string Train =
        """<ExpStage Include="train" Command="dotnet run" Params="train.lr;train.epochs" Metrics="metrics.json" />""";

    [Fact]
    public async Task Valid_stages_build()
    {
        using var project = await UserProject.CreateAsync([
            Train,
            """<ExpStage Include="eval" Command="dotnet run -- eval" Deps="model.bin" Params="seed;params.yaml:train.layers[1]" />""",
        ]);

        await project.BuildOkAsync();
    }

    [Fact]
    public async Task A_stage_param_missing_from_params_yaml_fails_with_EXP2003_at_the_stage_line()
    {
        using var project = await UserProject.CreateAsync([Train]);
        project.WriteFile("params.yaml", "train:\n  lr: 0.1\n  layers: [1]\nseed: 1\nuse_gpu: true\n");

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine}): error EXP2003: stage 'train' uses param 'train.epochs'",
            result.Output
        );
    }

    [Fact]
    public async Task A_param_of_another_params_file_is_checked_in_that_file()
    {
        using var project = await UserProject.CreateAsync([
            Train,
            """<ExpStage Include="tune" Command="dotnet run" Params="tune.yaml:search.depth;tune.yaml:search.width" />""",
        ]);
        project.WriteFile("tune.yaml", "search:\n  depth: 4\n");

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine + 1}): error EXP2003: stage 'tune' uses param 'search.width'",
            result.Output
        );
        Assert.DoesNotContain("search.depth", result.Output);
    }

    [Fact]
    public async Task Params_in_toml_and_python_files_are_checked_as_the_tool_reads_them()
    {
        using var project = await UserProject.CreateAsync([
            Train,
            """<ExpStage Include="tune" Command="dotnet run" Params="tune.toml:search.depth;tune.toml:search.width;tune.py:Search.depth" />""",
            """<ExpStage Include="sweep" Command="dotnet run" Params="sweep.cfg:depth" />""",
        ]);
        project.WriteFile("tune.toml", "# searched by tune\n[search]\ndepth = 4 # levels\n");
        project.WriteFile("tune.py", "class Search:\n    depth = 4\n");
        project.WriteFile("sweep.cfg", "depth = 4\n");

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine + 1}): error EXP2003: stage 'tune' uses param 'search.width'",
            result.Output
        );
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine + 2}): error EXP2003: stage 'sweep' uses a params file GitExp cannot read",
            result.Output
        );
        Assert.DoesNotContain("EXP2001", result.Output);
        Assert.DoesNotContain("search.depth", result.Output);
        Assert.DoesNotContain("Search.depth", result.Output);
    }

    [Fact]
    public async Task A_stage_without_Command_fails_with_EXP2002_at_its_line()
    {
        using var project = await UserProject.CreateAsync([Train, """<ExpStage Include="eval" Deps="model.bin" />"""]);

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine + 1}): error EXP2002: stage 'eval' has no Command",
            result.Output
        );
    }

    [Fact]
    public async Task A_stage_name_declared_twice_fails_with_EXP2004_at_the_second_declaration()
    {
        using var project = await UserProject.CreateAsync([
            Train,
            """<ExpStage Include="eval" Command="dotnet run -- eval" />""",
            """<ExpStage Include="train" Command="dotnet run -- again" />""",
        ]);

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(
            $"{project.ProjectFile}({UserProject.FirstStageLine + 2}): error EXP2004: stage 'train' is declared more than once",
            result.Output
        );
    }
}
