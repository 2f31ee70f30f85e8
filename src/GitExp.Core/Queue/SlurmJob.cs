using System.Text.Json;

namespace GitExp.Core.Queue;

/// <summary>
/// What the queue keeps of an entry handed to Slurm, in <c>.exp/tmp/queue/&lt;id&gt;.slurm</c>: the job, the snapshot
/// it runs, and what a resubmission needs.
/// </summary>
/// <param name="Id">The queue entry.</param>
/// <param name="JobId">Slurm's id of the array task, <c>&lt;array job&gt;_&lt;task&gt;</c>.</param>
/// <param name="Snapshot">The entry's snapshot commit (a requeued failure goes back to it).</param>
/// <param name="Output">The job's own output file (sbatch's <c>-o</c>), in the shared job folder.</param>
/// <param name="Sbatch">The sbatch options of the submission, reused by a resubmission.</param>
/// <param name="Tool">The command running the tool on the compute nodes.</param>
/// <param name="Requeue">Whether an entry Slurm killed is submitted again (<c>--requeue</c>).</param>
/// <param name="Attempt">1 for the first submission, one more for each resubmission.</param>
public sealed record SlurmJob(
    string Id,
    string JobId,
    string Snapshot,
    string Output,
    IReadOnlyList<string> Sbatch,
    string Tool,
    bool Requeue,
    int Attempt
)
{
    /// <summary><c>dotnet exp queue kill</c> cancelled the job: never requeued.</summary>
    public bool KilledByUser { get; init; }

    /// <summary>Slurm's last word on the job once the queue has settled what it means (null while it may still run).</summary>
    public string? FinalState { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The array job id (before <c>_</c>), what squeue takes.</summary>
    public string ArrayJobId => JobId.Split('_')[0];

    public static SlurmJob? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SlurmJob>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Written whole or not at all (rename), since compute nodes and the login node read it.</summary>
    public void Write(string path)
    {
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, JsonOptions));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>Where a Slurm job stands, as <c>queue status</c> shows it.</summary>
/// <param name="JobId">Slurm's id of the array task.</param>
/// <param name="State">Slurm's state (PENDING, RUNNING, COMPLETED, TIMEOUT, CANCELLED, ...), or UNKNOWN.</param>
/// <param name="Node">The node it runs on, when Slurm says.</param>
public sealed record SlurmStatus(string JobId, string State, string? Node);
