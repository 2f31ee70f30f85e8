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
    /// a node tree first costs more than the reads behind it. <paramref name="write"/> calls the flush
    /// callback it is given now and then, so the text goes out in small pieces (no large-object-heap buffers).
    /// </summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter, Action> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 15);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        // The console's own stream takes the UTF-8 bytes as they are; any other writer gets text.
        using var stdout = ReferenceEquals(output, Console.Out) ? Console.OpenStandardOutput() : null;
        var chars = stdout is null ? new char[Encoding.UTF8.GetMaxCharCount(1 << 15)] : [];
        var decoder = Encoding.UTF8.GetDecoder();
        output.Flush();

        void Flush()
        {
            writer.Flush();
            var bytes = buffer.WrittenSpan;
            if (stdout is not null)
            {
                stdout.Write(bytes);
                bytes = [];
            }

            while (!bytes.IsEmpty)
            {
                var chunk = bytes[..Math.Min(bytes.Length, 1 << 15)];
                decoder.Convert(chunk, chars, flush: false, out var used, out var produced, out _);
                output.Write(chars, 0, produced);
                bytes = bytes[used..];
            }

            buffer.ResetWrittenCount();
        }

        write(writer, Flush);
        Flush();
        if (stdout is not null)
        {
            stdout.Write("\n"u8);
            stdout.Flush();
        }
        else
        {
            output.WriteLine();
        }
    }
}
