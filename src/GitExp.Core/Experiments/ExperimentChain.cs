namespace GitExp.Core.Experiments;

/// <summary>
/// Where the next commit of a running experiment goes: its parent (the baseline, or the previous
/// checkpoint) and what the experiment's ref holds now (null before its first commit).
/// </summary>
/// <remarks>Each run has its own chain, so parallel checkpointing runs never share a ref.</remarks>
public sealed class ExperimentChain(string baseline, string name, string parent, string? refValue, int step)
{
    public const string CheckpointTrailer = "Exp-Checkpoint";

    public string Baseline { get; } = baseline;

    public string Name { get; } = name;

    public string Parent { get; private set; } = parent;

    public string? RefValue { get; private set; } = refValue;

    /// <summary>The step of the last checkpoint on the chain (0 before any).</summary>
    public int Step { get; private set; } = step;

    /// <summary>How many checkpoints this run has taken.</summary>
    public int Taken { get; private set; }

    public string Ref => Experiment.RefFor(Baseline, Name);

    /// <summary>The parent and tree of the last checkpoint this run took (null before one).</summary>
    public (string Parent, string Tree)? LastCheckpoint { get; private set; }

    internal void Advance(string commit, int? step, string? tree = null)
    {
        if (step is not null && tree is not null)
        {
            LastCheckpoint = (Parent, tree);
        }

        Parent = commit;
        RefValue = commit;
        if (step is { } s)
        {
            Step = s;
            Taken++;
        }
    }

    /// <summary>The checkpoint step a commit message records, or null for a commit that is not a checkpoint.</summary>
    public static int? StepOf(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            if (
                line.StartsWith(CheckpointTrailer + ": ", StringComparison.Ordinal)
                && int.TryParse(
                    line.AsSpan(CheckpointTrailer.Length + 2),
                    System.Globalization.CultureInfo.InvariantCulture,
                    out var step
                )
            )
            {
                return step;
            }
        }

        return null;
    }
}
