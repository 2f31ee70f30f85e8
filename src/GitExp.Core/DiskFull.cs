using System.Text.RegularExpressions;
using GitExp.Core.Git;
using Microsoft.Data.Sqlite;

namespace GitExp.Core;

/// <summary>
/// The one place that recognizes a full disk (or an exceeded quota) in whatever a write ended with: an
/// <see cref="IOException"/> from ENOSPC/EDQUOT, SQLite's SQLITE_FULL, or git's own "No space left on device".
/// </summary>
/// <remarks>
/// Every writer in GitExp writes to a temporary name and renames it into place (cache objects, exp.lock,
/// params files, the state table) or writes through git or SQLite, which roll back: a full disk leaves
/// nothing half-written, so the user only needs to be told what could not be written.
/// </remarks>
public static partial class DiskFull
{
    // errno values (Linux; .NET on Unix puts the raw errno in HResult) and Windows' ERROR_DISK_FULL /
    // ERROR_HANDLE_DISK_FULL as HRESULTs.
    private const int Enospc = 28;
    private const int Edquot = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);
    private const int SqliteFull = 13;
    private const int SqliteIoError = 10;

    /// <summary>The user error for <paramref name="exception"/> (or an exception inside it) when it is a full disk; else null.</summary>
    /// <param name="exception">What a write ended with.</param>
    /// <param name="path">The file being written, for exceptions that do not name it (a failed <c>File.Copy</c>).</param>
    public static ExpException? AsUserError(Exception exception, string? path = null)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ExpException { Code: ExitCode.DiskFull } known)
            {
                return known;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(i => AsUserError(i, path)).FirstOrDefault(found => found is not null);
            }

            if (Describe(e, path) is { } what)
            {
                return new ExpException(
                    ExitCode.DiskFull,
                    $"no space left on the device: could not write {what}; free some space and run the command again",
                    exception
                );
            }
        }

        return null;
    }

    private static string? Describe(Exception e, string? path) =>
        e switch
        {
            IOException io when IsFull(io) => (PathIn(io.Message) ?? path) is { } written ? $"'{Shorten(written)}'" : "a file",
            SqliteException { SqliteErrorCode: SqliteFull } => "the run store (.exp/runs.db)",
            // SQLite reports a failed write of its WAL or shared-memory file as a plain I/O error.
            SqliteException { SqliteErrorCode: SqliteIoError } when NearlyNoSpaceHere() => "the run store (.exp/runs.db)",
            GitCommandException git when Mentions(git.StandardError) => $"Git objects or refs ({FirstLine(git.StandardError)})",
            _ => null,
        };

    // Commands run in the repository, where the run store lives.
    private static bool NearlyNoSpaceHere()
    {
        try
        {
            return new DriveInfo(Environment.CurrentDirectory).AvailableFreeSpace < (1 << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static bool IsFull(IOException e) =>
        e.HResult is Enospc or Edquot or WindowsDiskFull or WindowsHandleDiskFull || Mentions(e.Message);

    private static bool Mentions(string message) =>
        message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase)
        || message.Contains("not enough space on the disk", StringComparison.OrdinalIgnoreCase);

    // .NET's message for a failed file operation ends with the path: "No space left on device : '/x/y'".
    private static string? PathIn(string message) =>
        QuotedPath().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    private static string Shorten(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    private static string FirstLine(string text) =>
        text.Trim().ReplaceLineEndings("\n").Split('\n').FirstOrDefault(l => Mentions(l))?.Trim() ?? text.Trim();

    [GeneratedRegex(@" : '(.+)'\s*$")]
    private static partial Regex QuotedPath();
}
