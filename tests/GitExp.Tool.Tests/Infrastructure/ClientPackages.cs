using System.Diagnostics;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// The local folder holding the packed GitExp.Client and its version: the one build/test.sh packed
/// (<c>GITEXP_PACKAGES</c>, <c>GITEXP_VERSION</c>), or else one packed by <c>build/pack.sh</c> once per test run.
/// </summary>
public static class ClientPackages
{
    // Lazy<Task>: every test class that asks while the first pack runs waits for that one.
    private static readonly Lazy<Task<(string Folder, string Version)>> Packed = new(
        PackAsync,
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static Task<(string Folder, string Version)> GetAsync() => Packed.Value;

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
        var info = new ProcessStartInfo("bash", [Path.Combine(root, "build", "pack.sh")]) { WorkingDirectory = root };
        info.Environment.Remove("GITEXP_VERSION");
        var result = await ExpTool.RunProcessAsync(info, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"build/pack.sh failed:\n{result}");
        var packedVersion = result.StdOut.Trim().Split('\n')[^1].Trim();
        return (Path.Combine(root, "artifacts", "packages"), packedVersion);
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

        throw new InvalidOperationException($"no GitExp.sln above {AppContext.BaseDirectory}: cannot run build/pack.sh");
    }
}
