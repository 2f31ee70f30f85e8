using GitExp.Core.Execution;

namespace GitExp.Core.Experiments;

/// <summary>
/// The one sink an experiment run reports to, whatever kind it is (workspace, queued, temp): the pipeline's
/// events and the experiment's own. The CLI renders them on the terminal, the queue worker into the entry's log.
/// </summary>
public interface IExperimentEvents : IRunEvents
{
    /// <summary>The run continues an experiment from one of its checkpoints, whose files are now in the workspace.</summary>
    void ResumingFromCheckpoint(string experimentName, string checkpoint, int step);

    /// <summary>A checkpoint was committed and the experiment's ref moved to it.</summary>
    void CheckpointRecorded(string experimentName, int step, string commit);

    /// <summary>The run finished and its result is recorded under the experiment's ref.</summary>
    void ExperimentRecorded(Experiment experiment);
}
