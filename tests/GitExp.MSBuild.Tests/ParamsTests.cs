using System.Text.RegularExpressions;
using GitExp.MSBuild.Tests.Infrastructure;

namespace GitExp.MSBuild.Tests;

/// <summary>The generated <c>Params</c> class: typed, read at run time, incremental, and checked by the compiler.</summary>
public sealed class ParamsTests
{
    [Fact]
    public async Task Generated_params_are_read_from_params_yaml_when_the_program_runs()
    {
        using var project = await UserProject.CreateAsync();
        await project.BuildOkAsync();

        Assert.Contains("lr=0.1 epochs=3 layers=8,16 seed=42 gpu=False", await project.RunProgramAsync());

        // No rebuild: the values come from the file, not from the assembly.
        project.WriteFile(
            "params.yaml",
            UserProject.DefaultParams.Replace("lr: 0.1", "lr: 0.25").Replace("[8, 16]", "[4, 8, 32]")
        );
        Assert.Contains("lr=0.25 epochs=3 layers=4,8,32", await project.RunProgramAsync());

        // Inside a run, the file under EXP_ROOT (the run's workspace) is the one read.
        var workspace = Path.Combine(Packages.TempRoot, "workspace-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "params.yaml"), UserProject.DefaultParams.Replace("lr: 0.1", "lr: 0.7"));
        Assert.Contains("lr=0.7", await project.RunProgramAsync(new Dictionary<string, string?> { ["EXP_ROOT"] = workspace }));
    }

    [Fact]
    public async Task Removing_a_key_used_in_code_fails_the_build_with_a_compiler_error_naming_it()
    {
        using var project = await UserProject.CreateAsync();
        project.WriteFile("params.yaml", UserProject.DefaultParams.Replace("  epochs: 3\n", ""));

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches(
            @"Program\.cs\(\d+,\d+\): error CS0117: 'Params\.Train' does not contain a definition for 'Epochs'",
            result.Output
        );
    }

    [Fact]
    public async Task Malformed_params_yaml_fails_the_build_with_EXP2001_at_the_file_line_and_column()
    {
        using var project = await UserProject.CreateAsync();
        project.WriteFile("params.yaml", "train:\n  lr: 0.1\n  epochs: [3\nseed: 42\n");

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        var error = Regex.Match(
            result.Output,
            @"(?<file>\S+params\.yaml)\((?<line>\d+),(?<column>\d+)\): error EXP2001: (?<message>.+)"
        );
        Assert.True(error.Success, result.ToString());
        Assert.Equal(project.FullPath("params.yaml"), error.Groups["file"].Value);
        Assert.Equal("3", error.Groups["line"].Value);
        Assert.Equal("11", error.Groups["column"].Value);
        Assert.DoesNotContain("MSB4018", result.Output); // no task crash
        Assert.DoesNotContain("error CS", result.Output); // the build stopped before compiling
    }

    [Fact]
    public async Task Bad_indentation_is_reported_as_EXP2001_with_its_position()
    {
        using var project = await UserProject.CreateAsync();
        project.WriteFile("params.yaml", "train:\n  lr: 0.1\n epochs: 3\n");

        var result = await project.BuildAsync();

        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches(@"params\.yaml\(3,\d+\): error EXP2001: params file is not valid YAML", result.Output);
    }

    [Fact]
    public async Task A_second_build_does_not_rewrite_the_generated_file_and_an_edited_value_does_not_either()
    {
        using var project = await UserProject.CreateAsync();
        await project.BuildOkAsync();
        var first = File.GetLastWriteTimeUtc(project.GeneratedFile);

        await project.BuildOkAsync();
        Assert.Equal(first, File.GetLastWriteTimeUtc(project.GeneratedFile));

        // A new value has the same shape: same source, so nothing to recompile.
        project.WriteFile("params.yaml", UserProject.DefaultParams.Replace("lr: 0.1", "lr: 0.3"));
        await project.BuildOkAsync();
        Assert.Equal(first, File.GetLastWriteTimeUtc(project.GeneratedFile));

        // A new key changes the class.
        project.WriteFile("params.yaml", UserProject.DefaultParams + "dropout: 0.5\n");
        await project.BuildOkAsync();
        Assert.NotEqual(first, File.GetLastWriteTimeUtc(project.GeneratedFile));
        Assert.Contains("public static double Dropout", File.ReadAllText(project.GeneratedFile));
    }

    [Fact]
    public async Task A_build_inside_a_run_records_the_experiment_and_baseline_as_assembly_metadata()
    {
        using var project = await UserProject.CreateAsync();
        var baseline = await project.GitOkAsync("rev-parse", "HEAD");

        await project.BuildAsync(new Dictionary<string, string?> { ["EXP_NAME"] = "bold-lion", ["EXP_BASELINE"] = baseline });

        Assert.Contains($"metadata: GitExp.Experiment=bold-lion GitExp.Baseline={baseline}", await project.RunProgramAsync());
    }

    [Fact]
    public async Task A_build_outside_a_run_has_no_experiment_metadata()
    {
        using var project = await UserProject.CreateAsync();
        await project.BuildOkAsync();

        Assert.Contains("metadata: \n", (await project.RunProgramAsync()).ReplaceLineEndings("\n"));
    }
}
