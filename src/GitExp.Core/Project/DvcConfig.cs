namespace GitExp.Core.Project;

/// <summary>
/// What GitExp takes from DVC's own settings, <c>.dvc/config</c> and then <c>.dvc/config.local</c> (INI files, as
/// <c>dvc config</c> writes them): the cache folder, <c>cache.dir</c>.
/// </summary>
public sealed record DvcConfig(string? CacheDir)
{
    public static DvcConfig Empty { get; } = new((string?)null);

    /// <summary>Reads the config files of the DVC folder <paramref name="dvcDirectory"/>; a later file wins.</summary>
    /// <remarks>A relative <c>cache.dir</c> is relative to the <c>.dvc</c> folder, as DVC writes it.</remarks>
    public static DvcConfig Load(string dvcDirectory)
    {
        string? cacheDir = null;
        foreach (var name in (string[])["config", "config.local"])
        {
            var path = Path.Combine(dvcDirectory, name);
            if (File.Exists(path) && Read(File.ReadAllLines(path), "cache", "dir") is { } dir)
            {
                cacheDir = Path.GetFullPath(Path.Combine(dvcDirectory, dir));
            }
        }

        return new DvcConfig(cacheDir);
    }

    /// <summary>A setting of one config file: its last <c>key = value</c> in <c>[section]</c>; null when absent or empty.</summary>
    /// <remarks>
    /// configobj's syntax as DVC writes it: '[section]' (a remote's is ['remote "name"']), 'key = value' lines
    /// indented or not, '#' and ';' comments, values optionally quoted.
    /// </remarks>
    internal static string? Read(IEnumerable<string> lines, string section, string key)
    {
        string? current = null;
        string? value = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                current = line[1..^1].Trim().Trim('\'', '"').Trim();
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current == section && equals > 0 && line[..equals].Trim() == key)
            {
                value = Unquote(line[(equals + 1)..].Trim());
            }
        }

        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == value[^1] && value[0] is '"' or '\'' ? value[1..^1] : value;
}
