using Xunit;

namespace GitExp.Testing;

/// <summary>
/// The packed GitExp packages the end-to-end tests install: the folder and version build/test.sh exports
/// (<c>GITEXP_PACKAGES</c>, <c>GITEXP_VERSION</c>), or else one fresh <c>build/pack.sh</c> per test run.
/// </summary>
public static class GitExpPackages
{
    // Lazy<Task>: every test that asks while the first pack runs waits for that one.
    private static readonly Lazy<Task<(string Folder, string Version)>> Packed = new(
        PackAsync,
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static Task<(string Folder, string Version)> GetAsync() => Packed.Value;

    /// <summary>The checkout these tests run from: the folder above them that holds GitExp.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitExp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no GitExp.sln above {AppContext.BaseDirectory}: cannot run build/pack.sh");
    }

    private static async Task<(string Folder, string Version)> PackAsync()
    {
        var folder = Environment.GetEnvironmentVariable("GITEXP_PACKAGES");
        var version = Environment.GetEnvironmentVariable("GITEXP_VERSION");
        if (!string.IsNullOrEmpty(folder) && !string.IsNullOrEmpty(version))
        {
            return (folder, version);
        }

        var root = RepositoryRoot();
        // No GITEXP_VERSION: pack.sh picks a version of its own, so no NuGet cache can serve an older build.
        var result = await TestProcess.RunAsync(
            root,
            "bash",
            [Path.Combine(root, "build", "pack.sh")],
            new Dictionary<string, string?> { ["GITEXP_VERSION"] = null },
            TimeSpan.FromMinutes(10)
        );
        Assert.True(result.ExitCode == 0, $"build/pack.sh failed:\n{result}");
        var packed = result.StdOut.Trim().Split('\n')[^1].Trim();
        return (Path.Combine(root, "artifacts", "packages"), packed);
    }
}
