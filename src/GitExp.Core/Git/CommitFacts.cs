using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
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
    /// <remarks>A reader over pooled bytes, not a document: a listing of 10,000 experiments parses 10,000 of these.</remarks>
    public static bool TryParse(string json, [NotNullWhen(true)] out CommitFacts? facts)
    {
        facts = null;
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(0, Encoding.UTF8.GetBytes(json, bytes)));
            string? tree = null,
                subject = null,
                trailers = null;
            List<string>? parents = null;
            long? time = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("tree"u8))
                {
                    tree = reader.GetString();
                }
                else if (name.SequenceEqual("subject"u8))
                {
                    subject = reader.GetString();
                }
                else if (name.SequenceEqual("trailers"u8))
                {
                    trailers = reader.GetString();
                }
                else if (name.SequenceEqual("time"u8))
                {
                    time = reader.GetInt64();
                }
                else if (name.SequenceEqual("parents"u8) && reader.TokenType == JsonTokenType.StartArray)
                {
                    parents = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        parents.Add(reader.GetString()!);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            if (
                reader.TokenType != JsonTokenType.EndObject
                || tree is null
                || parents is null
                || time is not { } commitTime
                || subject is null
                || trailers is null
            )
            {
                return false;
            }

            facts = new CommitFacts(tree, parents, commitTime, subject, trailers);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
