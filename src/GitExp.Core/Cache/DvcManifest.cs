using System.Globalization;
using System.Text;

namespace GitExp.Core.Cache;

/// <summary>DVC's <c>.dir</c> object: the manifest whose MD5 (plus <c>.dir</c>) names a directory in DVC 3.</summary>
/// <remarks>
/// dvc-data (<c>hashfile/tree.py</c>) writes <c>json.dumps(entries, sort_keys=True)</c> of a list sorted by
/// relpath, each entry <c>{"md5": …, "relpath": …}</c> with forward slashes; Python's defaults give ", " and
/// ": " separators and escape everything outside printable ASCII as <c>\uXXXX</c> (lowercase hex, UTF-16).
/// These bytes must match DVC's exactly, or a directory DVC recorded would look changed.
/// </remarks>
public static class DvcManifest
{
    /// <param name="entries">Relative paths (forward slashes) and MD5s, already sorted by path.</param>
    public static byte[] Serialize(IEnumerable<(string RelativePath, string Md5)> entries)
    {
        var json = new StringBuilder(entries.TryGetNonEnumeratedCount(out var count) ? (count * 100) + 2 : 256).Append('[');
        var first = true;
        foreach (var (path, md5) in entries)
        {
            json.Append(first ? "" : ", ").Append("{\"md5\": ");
            AppendString(json, md5);
            json.Append(", \"relpath\": ");
            AppendString(json, path);
            json.Append('}');
            first = false;
        }

        return Encoding.ASCII.GetBytes(json.Append(']').ToString());
    }

    // Printable ASCII but the two characters JSON escapes: written as they are.
    private static readonly System.Buffers.SearchValues<char> Plain = System.Buffers.SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"
    );

    private static void AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        if (!text.AsSpan().ContainsAnyExcept(Plain))
        {
            json.Append(text).Append('"');
            return;
        }

        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    json.Append("\\\"");
                    break;
                case '\\':
                    json.Append("\\\\");
                    break;
                case '\n':
                    json.Append("\\n");
                    break;
                case '\r':
                    json.Append("\\r");
                    break;
                case '\t':
                    json.Append("\\t");
                    break;
                case '\b':
                    json.Append("\\b");
                    break;
                case '\f':
                    json.Append("\\f");
                    break;
                case >= ' ' and <= '~':
                    json.Append(c);
                    break;
                default:
                    // A character beyond the BMP is already two UTF-16 units here, as Python writes it.
                    json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }

        json.Append('"');
    }
}
