using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>Stages declared as <c>ExpStage</c> items in a project file, and the MSBuild error format.</summary>
public sealed class ProjectStageTests
{
    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
          <ItemGroup>
            <ExpStage Include="train" Command="sh -c 'cat params.yaml &gt; result.txt; echo run &gt;&gt; ../runs.log'" Params="train.lr" Outs="result.txt" />
          </ItemGroup>
        </Project>
        """;

    [Fact]
    public async Task Stages_from_a_project_file_run_and_rerun_when_a_source_file_changes()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("App/App.csproj", Project);
        repo.WriteFile("App/Program.cs", "System.Console.WriteLine(1);\n");
        repo.WriteFile("App/params.yaml", "train:\n  lr: 0.1\n");
        repo.WriteFile(".gitignore", "bin/\nobj/\nruns.log\n");
        await repo.CommitAllAsync("project with a stage");

        await repo.ExpOkAsync("run", "App/App.csproj", "-n", "first");
        var unchanged = await repo.ExpOkAsync("run", "App/App.csproj:train");
        repo.WriteFile("App/Program.cs", "System.Console.WriteLine(2);\n");
        var status = await repo.ExpOkAsync("status", "App/App.csproj");
        await repo.ExpOkAsync("run", "App/App.csproj", "-n", "second");

        Assert.Equal(2, repo.ReadFile("runs.log").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("didn't change", unchanged.StdOut, StringComparison.Ordinal);
        Assert.Contains("dep 'App/Program.cs' modified", status.StdOut, StringComparison.Ordinal);
        Assert.Contains("train.lr: 0.1", repo.ReadFile("App/App.lock"), StringComparison.Ordinal);
        Assert.Equal(2, (await repo.ExperimentRefsAsync()).Count);
    }

    [Fact]
    public async Task A_stage_name_declared_twice_in_a_project_file_is_an_error_naming_it()
    {
        using var repo = await TempGitRepo.InitAsync();
        var twice = Project.Replace(
            "</ItemGroup>",
            "  <ExpStage Include=\"train\" Command=\"echo again\" />\n  </ItemGroup>",
            StringComparison.Ordinal
        );
        repo.WriteFile("App.csproj", twice);
        repo.WriteFile("params.yaml", "train:\n  lr: 0.1\n");
        await repo.CommitAllAsync("a stage declared twice");

        var result = await repo.ExpAsync("run", "App.csproj");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("error: App.csproj:4: stage 'train' is declared twice", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Errors_use_the_msbuild_format_when_asked_with_code_file_and_line()
    {
        using var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("exp.yaml", "stages:\n  train:\n    cmd: [unclosed\n");
        await repo.CommitAllAsync("broken pipeline");

        var located = await ExpTool.RunAsync(
            repo.Root,
            new Dictionary<string, string> { ["GITEXP_ERROR_FORMAT"] = "msbuild" },
            "run"
        );
        var plain = await ExpTool.RunAsync(
            repo.Root,
            new Dictionary<string, string> { ["GITEXP_ERROR_FORMAT"] = "msbuild" },
            "run",
            "--jobs",
            "0"
        );

        Assert.Equal(3, located.ExitCode);
        Assert.Matches(@"^/.*/exp\.yaml\(\d+,\d+\): error EXP1003: ", Assert.Single(located.ErrorLines));
        Assert.StartsWith("dotnet-exp : error EXP1002: ", Assert.Single(plain.ErrorLines), StringComparison.Ordinal);
    }
}
