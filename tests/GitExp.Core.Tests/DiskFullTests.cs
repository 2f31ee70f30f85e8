using GitExp.Core.Git;
using Microsoft.Data.Sqlite;

namespace GitExp.Core.Tests;

public class DiskFullTests
{
    [Fact]
    public void Enospc_names_the_file_from_the_message_or_the_caller()
    {
        var named = DiskFull.AsUserError(new IOException("No space left on device : '/nowhere/x.log'", 28));
        var copy = DiskFull.AsUserError(new IOException("No space left on device", 28), "/nowhere/copy.bin");

        Assert.Equal(ExitCode.DiskFull, named!.Code);
        Assert.Equal(
            "no space left on the device: could not write '/nowhere/x.log'; free some space and run the command again",
            named.Message
        );
        Assert.Contains("'/nowhere/copy.bin'", copy!.Message);
    }

    [Fact]
    public void A_quota_sqlite_full_git_and_wrapped_errors_are_recognized()
    {
        Assert.NotNull(DiskFull.AsUserError(new IOException("Disk quota exceeded", 122)));
        Assert.Contains(".exp/runs.db", DiskFull.AsUserError(new SqliteException("database or disk is full", 13))!.Message);
        Assert.Contains(
            "unable to write loose object file",
            DiskFull
                .AsUserError(
                    new GitCommandException(
                        "write-tree",
                        128,
                        "error: unable to write loose object file: No space left on device\n"
                    )
                )!
                .Message
        );
        Assert.NotNull(
            DiskFull.AsUserError(
                new AggregateException(new InvalidOperationException("x", new IOException("No space left on device", 28)))
            )
        );
    }

    [Fact]
    public void Other_io_errors_are_not_a_full_disk()
    {
        Assert.Null(DiskFull.AsUserError(new IOException("Permission denied : '/x'", 13)));
        Assert.Null(DiskFull.AsUserError(new SqliteException("constraint failed", 19)));
        Assert.Null(DiskFull.AsUserError(new InvalidOperationException("No space left in the table")));
    }
}
