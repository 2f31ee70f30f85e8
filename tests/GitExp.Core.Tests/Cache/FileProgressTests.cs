using GitExp.Core.Cache;

namespace GitExp.Core.Tests.Cache;

/// <summary>Progress of hashing and caching: told when the work is known, then at most every 100 ms, then once finished.</summary>
public sealed class FileProgressTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Now;

        public void Advance(TimeSpan by) => Now += by.Ticks;
    }

    [Fact]
    public void Reports_come_at_most_once_per_interval_whatever_is_counted_and_once_more_when_finished()
    {
        var clock = new ManualClock();
        var reports = new List<FileProgressReport>();
        var progress = new FileProgress(FileWork.Caching, "train", reports.Add, clock);

        progress.AddTotal(1_000, 1_000 * 4096);
        for (var i = 0; i < 1_000; i++)
        {
            progress.AddBytes(1024);
            progress.FileDone(3072);
            if (i == 499)
            {
                clock.Advance(TimeSpan.FromMilliseconds(99));
            }
            else if (i == 599)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        progress.Finish();
        progress.AddBytes(1); // after the end: not told

        Assert.Equal(
            // The second report comes with the first count after the clock reached 100 ms: file 601's first KiB.
            [(0, 0L, false), (600, (600L * 4096) + 1024, false), (1_000, 1_000L * 4096, true)],
            reports.Select(r => (r.FilesDone, r.BytesDone, r.Finished))
        );
        Assert.All(
            reports,
            r => Assert.Equal((FileWork.Caching, "train", 1_000, 1_000L * 4096), (r.Work, r.Subject, r.FilesTotal, r.BytesTotal))
        );
    }

    [Fact]
    public void Work_that_found_nothing_to_read_reports_nothing()
    {
        var reports = new List<FileProgressReport>();
        var progress = new FileProgress(FileWork.Hashing, "train", reports.Add);

        progress.AddTotal(0, 0);
        progress.Finish();

        Assert.Empty(reports);
    }
}
