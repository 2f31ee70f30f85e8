namespace GitExp.MSBuild.Tests.Infrastructure;

/// <summary>
/// The packed GitExp packages every test builds against: the folder and version build/test.sh exports
/// (<c>GITEXP_PACKAGES</c>, <c>GITEXP_VERSION</c>), else a fresh <c>build/pack.sh</c>, run once per test run.
/// Also one NuGet packages folder shared by every test of the run, so each package restores once.
/// </summary>
public static class Packages
{
    private static readonly Lazy<Task<(string Folder, string Version)>> s_packed = new(PackAsync);

    /// <summary>Every temp folder of this test run lives under here; deleted when the process exits.</summary>
    public static readonly string TempRoot = CreateTempRoot();

    /// <summary>The isolated NuGet global packages folder (<c>NUGET_PACKAGES</c>) of this run.</summary>
    public static string NuGetPackages { get; } = Path.Combine(TempRoot, "nuget-packages");

    public static Task<(string Folder, string Version)> GetAsync() => s_packed.Value;

    private static async Task<(string Folder, string Version)> PackAsync()
    {
        var folder = Environment.GetEnvironmentVariable("GITEXP_PACKAGES");
        var version = Environment.GetEnvironmentVariable("GITEXP_VERSION");
        if (!string.IsNullOrEmpty(folder) && !string.IsNullOrEmpty(version))
        {
            return (folder, version);
        }

        var root = RepositoryRoot();
        var result = await Processes.RunAsync(
            root,
            "bash",
            ["build/pack.sh"],
            new Dictionary<string, string?> { ["GITEXP_VERSION"] = null },
            timeoutSeconds: 300
        );
        Assert.True(result.ExitCode == 0, $"build/pack.sh failed:\n{result}");
        var packed = result.StdOut.Trim().Split('\n')[^1].Trim();
        return (Path.Combine(root, "artifacts", "packages"), packed);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitExp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find GitExp.sln above " + AppContext.BaseDirectory);
    }

    private static string CreateTempRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "gitexp-msbuild-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
        return root;
    }
}
