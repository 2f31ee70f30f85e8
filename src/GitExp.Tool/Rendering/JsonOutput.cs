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

    /// <summary>A property name encoded once as every <c>--json</c> output escapes it, for names written many times.</summary>
    public static JsonEncodedText Encode(string name) => JsonEncodedText.Encode(name, WriterOptions.Encoder);

    public static void Write(TextWriter output, JsonNode document) => output.WriteLine(document.ToJsonString(Options));

    /// <summary>
    /// Writes a document through a writer, byte for byte as <see cref="Write(TextWriter, JsonNode)"/> would write it
    /// as a node. For large documents: to the console, the writer goes straight to stdout, and <paramref name="write"/>
    /// may flush it as it goes (<see cref="Utf8JsonWriter.Flush"/>) so that no copy of the whole is kept.
    /// </summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        if (ReferenceEquals(output, Console.Out))
        {
            output.Flush();
            using var stdout = Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, WriterOptions))
            {
                write(writer);
            }

            stdout.Write(Encoding.UTF8.GetBytes(output.NewLine));
            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
