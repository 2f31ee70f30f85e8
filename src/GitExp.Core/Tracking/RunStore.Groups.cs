using System.Globalization;

namespace GitExp.Core.Tracking;

/// <summary>An experiment of the UI (a group of runs): its description, how many runs it holds and its best run by a metric.</summary>
public sealed record RunGroupSummary(string Name, string? Description, DateTimeOffset? Created, int Runs)
{
    /// <summary>The run with the best value of the chosen metric, and that value; null when none of its runs has it.</summary>
    public (string RunId, string? RunName, double Value)? Best { get; init; }
}

public sealed partial class RunStore
{
    /// <summary>Whether a group of that name was created or holds a run (deleted runs included).</summary>
    public bool GroupExists(string name)
    {
        using var query = Command(
            "SELECT EXISTS(SELECT 1 FROM run_groups WHERE name = $name) OR EXISTS(SELECT 1 FROM runs WHERE grp = $name)",
            ("$name", name)
        );
        return Convert.ToInt64(query.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
    }

    public void CreateGroup(string name, string? description, DateTimeOffset created) =>
        Execute(
            "INSERT INTO run_groups(name, description, created) VALUES($name, $description, $created)",
            ("$name", name),
            ("$description", description),
            ("$created", created.ToString("O", CultureInfo.InvariantCulture))
        );

    /// <summary>
    /// Every group (created, or in use by a run that is not archived or deleted) with its runs that are not archived or
    /// deleted, by name, each with its best run by <paramref name="metricKey"/> (highest, or lowest when
    /// <paramref name="lowerIsBetter"/>); no best without a key.
    /// </summary>
    public IReadOnlyList<RunGroupSummary> GroupSummaries(string? metricKey, bool lowerIsBetter)
    {
        var created = new Dictionary<string, (string? Description, DateTimeOffset Created)>(StringComparer.Ordinal);
        using (var query = Command("SELECT name, description, created FROM run_groups"))
        using (var reader = query.ExecuteReader())
        {
            while (reader.Read())
            {
                created[reader.GetString(0)] = (
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture)
                );
            }
        }

        var best = new Dictionary<string, (string, string?, double)>(StringComparer.Ordinal);
        if (metricKey is not null)
        {
            // SQLite takes the bare columns (the run's id and name) from the row that holds the MAX or MIN.
            using var query = Command(
                $"""
                SELECT r.grp, r.id, r.exp_name, {(lowerIsBetter ? "MIN" : "MAX")}(m.num) FROM runs r
                JOIN metrics m ON m.run_id = r.id AND m.key = $key
                WHERE r.deleted = 0 AND r.archived = 0 AND r.grp IS NOT NULL AND m.num IS NOT NULL
                GROUP BY r.grp
                """,
                ("$key", metricKey)
            );
            using var reader = query.ExecuteReader();
            while (reader.Read())
            {
                best[reader.GetString(0)] = (
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetDouble(3)
                );
            }
        }

        return Groups(archived: false)
            .Select(g =>
            {
                var made = created.TryGetValue(g.Name, out var c) ? c : default;
                return new RunGroupSummary(g.Name, made.Description, made == default ? null : made.Created, g.Runs)
                {
                    Best = best.TryGetValue(g.Name, out var b) ? b : null,
                };
            })
            .ToList();
    }

    /// <summary>The metric keys of the runs that are not deleted, in order: what a best-metric choice offers.</summary>
    public IReadOnlyList<string> MetricKeysInUse()
    {
        using var query = Command(
            "SELECT DISTINCT m.key FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.deleted = 0 ORDER BY m.key"
        );
        using var reader = query.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
