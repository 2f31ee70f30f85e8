using System.Globalization;
using System.Text.RegularExpressions;
using GitExp.Core;

namespace GitExp.Tool.Cli;

/// <summary>
/// How a user error is printed: one line, <c>error: message</c>; or, when GitExp.MSBuild runs the tool
/// (<c>GITEXP_ERROR_FORMAT=msbuild</c>), MSBuild's canonical format so it becomes a real build error
/// with a code, file and line: <c>file(line,col): error EXP1003: message</c>.
/// </summary>
internal static partial class ErrorOutput
{
    public static void Write(TextWriter error, ExitCode code, string message)
    {
        if (
            !string.Equals(
                Environment.GetEnvironmentVariable("GITEXP_ERROR_FORMAT"),
                "msbuild",
                StringComparison.OrdinalIgnoreCase
            )
        )
        {
            error.WriteLine("error: " + message);
            return;
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"EXP{1000 + (int)code % 1000:D4}");
        var located = Location().Match(message);
        if (located.Success)
        {
            var column = located.Groups["col"].Success ? "," + located.Groups["col"].Value : "";
            error.WriteLine(
                $"{FullPath(located.Groups["file"].Value)}({located.Groups["line"].Value}{column}): error {id}: {located.Groups["message"].Value}"
            );
        }
        else
        {
            error.WriteLine($"dotnet-exp : error {id}: {message}");
        }
    }

    // Messages name files relative to the repository root; MSBuild wants a path it can open.
    private static string FullPath(string file)
    {
        if (File.Exists(file))
        {
            return Path.GetFullPath(file);
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return Path.Combine(dir.FullName, file);
            }
        }

        return file;
    }

    [GeneratedRegex(@"^(?<file>[^\s:()]+):(?<line>\d+):(?:(?<col>\d+):)? (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex Location();
}
