using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GitExp.Core.Serialization;

/// <summary>
/// Small JSON documents written straight through a <see cref="Utf8JsonWriter"/> (compact, default escaping):
/// cheaper than building a node tree or starting <see cref="JsonSerializer"/>, which matters in short commands.
/// </summary>
public static class CompactJson
{
    /// <summary>The UTF-8 bytes of what <paramref name="write"/> writes.</summary>
    public static byte[] ToBytes(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The text of what <paramref name="write"/> writes.</summary>
    public static string ToText(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a value that may be JSON null (a C# null node).</summary>
    public static void WriteValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }
}
