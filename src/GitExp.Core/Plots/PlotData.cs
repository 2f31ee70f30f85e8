using System.Text;
using System.Text.Json.Nodes;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Plots;

/// <summary>Reads a plot's data file into datapoints, as DVC reads plots files: JSON, YAML, TOML, CSV and TSV.</summary>
public static class PlotData
{
    private static readonly HashSet<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".svg"];

    private static readonly HashSet<string> DataExtensions = [".json", ".yaml", ".yml", ".toml", ".csv", ".tsv"];

    /// <summary>An image DVC shows as it is (PNG, JPEG, GIF, SVG).</summary>
    public static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>A file <c>plots show</c> can draw or show: data or an image.</summary>
    public static bool IsPlotFile(string path) =>
        IsImage(path) || DataExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// The datapoints of a data file: a CSV or TSV file's rows (values as text, as DVC reads them), or the lists of
    /// maps in a JSON, YAML or TOML file (the file itself, or lists anywhere under its maps) merged index by index.
    /// </summary>
    /// <param name="header">False: a CSV or TSV file has no header row; its columns are named 0, 1, ...</param>
    /// <remarks>The maps may still belong to the parsed document: clone them (or their values) to put them elsewhere.</remarks>
    public static List<JsonObject> Parse(string path, byte[] content, bool header = true)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new ExpException(ExitCode.InvalidProject, $"{path}: not UTF-8 text");
        }

        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".csv" or ".tsv")
        {
            return SeparatedValues(text, ext == ".tsv" ? '\t' : ',', header);
        }

        if (!DataExtensions.Contains(ext))
        {
            throw new ExpException(
                ExitCode.InvalidProject,
                $"{path}: plots must be JSON, YAML, TOML, CSV or TSV data, or PNG, JPEG, GIF or SVG images"
            );
        }

        var root = ParamsFile.Parse(text.TrimStart('\uFEFF'), path).Root;
        var lists = Lists(root).Where(IsDatapoints).ToList();
        if (lists.Count == 1)
        {
            // The common case: one list, whose maps are the datapoints as they are.
            return [.. lists[0].Select(item => item!.AsObject())];
        }

        var result = new List<JsonObject>();
        foreach (var list in lists)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (result.Count <= i)
                {
                    result.Add([]);
                }

                foreach (var (key, value) in list[i]!.AsObject())
                {
                    result[i][key] = value?.DeepClone();
                }
            }
        }

        return result;
    }

    // The file when it is a list, else every list among its map values, depth first (DVC's _lists).
    private static IEnumerable<JsonArray> Lists(JsonNode? node)
    {
        if (node is JsonArray array)
        {
            yield return array;
        }
        else if (node is JsonObject obj)
        {
            foreach (var (_, value) in obj)
            {
                if (value is JsonObject)
                {
                    foreach (var inner in Lists(value))
                    {
                        yield return inner;
                    }
                }
                else if (value is JsonArray list)
                {
                    yield return list;
                }
            }
        }
    }

    // Maps with none but the first one's keys (DVC's _is_datapoints): maps with other keys would draw something unexpected.
    private static bool IsDatapoints(JsonArray list)
    {
        if (list.Count == 0 || list[0] is not JsonObject first)
        {
            return false;
        }

        foreach (var item in list)
        {
            if (item is not JsonObject map)
            {
                return false;
            }

            foreach (var (key, _) in map)
            {
                if (!first.ContainsKey(key))
                {
                    return false;
                }
            }
        }

        return true;
    }

    // RFC 4180 fields (quotes, doubled quotes, separators and line breaks inside quotes); blank lines are skipped.
    private static List<JsonObject> SeparatedValues(string text, char separator, bool header)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                continue;
            }

            if (c == '"' && field.Length == 0)
            {
                quoted = true;
                any = true;
            }
            else if (c == separator)
            {
                row.Add(field.ToString());
                field.Clear();
                any = true;
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                EndRow();
            }
            else
            {
                field.Append(c);
                any = true;
            }
        }

        EndRow();

        void EndRow()
        {
            if (any || field.Length > 0)
            {
                row.Add(field.ToString());
                rows.Add(row);
            }

            row = [];
            field.Clear();
            any = false;
        }

        if (rows.Count == 0)
        {
            return [];
        }

        var names = header
            ? rows[0]
            : [.. Enumerable.Range(0, rows[0].Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var result = new List<JsonObject>(rows.Count);
        foreach (var values in rows.Skip(header ? 1 : 0))
        {
            var point = new JsonObject();
            for (var i = 0; i < names.Count; i++)
            {
                point[names[i]] = i < values.Count ? JsonValue.Create(values[i]) : null;
            }

            result.Add(point);
        }

        return result;
    }
}
