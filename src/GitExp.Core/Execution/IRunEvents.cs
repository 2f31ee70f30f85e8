using GitExp.Core.Cache;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Execution;

/// <summary>
/// What a pipeline run tells its front end as it goes. The engine never writes text: the CLI, the queue
/// worker's log and the tests each turn these into their own words.
/// </summary>
public interface IRunEvents
{
    /// <summary>A stage that will not run: <see cref="StageAction.UpToDate"/> or <see cref="StageAction.Frozen"/>.</summary>
    void StageSkipped(Stage stage, StageAction action);

    /// <summary>A stage whose inputs were seen before: its outs come from the run-cache, its commands do not run.</summary>
    void StageRestoredFromRunCache(Stage stage);

    /// <summary>A dry run: the stage would run for these reasons, running these commands.</summary>
    void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands);

    /// <summary>A stage's commands are about to run.</summary>
    void StageStarted(Stage stage);

    /// <summary>One command of a running stage starts (a stage runs one per line of its <c>cmd</c>).</summary>
    void CommandStarted(Stage stage, string command);

    /// <summary>Output of a running command as it comes, not split in lines, from the stream that wrote it.</summary>
    void CommandOutput(ReadOnlySpan<char> text, CommandStream stream);

    /// <summary>How a selected stage went, whatever happened to it (failures and interruptions included).</summary>
    void StageFinished(StageExecution execution);

    /// <summary>Something the user should know that does not stop the run (one line, no "warning:" prefix).</summary>
    void Warning(string message);

    /// <summary>
    /// How far hashing a stage's files or caching its outs has got: when the work is known, then at most about ten
    /// times a second (from any thread), and once more with <see cref="FileProgressReport.Finished"/> and the totals.
    /// Work that found nothing to read reports nothing.
    /// </summary>
    void Progress(FileProgressReport report);
}

/// <summary>A sink that hears nothing: for callers that only want the result (status checks, tests).</summary>
public sealed class SilentRunEvents : IRunEvents
{
    public static readonly SilentRunEvents Instance = new();

    public void StageSkipped(Stage stage, StageAction action) { }

    public void StageRestoredFromRunCache(Stage stage) { }

    public void StageWouldRun(Stage stage, IReadOnlyList<string> reasons, IReadOnlyList<string> commands) { }

    public void StageStarted(Stage stage) { }

    public void CommandStarted(Stage stage, string command) { }

    public void CommandOutput(ReadOnlySpan<char> text, CommandStream stream) { }

    public void StageFinished(StageExecution execution) { }

    public void Warning(string message) { }

    public void Progress(FileProgressReport report) { }
}

/// <summary>Which of a command's output streams wrote some output.</summary>
public enum CommandStream
{
    Stdout,
    Stderr,
}
