using GitExp.Core.Queue;

namespace GitExp.Core.Tests.Queue;

public sealed class QueueEntryTests
{
    private const string Baseline = "0123456789abcdef0123456789abcdef01234567";
    private const string Checkpoint = "89abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void An_entry_that_continues_a_checkpoint_keeps_it_in_its_message()
    {
        var entry = new QueueEntry("a1b2c3d4e5", "more", Baseline, "", DateTimeOffset.FromUnixTimeMilliseconds(1000), [], [], [])
        {
            ResumeFrom = Checkpoint,
        };

        var message = entry.ToCommitMessage();
        var read = QueueEntry.FromCommitMessage("c0ffee", message);

        Assert.Contains($"\nExp-Resume-From: {Checkpoint}\n", message);
        Assert.Equal(Checkpoint, read!.ResumeFrom);
    }

    [Fact]
    public void An_entry_queued_before_resume_points_existed_reads_as_a_fresh_start()
    {
        // The message of an entry written before Exp-Resume-From and Exp-Command were added.
        const string message = $"""
            Queued experiment old

            Exp-Id: 0a1b2c3d4e
            Exp-Name: old
            Exp-Baseline: {Baseline}
            Exp-Queued-At: 1700000000000
            Exp-Set-Param: train.lr=0.1

            """;

        var read = QueueEntry.FromCommitMessage("c0ffee", message);

        Assert.NotNull(read);
        Assert.Equal(("0a1b2c3d4e", "old", Baseline), (read.Id, read.Name, read.Baseline));
        Assert.Equal(["train.lr=0.1"], read.SetParams);
        Assert.Null(read.ResumeFrom);
        Assert.DoesNotContain("Exp-Resume-From", (read with { Commit = "c0ffee" }).ToCommitMessage());
    }
}
