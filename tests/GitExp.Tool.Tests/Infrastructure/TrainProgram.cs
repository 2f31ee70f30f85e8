using System.Diagnostics;
using GitExp.Testing;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// A small C# training program built against the packed GitExp.Client, once per test class: it reads
/// <c>train.epochs</c>, <c>train.fail_after</c> and <c>train.sleep_ms</c> with ExpParams, appends
/// "step N" to the checkpoint out <c>model/model.txt</c> in place, logs <c>loss</c> with Live and
/// takes a checkpoint every step. It appends its process id to <c>{side}/pids</c> and
/// "start NAME STEP" / "done NAME STEP" lines to <c>{side}/steps.log</c>.
/// </summary>
public sealed class TrainProgram : IAsyncLifetime
{
    /// <summary>Where the build output goes in a project, and what the stage runs.</summary>
    public const string OutputPath = "Train/bin/Release/net10.0";

    public const string StageCommand = "dotnet " + OutputPath + "/Train.dll {side}";

    private const string ProgramText = """
        using GitExp.Client;

        var side = args[0];
        File.AppendAllText(Path.Combine(side, "pids"), Environment.ProcessId + "\n");
        var parameters = ExpParams.Load();
        var epochs = parameters.GetInt("train.epochs");
        var failAfter = parameters.GetInt("train.fail_after");
        var pause = parameters.GetInt("train.sleep_ms");
        var name = Environment.GetEnvironmentVariable("EXP_NAME");
        using var live = new Live();
        Directory.CreateDirectory("model");
        if (!live.Resumed)
        {
            File.WriteAllText("model/model.txt", "");
        }

        Log($"start {name} {live.Step}");
        for (var step = live.Step + 1; step <= epochs; step++)
        {
            // In place, as trainers write their weights: the file must not be a link into the cache.
            // Written before the step's work, so a run killed mid-step leaves a model ahead of its last checkpoint.
            using (var model = new FileStream("model/model.txt", FileMode.Append, FileAccess.Write))
            using (var writer = new StreamWriter(model))
            {
                writer.Write($"step {step}\n");
            }

            Thread.Sleep(pause);
            live.Log("loss", 1.0 / step);
            live.NextStep();
            Log($"done {name} {step}");
            if (step == failAfter)
            {
                Console.Error.WriteLine($"giving up after step {step}");
                return 3;
            }
        }

        return 0;

        void Log(string line) => File.AppendAllText(Path.Combine(side, "steps.log"), line + "\n");

        """;

    private readonly string _root = TempGitRepo.RootPrefix + "train-" + Guid.NewGuid().ToString("N")[..8];

    private string SourceDirectory => Path.Combine(_root, "Train");

    public string ProjectFileText { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var (packages, version) = await GitExpPackages.GetAsync();
        Directory.CreateDirectory(SourceDirectory);
        ProjectFileText = $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="GitExp.Client" Version="{version}" />
              </ItemGroup>
            </Project>

            """;
        File.WriteAllText(Path.Combine(SourceDirectory, "Train.csproj"), ProjectFileText);
        File.WriteAllText(Path.Combine(SourceDirectory, "Program.cs"), ProgramText);
        TestFolders.WriteNuGetConfig(_root, packages);
        var info = new ProcessStartInfo("dotnet", ["build", "-c", "Release", "--nologo", "-v", "quiet"])
        {
            WorkingDirectory = SourceDirectory,
        };
        info.Environment["NUGET_PACKAGES"] = Path.Combine(_root, "nuget-packages");
        var result = await ExpTool.RunProcessAsync(info, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"building the training program failed:\n{result}");
    }

    /// <summary>
    /// A committed project whose stage <c>train</c> runs the program: checkpoint out <c>model/model.txt</c>,
    /// metrics <c>live/metrics.json</c>, plots <c>live/plots</c> (persisted: Live keeps the history across a resume).
    /// </summary>
    public Task<QueueProject> CreateProjectAsync(int epochs = 6, int sleepMs = 150) =>
        QueueProject.CreateAsync(
            new Dictionary<string, string>
            {
                [".gitignore"] = "Train/obj/\n",
                ["params.yaml"] = $"train:\n  epochs: {epochs}\n  fail_after: 0\n  sleep_ms: {sleepMs}\n",
                ["Train/Train.csproj"] = ProjectFileText,
                ["Train/Program.cs"] = ProgramText,
                ["exp.yaml"] = $"""
                stages:
                  train:
                    cmd: {StageCommand}
                    deps:
                      - {OutputPath}/Train.dll
                    params:
                      - train.epochs
                      - train.fail_after
                      - train.sleep_ms
                    outs:
                      - model/model.txt:
                          checkpoint: true
                    metrics:
                      - live/metrics.json:
                          cache: false
                    plots:
                      - live/plots:
                          cache: false
                          persist: true

                """,
            },
            project =>
            {
                // The built program is committed, so isolated (queued, --temp) workspaces have it too.
                var built = Path.Combine(SourceDirectory, "bin", "Release", "net10.0");
                var target = project.Repo.FullPath(OutputPath);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(built))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }
        );

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }

        return Task.CompletedTask;
    }
}
