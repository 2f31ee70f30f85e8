using System.Globalization;

namespace GitExp.Client;

/// <summary>
/// The checkpoint protocol of <c>dotnet exp</c>: create the file named by <c>EXP_CHECKPOINT_FILE</c>,
/// wait until the runner deletes it. Every call becomes a commit of the experiment.
/// </summary>
public static class Checkpoint
{
    /// <summary>True inside a <c>dotnet exp run</c>; outside one, <see cref="Save"/> does nothing.</summary>
    public static bool IsEnabled => !string.IsNullOrEmpty(SignalFile);

    /// <summary>True when the run continues an experiment from a checkpoint (<c>EXP_RESUME=1</c>).</summary>
    public static bool Resumed => Environment.GetEnvironmentVariable("EXP_RESUME") == "1";

    /// <summary>The step of the checkpoint the run resumes from; 0 for a fresh run.</summary>
    public static int ResumedStep =>
        Resumed
        && int.TryParse(
            Environment.GetEnvironmentVariable("EXP_CHECKPOINT_STEP"),
            NumberStyles.Integer,
            CultureInfo.InvariantCulture,
            out var step
        )
            ? step
            : 0;

    private static string? SignalFile => Environment.GetEnvironmentVariable("EXP_CHECKPOINT_FILE");

    /// <summary>
    /// Asks the runner to record a checkpoint now and returns when it is recorded. Write your
    /// checkpoint files (model, optimizer state) before calling it.
    /// </summary>
    /// <param name="step">The step this checkpoint stands for; it is what a resumed run is told.</param>
    /// <param name="timeout">How long to wait for the runner; default 10 minutes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TimeoutException">The runner did not take the checkpoint in time (it is not running any more).</exception>
    public static void Save(int? step = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var signal = SignalFile;
        if (string.IsNullOrEmpty(signal))
        {
            return;
        }

        // Written aside and renamed, so the runner never reads a half-written step.
        var temp = signal + ".tmp";
        File.WriteAllText(temp, step?.ToString(CultureInfo.InvariantCulture) ?? "");
        File.Move(temp, signal, overwrite: true);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(10));
        while (File.Exists(signal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"dotnet exp did not take the checkpoint within {timeout ?? TimeSpan.FromMinutes(10)} (is the run still alive?)"
                );
            }

            Thread.Sleep(10);
        }
    }
}
