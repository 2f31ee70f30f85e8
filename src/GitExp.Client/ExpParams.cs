using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace GitExp.Client;

/// <summary>Reads the params a run uses (params.yaml by default), by dotted key: <c>train.lr</c>, <c>layers[0]</c>.</summary>
public sealed class ExpParams
{
    private readonly YamlNode _root;

    private ExpParams(YamlNode root, string path)
    {
        _root = root;
        Path = path;
    }

    /// <summary>The file the params were read from.</summary>
    public string Path { get; }

    /// <summary>Loads a params file; relative paths are taken from the current directory (the stage's wdir).</summary>
    public static ExpParams Load(string path = "params.yaml")
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        return new ExpParams(yaml.Documents.Count > 0 ? yaml.Documents[0].RootNode : new YamlMappingNode(), path);
    }

    /// <summary>The value of a key as text, or null when the file does not have it.</summary>
    public string? Find(string key)
    {
        YamlNode? node = _root;
        foreach (var part in Parts(key))
        {
            node = part switch
            {
                int index when node is YamlSequenceNode list && index < list.Children.Count => list.Children[index],
                string name
                    when node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(name), out var child) =>
                    child,
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node is YamlScalarNode scalar ? scalar.Value : null;
    }

    /// <summary>The value of a key as text; a missing key is an error naming the key and the file.</summary>
    public string Get(string key) => Find(key) ?? throw new KeyNotFoundException($"{Path}: no param '{key}'");

    /// <summary>The value of a key as a number.</summary>
    public double GetDouble(string key) => double.Parse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The value of a key as a whole number.</summary>
    public int GetInt(string key) => int.Parse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>The value of a key as true or false.</summary>
    public bool GetBool(string key) => bool.Parse(Get(key));

    private static IEnumerable<object> Parts(string key)
    {
        foreach (var segment in key.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            yield return bracket < 0 ? segment : segment[..bracket];
            while (bracket >= 0)
            {
                var end = segment.IndexOf(']', bracket);
                yield return int.Parse(segment.AsSpan(bracket + 1, end - bracket - 1), CultureInfo.InvariantCulture);
                bracket = segment.IndexOf('[', end);
            }
        }
    }
}
