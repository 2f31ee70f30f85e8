using System.Text;
using System.Text.Json;

namespace GitExp.Core.Cache;

/// <summary>Remembers which outputs a stage produced for a given (cmd, dep hashes, params) key, so an identical run can be restored instead of repeated.</summary>
/// <remarks>
/// An entry is a JSON file at <c>runs/ab/cdef…</c>: <c>{"outs":[{"path","sha256","size","nfiles"?}]}</c>.
/// It does not keep the objects alive; callers check <see cref="ContentCache.Contains"/> before restoring.
/// </remarks>
public sealed class RunCache
{
    private readonly string _runsDir;

    public RunCache(string cacheDir)
    {
        ArgumentNullException.ThrowIfNull(cacheDir);
        _runsDir = Path.Combine(Path.GetFullPath(cacheDir), "runs");
    }

    public static string Key(string canonicalText) => FileHasher.HashBytes(Encoding.UTF8.GetBytes(canonicalText));

    public bool TryGet(string key, out IReadOnlyList<(string Path, ContentHash Hash)> outs)
    {
        outs = [];
        try
        {
            return TryParse(File.ReadAllBytes(EntryPath(key)), out outs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable: a miss, the stage simply runs.
            return false;
        }
    }

    /// <summary>Reads an entry's bytes (from this cache or a cache remote); false when they are not an entry.</summary>
    public static bool TryParse(byte[] entry, out IReadOnlyList<(string Path, ContentHash Hash)> outs)
    {
        outs = [];
        try
        {
            using var doc = JsonDocument.Parse(entry);
            var list = new List<(string, ContentHash)>();
            foreach (var item in doc.RootElement.GetProperty("outs").EnumerateArray())
            {
                int? nfiles = item.TryGetProperty("nfiles", out var n) ? n.GetInt32() : null;
                list.Add(
                    (
                        item.GetProperty("path").GetString()!,
                        new ContentHash(item.GetProperty("sha256").GetString()!, item.GetProperty("size").GetInt64(), nfiles)
                    )
                );
            }

            outs = list;
            return true;
        }
        catch (Exception e)
            when (e
                    is JsonException
                        or InvalidOperationException
                        or KeyNotFoundException
                        or FormatException
                        or ArgumentNullException
            )
        {
            return false;
        }
    }

    /// <summary>The keys of every entry (for pushing the run-cache to a cache remote).</summary>
    public IEnumerable<string> Keys() =>
        !Directory.Exists(_runsDir)
            ? []
            : Directory
                .EnumerateFiles(_runsDir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetFileName(Path.GetDirectoryName(f)) + Path.GetFileName(f))
                .Where(IsKey);

    /// <summary>True for 64 lowercase hex digits.</summary>
    public static bool IsKey(string key) => key.Length == 64 && key.All(char.IsAsciiHexDigitLower);

    /// <summary>The file of an entry, <c>runs/ab/cdef…</c> under the cache.</summary>
    public string EntryFile(string key) => EntryPath(key);

    public void Put(string key, IReadOnlyList<(string Path, ContentHash Hash)> outs)
    {
        ArgumentNullException.ThrowIfNull(outs);
        var path = EntryPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteStartArray("outs");
                foreach (var (outPath, hash) in outs)
                {
                    json.WriteStartObject();
                    json.WriteString("path", outPath);
                    json.WriteString("sha256", hash.Sha256);
                    json.WriteNumber("size", hash.Size);
                    if (hash.NFiles is { } n)
                    {
                        json.WriteNumber("nfiles", n);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private string EntryPath(string key)
    {
        if (!IsKey(key))
        {
            throw new ArgumentException($"'{key}' is not a run-cache key (64 lowercase hex digits)", nameof(key));
        }

        return Path.Combine(_runsDir, key[..2], key[2..]);
    }
}
