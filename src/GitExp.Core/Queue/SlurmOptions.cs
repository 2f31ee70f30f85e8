using System.Globalization;

namespace GitExp.Core.Queue;

/// <summary>
/// How queued entries go to a Slurm cluster: <c>executor:</c> of <c>.exp/config.yaml</c>, overridden by the flags of
/// <c>queue start --executor slurm</c> (and <c>run --run-all/--temp --executor slurm</c>).
/// </summary>
public sealed record SlurmOptions
{
    /// <summary>At most this many entries run at once: the <c>%N</c> of the job array (<c>-j</c>).</summary>
    public int Jobs { get; init; } = 1;

    public string? Partition { get; init; }

    /// <summary>Slurm's time limit of each entry's job (<c>--time</c>, e.g. <c>2:00:00</c>).</summary>
    public string? Time { get; init; }

    /// <summary>Generic resources of each job (<c>--gres gpu:1</c>): Slurm then sets <c>CUDA_VISIBLE_DEVICES</c>.</summary>
    public string? Gres { get; init; }

    /// <summary>CPUs of each job (sbatch's <c>--cpus-per-task</c>).</summary>
    public int? Cpus { get; init; }

    public string? Mem { get; init; }

    /// <summary>Any other sbatch options, passed as they are (<c>--account=ml</c>, <c>--qos=short</c>).</summary>
    public IReadOnlyList<string> SbatchArgs { get; init; } = [];

    /// <summary>An entry whose job Slurm ended (time limit, preemption, node failure) is submitted again, not failed.</summary>
    public bool Requeue { get; init; }

    /// <summary>
    /// The command that runs the tool on the compute nodes, as shell words (<c>dotnet exp</c>,
    /// <c>/shared/tools/dotnet-exp</c>); null: the absolute path of the tool that submits.
    /// </summary>
    public string? Tool { get; init; }

    /// <summary>How many times an entry is submitted again with <see cref="Requeue"/> before it ends as failed.</summary>
    public const int MaxAttempts = 3;

    /// <summary>The sbatch options every job of a submission gets (the array and output options aside).</summary>
    public IReadOnlyList<string> SbatchOptions()
    {
        var options = new List<string>();
        if (Partition is not null)
        {
            options.Add("--partition=" + Partition);
        }

        if (Time is not null)
        {
            options.Add("--time=" + Time);
        }

        if (Gres is not null)
        {
            options.Add("--gres=" + Gres);
        }

        if (Cpus is { } cpus)
        {
            options.Add("--cpus-per-task=" + cpus.ToString(CultureInfo.InvariantCulture));
        }

        if (Mem is not null)
        {
            options.Add("--mem=" + Mem);
        }

        options.AddRange(SbatchArgs);
        return options;
    }
}
