using System.Diagnostics;
using GitExp.Testing;

namespace GitExp.Templates.Tests.Infrastructure;

/// <summary>
/// Once per test run: the GitExp packages (packed by <c>build/pack.sh</c>, or taken from
/// <c>$GITEXP_PACKAGES</c>/<c>$GITEXP_VERSION</c> when build/test.sh set them), a temp folder with a
/// nuget.config (that package folder + nuget.org), its own NuGet package folder, and a template hive
/// with GitExp.Templates installed. Nothing touches the machine's dotnet new, NuGet cache or tool cache.
/// </summary>
public sealed class TemplateFixture : IAsyncLifetime
{
    /// <summary>Every fixture folder lives under this prefix, so snapshots can scrub it.</summary>
    public static readonly string RootPrefix = Path.Combine(Path.GetTempPath(), "gitexp-templates-");

    public string Root { get; } = RootPrefix + Guid.NewGuid().ToString("N")[..12];

    public string Version { get; private set; } = "";

    public string PackageFolder { get; private set; } = "";

    public string Hive => Path.Combine(Root, "hive");

    /// <summary>The environment of every child process: isolated NuGet and Git settings, no telemetry, no build servers.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; private set; } = new Dictionary<string, string?>();

    public TimeSpan PackTime { get; private set; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = Path.Combine(Root, "nuget-packages"),
            // Local tools are found through a resolver cache under the CLI home that remembers paths in
            // NUGET_PACKAGES; a shared one would point at the deleted package folder of an earlier run.
            ["DOTNET_CLI_HOME"] = Path.Combine(Root, "dotnet-home"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            // Build servers would outlive the build and keep the redirected output of the test open.
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["UseSharedCompilation"] = "false",
            ["NO_COLOR"] = "1",
            ["TZ"] = "UTC",
            // The machine's git configuration (default branch, hooks, autocrlf) must not change results.
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_AUTHOR_NAME"] = "GitExp Tests",
            ["GIT_AUTHOR_EMAIL"] = "tests@gitexp.invalid",
            ["GIT_COMMITTER_NAME"] = "GitExp Tests",
            ["GIT_COMMITTER_EMAIL"] = "tests@gitexp.invalid",
        };

        var watch = Stopwatch.StartNew();
        (PackageFolder, Version) = await GitExpPackages.GetAsync();
        PackTime = watch.Elapsed;

        TestFolders.WriteNuGetConfig(Root, PackageFolder);

        var install = await DotnetAsync(
            Root,
            "new",
            "install",
            Path.Combine(PackageFolder, $"GitExp.Templates.{Version}.nupkg"),
            "--debug:custom-hive",
            Hive
        );
        Assert.True(install.ExitCode == 0, install.ToString());
    }

    public Task DisposeAsync()
    {
        TestFolders.DeleteTree(Root);

        return Task.CompletedTask;
    }

    /// <summary>A new empty folder under the fixture root (so the nuget.config there applies).</summary>
    public string NewFolder(string name)
    {
        var folder = Path.Combine(Root, "work", name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary><c>dotnet new exp-project -n name [options]</c> in <paramref name="folder"/>; returns the project's folder.</summary>
    public async Task<string> NewProjectAsync(string folder, string name, params string[] options)
    {
        var result = await DotnetAsync(
            folder,
            ["new", "exp-project", "-n", name, "--debug:custom-hive", Hive, "--no-update-check", .. options]
        );
        Assert.True(result.ExitCode == 0, result.ToString());
        return Path.Combine(folder, name);
    }

    public Task<ProcessResult> DotnetAsync(string workingDirectory, params string[] args) =>
        TestProcess.RunAsync(workingDirectory, "dotnet", args, Environment);

    /// <summary>Runs a command and fails the test, showing both streams, unless it exits 0.</summary>
    public async Task<ProcessResult> RunOkAsync(string workingDirectory, string fileName, params string[] args)
    {
        var result = await TestProcess.RunAsync(workingDirectory, fileName, args, Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}

/// <summary>The template tests share one fixture and run one after another (builds use both cores).</summary>
[CollectionDefinition(Name)]
public sealed class TemplateCollection : ICollectionFixture<TemplateFixture>
{
    public const string Name = "template";
}
