using GitExp.Testing;

namespace GitExp.MSBuild.Tests.Infrastructure;

/// <summary>
/// A user's project in a fresh Git repository: <c>App.csproj</c> (namespace <c>Demo</c>) referencing the packed
/// GitExp.MSBuild and GitExp.Client, a nuget.config listing the local package folder and nuget.org, params.yaml
/// and a Program.cs that prints the typed params. Builds are real <c>dotnet build</c> runs.
/// </summary>
public sealed class UserProject : IDisposable
{
    /// <summary>The first <c>ExpStage</c> line of App.csproj; stage i is on line <c>FirstStageLine + i</c>.</summary>
    public const int FirstStageLine = 14;

    public const string DefaultParams = """
        train:
          lr: 0.1
          epochs: 3
          layers: [8, 16]
        seed: 42
        use_gpu: false

        """;

    public const string DefaultProgram = """
        using System.Reflection;

        var metadata = typeof(Demo.Params).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key.StartsWith("GitExp.", StringComparison.Ordinal))
            .Select(a => $"{a.Key}={a.Value}");
        Console.WriteLine(FormattableString.Invariant(
            $"lr={Demo.Params.Train.Lr} epochs={Demo.Params.Train.Epochs} layers={string.Join(",", Demo.Params.Train.Layers)} seed={Demo.Params.Seed} gpu={Demo.Params.UseGpu}"));
        Console.WriteLine("metadata: " + string.Join(" ", metadata));

        """;

    private UserProject(string root, string version)
    {
        Root = root;
        Version = version;
    }

    public string Root { get; }

    /// <summary>The version of the GitExp packages under test.</summary>
    public string Version { get; }

    public string ProjectFile => FullPath("App.csproj");

    /// <summary>The generated params source of a Debug build.</summary>
    public string GeneratedFile => FullPath("obj/Debug/net10.0/ExpParams.g.cs");

    /// <summary>
    /// A committed project with <paramref name="stages"/> as its ExpStage lines (one per line, from
    /// <see cref="FirstStageLine"/>), <paramref name="paramsYaml"/> and <paramref name="program"/>.
    /// </summary>
    public static async Task<UserProject> CreateAsync(
        string[]? stages = null,
        string paramsYaml = DefaultParams,
        string program = DefaultProgram
    )
    {
        var (packages, version) = await Packages.GetAsync();
        var root = Path.Combine(Packages.TempRoot, "repo-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var project = new UserProject(root, version);
        TestFolders.WriteNuGetConfig(root, packages);
        project.WriteProjectFile(stages ?? []);
        project.WriteFile("params.yaml", paramsYaml);
        project.WriteFile("Program.cs", program);
        project.WriteFile(".gitignore", "bin/\nobj/\nruns.log\n");
        await project.GitOkAsync("init", "-q", "-b", "main");
        await project.GitOkAsync("config", "user.name", "GitExp Tests");
        await project.GitOkAsync("config", "user.email", "tests@gitexp.invalid");
        await project.CommitAllAsync("init");
        return project;
    }

    /// <summary>Rewrites App.csproj with these ExpStage lines.</summary>
    public void WriteProjectFile(IReadOnlyList<string> stages)
    {
        var lines = new List<string>
        {
            """<Project Sdk="Microsoft.NET.Sdk">""",
            "  <PropertyGroup>",
            "    <OutputType>Exe</OutputType>",
            "    <TargetFramework>net10.0</TargetFramework>",
            "    <ImplicitUsings>enable</ImplicitUsings>",
            "    <Nullable>enable</Nullable>",
            "    <RootNamespace>Demo</RootNamespace>",
            "  </PropertyGroup>",
            "  <ItemGroup>",
            $"""    <PackageReference Include="GitExp.MSBuild" Version="{Version}" />""",
            $"""    <PackageReference Include="GitExp.Client" Version="{Version}" />""",
            "  </ItemGroup>",
            "  <ItemGroup>",
        };
        lines.AddRange(stages.Select(s => "    " + s));
        lines.Add("  </ItemGroup>");
        lines.Add("</Project>");
        WriteFile("App.csproj", string.Join('\n', lines) + "\n");
    }

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public void WriteFile(string relative, string content)
    {
        var full = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content.ReplaceLineEndings("\n"));
    }

    public string ReadFile(string relative) => File.ReadAllText(FullPath(relative));

    /// <summary><c>dotnet build args...</c> with the console logger (no terminal logger), as CI would see it.</summary>
    public Task<ProcessResult> BuildAsync(params string[] args) => BuildAsync(null, args);

    public Task<ProcessResult> BuildAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        DotnetAsync(environment, ["build", "-nologo", "-tl:off", "-v:m", .. args]);

    /// <summary>Builds and fails the test, showing the output, unless the build succeeds.</summary>
    public async Task<ProcessResult> BuildOkAsync(params string[] args)
    {
        var result = await BuildAsync(args);
        Assert.True(result.ExitCode == 0, $"dotnet build {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    /// <summary>Runs the built program (without building) and returns its output.</summary>
    public async Task<string> RunProgramAsync(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await DotnetAsync(environment, [FullPath("bin/Debug/net10.0/App.dll")]);
        Assert.True(result.ExitCode == 0, $"the program failed:\n{result}");
        return result.StdOut;
    }

    /// <summary>Installs the packed GitExp.Tool as a local tool of the repository and runs <c>dotnet exp init</c>.</summary>
    public async Task InstallToolAsync()
    {
        var (packages, _) = await Packages.GetAsync();
        await DotnetOkAsync("new", "tool-manifest");
        await DotnetOkAsync("tool", "install", "GitExp.Tool", "--version", Version, "--add-source", packages);
        await DotnetOkAsync("exp", "init");
        await CommitAllAsync("dotnet exp init");
    }

    public Task<ProcessResult> DotnetAsync(IReadOnlyDictionary<string, string?>? environment, string[] args)
    {
        var env = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = Packages.NuGetPackages,
            // The SDK's tool resolver cache (under DOTNET_CLI_HOME) maps a tool version to a path in one
            // NUGET_PACKAGES; a shared one would point at the deleted package folder of an earlier run.
            ["DOTNET_CLI_HOME"] = Packages.DotnetCliHome,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            env[name] = value;
        }

        return TestProcess.RunAsync(Root, "dotnet", args, env);
    }

    public async Task<ProcessResult> DotnetOkAsync(params string[] args)
    {
        var result = await DotnetAsync(null, args);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    /// <summary>Runs git and returns its trimmed output; a failure fails the test.</summary>
    public async Task<string> GitOkAsync(params string[] args)
    {
        var result = await TestProcess.RunAsync(Root, "git", args);
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', args)} failed:\n{result}");
        return result.StdOut.TrimEnd('\n');
    }

    public async Task CommitAllAsync(string message)
    {
        await GitOkAsync("add", "-A");
        await GitOkAsync("commit", "-q", "-m", message);
    }

    /// <summary>The experiment refs of the repository (full names), sorted.</summary>
    public async Task<IReadOnlyList<string>> ExperimentRefsAsync()
    {
        var text = await GitOkAsync("for-each-ref", "--format=%(refname)", "refs/exps/");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(r =>
                !r.StartsWith("refs/exps/queue/", StringComparison.Ordinal)
                && !r.StartsWith("refs/exps/failed/", StringComparison.Ordinal)
            )
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public void Dispose() => TestFolders.DeleteTree(Root);
}
