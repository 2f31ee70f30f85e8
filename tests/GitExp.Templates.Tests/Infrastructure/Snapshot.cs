using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace GitExp.Templates.Tests.Infrastructure;

/// <summary>
/// Approved files: compares text with <c>&lt;TestClass&gt;.&lt;member&gt;.verified.txt</c> beside the test
/// source; on a mismatch writes <c>.received.txt</c> beside it and fails. Approve by renaming received to verified.
/// </summary>
public static partial class Snapshot
{
    public static void Verify(string actual, [CallerFilePath] string file = "", [CallerMemberName] string member = "")
    {
        var directory = SourceDirectory(file);
        var stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(file)}.{member}");
        var verifiedPath = stem + ".verified.txt";
        var receivedPath = stem + ".received.txt";
        var received = Scrub(actual);
        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail(
            verified is null
                ? $"No approved snapshot yet. Review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)}.\n{received}"
                : $"Snapshot differs. Compare:\n  diff {verifiedPath} {receivedPath}\n--- verified\n{verified}\n--- received\n{received}"
        );
    }

    /// <summary>Normalizes line endings and trailing spaces, and replaces fixture paths and full commit ids.</summary>
    public static string Scrub(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd());
        var joined = string.Join('\n', lines);
        joined = Regex.Replace(joined, Regex.Escape(TemplateFixture.RootPrefix) + "[0-9a-f]+", "{root}");
        joined = FullSha().Replace(joined, "{sha}");
        return joined.TrimEnd('\n') + "\n";
    }

    // CallerFilePath is the build machine's path; if the sources moved, find this project from the test binaries.
    private static string SourceDirectory(string file)
    {
        var directory = Path.GetDirectoryName(file) ?? "";
        if (Directory.Exists(directory))
        {
            return directory;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GitExp.Templates.Tests.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"cannot find the test sources for {file}");
    }

    [GeneratedRegex(@"\b[0-9a-f]{40}\b")]
    private static partial Regex FullSha();
}
