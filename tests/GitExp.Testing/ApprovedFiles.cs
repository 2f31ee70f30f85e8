using System.Text.RegularExpressions;
using Xunit;

namespace GitExp.Testing;

/// <summary>
/// Approved files: compares text with <c>&lt;TestClass&gt;.&lt;member&gt;.verified.txt</c> beside the test
/// source; on a mismatch writes <c>.received.txt</c> beside it and fails. Approve by renaming received to verified.
/// </summary>
/// <remarks>Verify.Xunit's core package is not served here (docs/decisions/0007), hence this small helper.</remarks>
public static partial class ApprovedFiles
{
    /// <param name="actual">The text to compare.</param>
    /// <param name="tempRoot">The prefix of the test's temp folders, replaced by <paramref name="tempToken"/> with its random suffix.</param>
    /// <param name="tempToken">What a temp folder is shown as in the approved file.</param>
    /// <param name="file">The calling test's source file.</param>
    /// <param name="member">The calling test.</param>
    public static void Verify(string actual, string tempRoot, string tempToken, string file, string member)
    {
        var directory = SourceDirectory(file);
        var stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(file)}.{member}");
        var verifiedPath = stem + ".verified.txt";
        var receivedPath = stem + ".received.txt";
        var received = Scrub(actual, tempRoot, tempToken);
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

    /// <summary>Normalizes line endings and trailing spaces, and replaces temp folders and full commit ids.</summary>
    public static string Scrub(string text, string tempRoot, string tempToken)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd());
        var joined = string.Join('\n', lines);
        joined = Regex.Replace(joined, Regex.Escape(tempRoot) + "[0-9a-f]+", tempToken);
        joined = FullSha().Replace(joined, "{sha}");
        return joined.TrimEnd('\n') + "\n";
    }

    // CallerFilePath is the build machine's path; if the sources moved, find the test project from its binaries.
    private static string SourceDirectory(string file)
    {
        var directory = Path.GetDirectoryName(file) ?? "";
        if (Directory.Exists(directory))
        {
            return directory;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (dir.GetFiles("*.Tests.csproj").Length > 0)
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"cannot find the test sources for {file}");
    }

    [GeneratedRegex(@"\b[0-9a-f]{40}\b")]
    private static partial Regex FullSha();
}
