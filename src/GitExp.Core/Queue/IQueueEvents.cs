using GitExp.Core.Experiments;

namespace GitExp.Core.Queue;

/// <summary>What the queue's workers tell their front end: entries starting and ending, and each entry's run.</summary>
/// <remarks>Called from several workers at once (<c>-j N</c>): an implementation serializes what it shares.</remarks>
public interface IQueueEvents
{
    /// <summary>
    /// A worker leased the entry and starts it; returns the sink its run reports to: its log, and what its
    /// commands write to stderr also in the stderr log.
    /// </summary>
    IExperimentEvents EntryStarted(QueueEntry entry, string logPath, string stderrLogPath);

    /// <summary>The entry ended: recorded as <paramref name="experiment"/>, or moved to the failed ones (null).</summary>
    void EntryFinished(QueueEntry entry, QueueResult result, Experiment? experiment);
}
