using GitExp.Testing;

namespace GitExp.MSBuild.Tests.Infrastructure;

/// <summary>
/// The packed GitExp packages every test builds against (<see cref="GitExpPackages"/>), and one NuGet packages
/// folder shared by every test of the run, so each package restores once.
/// </summary>
public static class Packages
{
    /// <summary>Every temp folder of this test run lives under here; deleted when the process exits.</summary>
    public static readonly string TempRoot = CreateTempRoot();

    /// <summary>The isolated NuGet global packages folder (<c>NUGET_PACKAGES</c>) of this run.</summary>
    public static string NuGetPackages { get; } = Path.Combine(TempRoot, "nuget-packages");

    /// <summary>The run's own <c>DOTNET_CLI_HOME</c>: its tool resolver cache points into <see cref="NuGetPackages"/>.</summary>
    public static string DotnetCliHome { get; } = Path.Combine(TempRoot, "dotnet-home");

    public static Task<(string Folder, string Version)> GetAsync() => GitExpPackages.GetAsync();

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
