using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using GitExp.Core.Serialization;

namespace GitExp.Core.Git;

/// <summary>What GitExp reads from a commit object itself: its tree, parents, time, subject and trailers.</summary>
/// <remarks>A commit never changes, so these can be remembered by commit id (<c>.git/gitexp/commits</c>).</remarks>
public sealed record CommitFacts(string Tree, IReadOnlyList<string> Parents, long CommitTime, string Subject, string Trailers)
{
    /// <summary>The <c>git log</c>/<c>rev-list</c> pretty format, in the field order <see cref="ParseRecord"/> reads.</summary>
    internal const string PrettyFormat = "%H%x00%T%x00%P%x00%ct%x00%s%x00%(trailers:only,unfold)%x1e";

    /// <summary>One record of <see cref="PrettyFormat"/> (without its separator): the commit id and its facts.</summary>
    internal static (string Commit, CommitFacts Facts)? ParseRecord(string record)
    {
        var fields = record.Split('\0');
        if (fields.Length < 6)
        {
            return null;
        }

        var parents = fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var time = long.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture);
        return (fields[0], new CommitFacts(fields[1], parents, time, fields[4], fields[5]));
    }

    public string ToJson() =>
        CompactJson.ToText(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("tree", Tree);
            writer.WriteStartArray("parents");
            foreach (var parent in Parents)
            {
                writer.WriteStringValue(parent);
            }

            writer.WriteEndArray();
            writer.WriteNumber("time", CommitTime);
            writer.WriteString("subject", Subject);
            writer.WriteString("trailers", Trailers);
            writer.WriteEndObject();
        });

    /// <summary>Reads what <see cref="ToJson"/> wrote; false for anything else.</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out CommitFacts? facts)
    {
        facts = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (
                root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("tree", out var tree)
                || !root.TryGetProperty("parents", out var parents)
                || !root.TryGetProperty("time", out var time)
                || !root.TryGetProperty("subject", out var subject)
                || !root.TryGetProperty("trailers", out var trailers)
            )
            {
                return false;
            }

            facts = new CommitFacts(
                tree.GetString()!,
                parents.EnumerateArray().Select(p => p.GetString()!).ToList(),
                time.GetInt64(),
                subject.GetString()!,
                trailers.GetString()!
            );
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
