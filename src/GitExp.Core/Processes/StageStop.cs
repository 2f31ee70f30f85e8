namespace GitExp.Core.Processes;

/// <summary>
/// How a stage command is stopped when its run is cancelled (<c>queue kill</c>): Ctrl-C's SIGINT to its process
/// tree, so it can clean up, then SIGKILL after <see cref="Grace"/>, or at once when <see cref="Force"/> is asked.
/// </summary>
/// <remarks>Without one, a cancelled stage is killed at once (a Ctrl-C in the terminal already reached it).</remarks>
public sealed class StageStop
{
    private readonly TaskCompletionSource _forced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long an interrupted stage has to end by itself before it is killed (decision 0039).</summary>
    public static TimeSpan DefaultGrace { get; } = TimeSpan.FromSeconds(10);

    public TimeSpan Grace { get; init; } = DefaultGrace;

    /// <summary>True once <see cref="Force"/> was asked: no SIGINT, no wait.</summary>
    public bool IsForced => _forced.Task.IsCompleted;

    /// <summary>Completes when <see cref="Force"/> is asked, ending a wait that is under way.</summary>
    public Task Forced => _forced.Task;

    public void Force() => _forced.TrySetResult();
}
