namespace GitExp.Core.Experiments;

/// <summary>What a name on the command line is matched against: an experiment here or on a remote.</summary>
public interface IExperimentRef
{
    string Name { get; }

    string Ref { get; }

    string Commit { get; }

    string Baseline { get; }
}

/// <summary>An experiment: a commit under <c>refs/exps/&lt;baseline[:2]&gt;/&lt;baseline[2:]&gt;/&lt;name&gt;</c>.</summary>
public sealed record Experiment(
    string Name,
    string Ref,
    string Commit,
    string Tree,
    string Baseline,
    DateTimeOffset Created,
    string Subject
) : IExperimentRef
{
    public const string RefPrefix = "refs/exps/";

    /// <summary>The checkpoint step of the tip commit, or null when the experiment has no checkpoints.</summary>
    public int? Step { get; init; }

    /// <summary>The tip is a checkpoint that no final commit followed: the run was interrupted.</summary>
    public bool Interrupted { get; init; }

    public static string RefFor(string baseline, string name) => $"{RefPrefix}{baseline[..2]}/{baseline[2..]}/{name}";

    /// <summary>Parses an experiment ref name; null for refs of the queue or other namespaces.</summary>
    public static (string Baseline, string Name)? ParseRef(string refName)
    {
        if (!refName.StartsWith(RefPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = refName[RefPrefix.Length..].Split('/');
        if (parts.Length != 3 || parts[0].Length != 2 || parts[1].Length != 38)
        {
            return null;
        }

        return (parts[0] + parts[1], parts[2]);
    }
}
