using System.Text.Json.Nodes;
using GitExp.Core;
using GitExp.Core.Experiments;
using GitExp.Core.Tracking;

namespace GitExp.Tool.Web;

/// <summary>
/// Runs side by side for <c>GET /api/compare</c>: every param and metric key with each run's value,
/// whether the values differ, and each metric's delta against the pinned run (the first unless chosen).
/// </summary>
internal static class RunComparison
{
    public static JsonObject Build(RunStore store, string? ids, string? pin, int max)
    {
        var wanted = (ids ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (wanted.Count < 2 || wanted.Count > max)
        {
            throw new ExpException(ExitCode.Usage, $"ids: expected 2 to {max} run ids separated by commas, got {wanted.Count}");
        }

        var runs = wanted.Select(id => RunsApi.Find(store, id)).ToList();
        var pinned = pin is null or "" ? runs[0] : runs.FirstOrDefault(r => r.Id == RunsApi.Find(store, pin).Id);
        if (pinned is null)
        {
            throw new ExpException(ExitCode.Usage, $"pin '{pin}': the pinned run must be one of the compared runs");
        }

        var pinnedIndex = runs.IndexOf(pinned);
        var parameters = new JsonArray();
        foreach (var key in AllKeys(runs.Select(r => r.Params.Keys)))
        {
            var values = runs.Select(r => r.Params.GetValueOrDefault(key)).ToList();
            parameters.Add(Row(key, values, pinnedIndex, withDeltas: false));
        }

        var metrics = new JsonArray();
        foreach (var key in AllKeys(runs.Select(r => r.Metrics.Keys)))
        {
            var values = runs.Select(r => r.Metrics.TryGetValue(key, out var m) ? m.Last : null).ToList();
            var row = Row(key, values, pinnedIndex, withDeltas: true);
            var histories = new JsonArray();
            var any = false;
            foreach (var run in runs)
            {
                var history = RunsApi.History(store, run, key);
                any |= history.Count > 0;
                histories.Add(history);
            }

            if (any)
            {
                row["histories"] = histories;
            }

            metrics.Add(row);
        }

        return new JsonObject
        {
            ["pinned"] = pinned.Id,
            ["runs"] = new JsonArray(
                runs.Select(r =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["id"] = r.Id,
                                ["name"] = r.ExperimentName,
                                ["title"] = r.Title,
                                ["status"] = r.Status.ToString().ToLowerInvariant(),
                            }
                    )
                    .ToArray()
            ),
            ["params"] = parameters,
            ["metrics"] = metrics,
        };
    }

    private static IEnumerable<string> AllKeys(IEnumerable<IEnumerable<string>> keys) =>
        keys.SelectMany(k => k).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private static JsonObject Row(string key, List<JsonNode?> values, int pinnedIndex, bool withDeltas)
    {
        var texts = values.Select(v => v?.ToJsonString()).ToList();
        var row = new JsonObject
        {
            ["key"] = key,
            ["values"] = new JsonArray(values.Select(v => v?.DeepClone()).ToArray()),
            ["differs"] = texts.Distinct(StringComparer.Ordinal).Count() > 1,
        };
        if (withDeltas)
        {
            var basis = ValueComparer.AsNumber(values[pinnedIndex]);
            row["deltas"] = new JsonArray(
                values
                    .Select(v =>
                        basis is { } b && ValueComparer.AsNumber(v) - b is { } d && double.IsFinite(d)
                            ? (JsonNode?)JsonValue.Create(d)
                            : null
                    )
                    .ToArray()
            );
        }

        return row;
    }
}
