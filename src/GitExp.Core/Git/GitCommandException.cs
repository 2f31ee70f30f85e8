namespace GitExp.Core.Git;

/// <summary>A git command that should have succeeded failed; carries git's own message.</summary>
public sealed class GitCommandException(string command, int exitCode, string standardError)
    : Exception($"'git {command}' failed with exit code {exitCode}: {standardError.Trim()}")
{
    public int ExitCode { get; } = exitCode;

    public string StandardError { get; } = standardError;
}
