using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GitExp.Tool.Rendering;

/// <summary>How every <c>--json</c> output is written: indented, and without HTML-safe escapes such as <c>\u002B</c>.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        // The output goes to terminals and scripts, never into an HTML page.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(TextWriter output, JsonNode document) => output.WriteLine(document.ToJsonString(Options));

    /// <summary>
    /// Writes a document straight through a <see cref="Utf8JsonWriter"/> with the same settings as
    /// <see cref="Write(TextWriter, JsonNode)"/>: for large outputs (a thousand experiments) where building
    /// a node tree first costs more than the reads behind it.
    /// </summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
