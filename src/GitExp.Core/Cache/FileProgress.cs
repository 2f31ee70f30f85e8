namespace GitExp.Core.Cache;

/// <summary>What a long file operation of a stage is doing.</summary>
public enum FileWork
{
    /// <summary>Reading deps and outs the state table does not know, to hash them.</summary>
    Hashing,

    /// <summary>Storing a stage's outs in the cache (hashing, linking or copying them).</summary>
    Caching,

    /// <summary>Sending cache objects to a cache remote (the subject is the remote's name).</summary>
    Uploading,

    /// <summary>Fetching cache objects from a cache remote into the cache (the subject is the remote's name).</summary>
    Downloading,
}

/// <summary>How far a long file operation has got; <see cref="Finished"/> on the last report, with the totals.</summary>
/// <param name="Subject">The stage's address (the remote's name for a transfer).</param>
/// <param name="FilesSkipped">Files found already where they were to go (a transfer's objects the other side has).</param>
public sealed record FileProgressReport(
    FileWork Work,
    string Subject,
    long BytesDone,
    long BytesTotal,
    int FilesDone,
    int FilesTotal,
    bool Finished,
    TimeSpan Elapsed,
    int FilesSkipped = 0
)
{
    /// <summary>Bytes a second so far (0 before any time has passed).</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? BytesDone / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Counts the bytes and files of one long operation (any number of threads may count) and reports them: once when
/// the work becomes known, then at most every <see cref="Interval"/>, and once when finished. Nothing is reported for
/// an operation that found nothing to do.
/// </summary>
/// <param name="time">The clock the interval is measured by (tests pass their own).</param>
public sealed class FileProgress(FileWork work, string subject, Action<FileProgressReport> report, TimeProvider? time = null)
{
    /// <summary>The least time between two reports: about ten a second, enough for a line that updates in place.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long _started = (time ?? TimeProvider.System).GetTimestamp();
    private long _bytesDone;
    private long _bytesTotal;
    private long _filesDone;
    private long _filesTotal;
    private long _nextReport;
    private long _skipped;

    /// <summary>Adds work found to do (a folder listed, a file found unknown to the state table).</summary>
    internal void AddTotal(int files, long bytes)
    {
        if (files == 0 && bytes == 0)
        {
            return;
        }

        Interlocked.Add(ref _filesTotal, files);
        Interlocked.Add(ref _bytesTotal, bytes);
        Tick();
    }

    /// <summary>Files that needed no work: already where they were to go.</summary>
    internal void AddSkipped(int files)
    {
        Interlocked.Add(ref _skipped, files);
    }

    /// <summary>Bytes of a file read (or copied) so far.</summary>
    internal void AddBytes(long bytes)
    {
        Interlocked.Add(ref _bytesDone, bytes);
        Tick();
    }

    /// <summary>A file is done; <paramref name="uncountedBytes"/> of it were not told through <see cref="AddBytes"/>.</summary>
    internal void FileDone(long uncountedBytes)
    {
        Interlocked.Add(ref _bytesDone, uncountedBytes);
        Interlocked.Increment(ref _filesDone);
        Tick();
    }

    /// <summary>
    /// A callback for the bytes of one file, and what to call when that file is done: the bytes the callback did not
    /// hear of (the file was known, or hard-linked rather than copied) are counted then.
    /// </summary>
    internal (Action<int> OnRead, Action Done) ForFile(long size)
    {
        long counted = 0;
        return (
            n =>
            {
                counted += n;
                AddBytes(n);
            },
            () => FileDone(Math.Max(0, size - counted))
        );
    }

    /// <summary>Reports the totals once more, as finished, when there was anything to do; no report follows.</summary>
    public void Finish()
    {
        Interlocked.Exchange(ref _nextReport, long.MaxValue);
        if (Interlocked.Read(ref _filesTotal) > 0 || Interlocked.Read(ref _bytesTotal) > 0 || Interlocked.Read(ref _skipped) > 0)
        {
            Send(finished: true);
        }
    }

    private void Tick()
    {
        var now = _time.GetTimestamp();
        var next = Interlocked.Read(ref _nextReport);
        // One thread wins each interval; the others go on counting.
        if (
            now >= next
            && Interlocked.CompareExchange(ref _nextReport, now + (long)(Interval.TotalSeconds * _time.TimestampFrequency), next)
                == next
        )
        {
            Send(finished: false);
        }
    }

    private void Send(bool finished)
    {
        var total = Interlocked.Read(ref _bytesTotal);
        var filesTotal = (int)Interlocked.Read(ref _filesTotal);
        report(
            new FileProgressReport(
                work,
                subject,
                Math.Min(Interlocked.Read(ref _bytesDone), total),
                total,
                Math.Min((int)Interlocked.Read(ref _filesDone), filesTotal),
                filesTotal,
                finished,
                _time.GetElapsedTime(_started),
                (int)Interlocked.Read(ref _skipped)
            )
        );
    }
}
