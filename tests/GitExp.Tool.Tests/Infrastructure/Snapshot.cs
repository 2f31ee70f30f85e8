using System.Runtime.CompilerServices;
using GitExp.Testing;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>Approved-file snapshots of tool output; temp repositories show as <c>{repo}</c>.</summary>
public static class Snapshot
{
    public static void Verify(string actual, [CallerFilePath] string file = "", [CallerMemberName] string member = "") =>
        ApprovedFiles.Verify(actual, TempGitRepo.RootPrefix, "{repo}", file, member);
}
