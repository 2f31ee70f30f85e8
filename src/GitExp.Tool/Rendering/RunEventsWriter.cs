using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;

namespace GitExp.Tool.Rendering;

/// <summary>Renders a run's events as the lines users read: on the terminal, or in a queued run's log.</summary>
/// <param name="summarize">Follow a recorded experiment with where it is and what to do next (a workspace run).</param>
internal sealed class RunEventsWriter(TextWriter output, bool summarize) : IExperimentEvents
{
    public void StageSkipped(Stage stage, StageAction action) =>
        output.WriteLine(
            action == StageAction.Frozen
                ? $"Stage '{stage.Address}' is frozen, not running it."
                : $"Stage '{stage.Address}' didn't change, skipping."
        );

    public void StageRestoredFromRunCache(Stage stage) =>
        output.WriteLine($"Stage '{stage.Address}' ran before with these inputs: restoring its outs from the run-cache.");

    public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands)
    {
        output.WriteLine($"Would run stage '{stage.Address}' ({string.Join("; ", reasons)}):");
        foreach (var command in commands)
        {
            output.WriteLine("> " + command);
        }
    }

    public void StageStarted(Stage stage) => output.WriteLine($"Running stage '{stage.Address}':");

    public void CommandStarted(Stage stage, string command) => output.WriteLine("> " + command);

    public void CommandOutput(ReadOnlySpan<char> text)
    {
        output.Write(text);
        output.Flush();
    }

    public void StageFinished(StageExecution execution)
    {
        // A failure is told by the error that ends the command; the rest said what they did as they went.
    }

    public void Warning(string message) => output.WriteLine("warning: " + message);

    public void ResumingFromCheckpoint(string experimentName, string checkpoint, int step) =>
        output.WriteLine($"Resuming from checkpoint {checkpoint[..7]} (step {step}) as experiment '{experimentName}'.");

    public void CheckpointRecorded(string experimentName, int step, string commit) =>
        output.WriteLine($"Checkpoint {step} of '{experimentName}' recorded ({commit[..7]}).");

    public void ExperimentRecorded(Experiment experiment)
    {
        if (!summarize)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Ran experiment '{experiment.Name}' ({experiment.Commit[..7]}), ref {experiment.Ref}.");
        output.WriteLine($"  Compare:  dotnet exp show   |   Keep it:  dotnet exp branch {experiment.Name} <branch>");
    }
}
