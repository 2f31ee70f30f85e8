using System.Runtime.CompilerServices;
using GitExp.Testing;

namespace GitExp.Templates.Tests.Infrastructure;

/// <summary>Approved-file snapshots of generated projects; fixture folders show as <c>{root}</c>.</summary>
public static class Snapshot
{
    public static void Verify(string actual, [CallerFilePath] string file = "", [CallerMemberName] string member = "") =>
        ApprovedFiles.Verify(actual, TemplateFixture.RootPrefix, "{root}", file, member);
}
