using GitExp.MSBuild.Tests.Infrastructure;
using GitExp.Testing;

namespace GitExp.MSBuild.Tests;

/// <summary><c>-t:ExpRun</c> and <c>-t:ExpShow</c> run the locally installed tool; they do not build the project.</summary>
public sealed class RunTests
{
    private const string TrainScript = """
        #!/bin/sh
        # Reads train.lr and train.epochs from params.yaml and pretends to train.
        set -e
        lr=$(awk '/^[[:space:]]+lr:/ { print $2 }' params.yaml)
        epochs=$(awk '/^[[:space:]]+epochs:/ { print $2 }' params.yaml)
        printf 'run\n' >> runs.log
        awk -v lr="$lr" -v e="$epochs" 'BEGIN { printf "{\"acc\": %.4f}\n", 1 - lr / e }' > metrics.json

        """;

    private const string Pipeline = """
        stages:
          train:
            cmd: sh train.sh
            deps:
              - train.sh
            params:
              - train.lr
              - train.epochs
            metrics:
              - metrics.json:
                  cache: false

        """;

    private const string CsprojStage =
        """<ExpStage Include="train" Command="sh train.sh" Deps="train.sh" Params="train.lr;train.epochs" Metrics="metrics.json" />""";

    private static async Task<UserProject> CreateAsync(string[]? stages = null)
    {
        var project = await UserProject.CreateAsync(stages);
        project.WriteFile("train.sh", TrainScript);
        if (stages is null)
        {
            project.WriteFile("exp.yaml", Pipeline);
        }

        await project.CommitAllAsync("pipeline");
        await project.InstallToolAsync();
        return project;
    }

    private static async Task<string> ExperimentAsync(UserProject project, string name)
    {
        var refs = await project.ExperimentRefsAsync();
        return Assert.Single(refs, r => r.EndsWith("/" + name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExpRun_with_set_params_and_a_name_records_an_experiment_without_building_the_project()
    {
        using var project = await CreateAsync();

        var run = await project.BuildAsync("-t:ExpRun", "-p:ExpSetParams=\"train.lr=0.2;train.epochs=5\"", "-p:ExpName=fast-lr");

        Assert.True(run.ExitCode == 0, run.ToString());
        var experiment = await ExperimentAsync(project, "fast-lr");
        var recorded = await project.GitOkAsync("show", experiment + ":params.yaml");
        Assert.Contains("lr: 0.2", recorded);
        Assert.Contains("epochs: 5", recorded);
        Assert.Contains("0.9600", await project.GitOkAsync("show", experiment + ":metrics.json"));
        Assert.False(Directory.Exists(project.FullPath("bin")), "ExpRun built the project");

        var show = await project.BuildAsync("-t:ExpShow");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("fast-lr", show.StdOut);
    }

    [Fact]
    public async Task ExpRun_queues_experiments_and_runs_them_all_with_two_jobs()
    {
        using var project = await CreateAsync();

        foreach (var (name, lr) in new[] { ("queued-one", "0.3"), ("queued-two", "0.4") })
        {
            var queued = await project.BuildAsync(
                "-t:ExpRun",
                "-p:ExpQueue=true",
                $"-p:ExpSetParams=train.lr={lr}",
                $"-p:ExpName={name}"
            );
            Assert.True(queued.ExitCode == 0, queued.ToString());
        }

        Assert.Empty(await project.ExperimentRefsAsync());

        var all = await project.BuildAsync("-t:ExpRun", "-p:ExpRunAll=true", "-p:ExpJobs=2");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains(
            "lr: 0.3",
            await project.GitOkAsync("show", await ExperimentAsync(project, "queued-one") + ":params.yaml")
        );
        Assert.Contains(
            "lr: 0.4",
            await project.GitOkAsync("show", await ExperimentAsync(project, "queued-two") + ":params.yaml")
        );
    }

    [Fact]
    public async Task ExpRun_before_dotnet_tool_restore_restores_the_pinned_tool_and_runs()
    {
        using var project = await UserProject.CreateAsync();
        project.WriteFile("train.sh", TrainScript);
        project.WriteFile("exp.yaml", Pipeline);
        // The manifest pins the tool, as the template's does; nobody ran 'dotnet tool restore', and a new
        // NuGet packages folder holds no copy of it.
        project.WriteFile(
            ".config/dotnet-tools.json",
            $"{{\"version\": 1, \"isRoot\": true, \"tools\": {{\"gitexp.tool\": {{\"version\": \"{project.Version}\", "
                + "\"commands\": [\"dotnet-exp\"], \"rollForward\": false}}}\n"
        );
        await project.CommitAllAsync("pipeline and tool manifest");
        // The SDK's tool resolver cache (under DOTNET_CLI_HOME) is shared by every NuGet packages folder: this
        // test's own keeps the other tests' entry for the same version from pointing into a deleted folder.
        var packages = project.Root + "-packages";
        var home = project.Root + "-home";
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages, ["DOTNET_CLI_HOME"] = home };
        try
        {
            var run = await project.BuildAsync(environment, "-t:ExpRun", "-p:ExpName=first");

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(Directory.Exists(Path.Combine(packages, "gitexp.tool")), "the tool was not restored into NUGET_PACKAGES");
            await ExperimentAsync(project, "first");
        }
        finally
        {
            TestFolders.DeleteTree(packages);
            TestFolders.DeleteTree(home);
        }
    }

    [Fact]
    public async Task A_tool_that_fails_without_an_error_of_its_own_shows_its_last_lines_in_the_build_error()
    {
        using var project = await CreateAsync();

        var run = await project.BuildAsync("-t:ExpRun", "-p:ExpToolCommand=\"dotnet no-such-exp-tool\"");

        Assert.NotEqual(0, run.ExitCode);
        // MSBuild prints each error twice: where it happened and in the summary.
        var error = run.Output.Split('\n').First(l => l.Contains("error EXP2006", StringComparison.Ordinal));
        Assert.Contains("'dotnet no-such-exp-tool run' failed with exit code", error);
        // dotnet's own words come through, not only the exit code.
        Assert.Contains("Could not execute because the specified command or file was not found", error);
        Assert.DoesNotContain("MSB3073", run.Output);
    }

    [Fact]
    public async Task A_tool_error_is_a_build_error_with_its_EXP1xxx_code()
    {
        using var project = await CreateAsync();

        var run = await project.BuildAsync("-t:ExpRun", "-p:ExpSetParams=no.such.key=1");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Matches(@"error EXP1\d{3}: .*no\.such\.key", run.Output);
        Assert.DoesNotContain("MSB3073", run.Output);
        Assert.DoesNotContain("MSB3075", run.Output);
        Assert.Empty(await project.ExperimentRefsAsync());
    }

    [Fact]
    public async Task ExpRun_runs_the_projects_ExpStage_items_as_its_pipeline()
    {
        using var project = await CreateAsync([CsprojStage]);

        var run = await project.BuildAsync("-t:ExpRun", "-p:ExpSetParams=train.lr=0.5", "-p:ExpName=from-csproj");

        Assert.True(run.ExitCode == 0, run.ToString());
        var experiment = await ExperimentAsync(project, "from-csproj");
        Assert.Contains("lr: 0.5", await project.GitOkAsync("show", experiment + ":params.yaml"));
        Assert.Contains("0.8333", await project.GitOkAsync("show", experiment + ":metrics.json"));
    }
}
