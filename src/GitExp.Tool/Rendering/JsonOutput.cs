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

    public static void Write(TextWriter output, JsonNode document) => output.WriteLine(document.ToJsonString(Options));
}
