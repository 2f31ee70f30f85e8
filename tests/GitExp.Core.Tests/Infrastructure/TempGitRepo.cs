using System.Diagnostics;
using System.Security.Cryptography;
using GitExp.Core.Git;

namespace GitExp.Core.Tests.Infrastructure;

/// <summary>A real Git repository in a temp folder with one commit, for tests of the Git layer.</summary>
public sealed class TempGitRepo : IDisposable
{
    private readonly TempFolder _folder = new();

    public TempGitRepo()
    {
        Git("init", "-q", "-b", "main");
        Git("config", "user.email", "tests@gitexp.invalid");
        Git("config", "user.name", "GitExp tests");
        Write("README.md", "hello\n");
        Git("add", "-A");
        Git("commit", "-q", "-m", "initial");
    }

    public string Path => _folder.Path;

    public string Write(string relativePath, string content) => _folder.Write(relativePath, content);

    public string Read(string relativePath) => _folder.Read(relativePath);

    public Task<GitRepository> OpenAsync() => GitRepository.DiscoverAsync(Path);

    public string Git(params string[] arguments)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error}");
        }

        return output.Trim();
    }

    /// <summary>A hash of the user's index file: equal before and after means it was not touched.</summary>
    public string IndexFingerprint() =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(System.IO.Path.Combine(Path, ".git", "index"))));

    public void Dispose() => _folder.Dispose();
}
