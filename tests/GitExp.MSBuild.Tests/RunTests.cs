using GitExp.MSBuild.Tests.Infrastructure;

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
