namespace GitExp.Core.Experiments;

/// <summary>Generated <c>adjective-noun</c> names and the rules every experiment name follows.</summary>
public static class ExperimentNames
{
    private static readonly string[] Adjectives =
    [
        "agile",
        "amber",
        "azure",
        "bold",
        "brave",
        "brisk",
        "calm",
        "candid",
        "civic",
        "clear",
        "cosy",
        "crisp",
        "curly",
        "dapper",
        "deft",
        "dense",
        "eager",
        "early",
        "epic",
        "fancy",
        "fiery",
        "fleet",
        "fond",
        "frank",
        "fresh",
        "gentle",
        "glad",
        "grand",
        "green",
        "hardy",
        "hazy",
        "jolly",
        "keen",
        "kind",
        "lanky",
        "lean",
        "lucid",
        "lunar",
        "mellow",
        "merry",
        "misty",
        "modest",
        "noble",
        "nimble",
        "odd",
        "plush",
        "polar",
        "proud",
        "quick",
        "quiet",
        "rapid",
        "ready",
        "regal",
        "rosy",
        "rusty",
        "sandy",
        "sharp",
        "shiny",
        "silky",
        "sleek",
        "smart",
        "snowy",
        "solar",
        "sound",
        "spry",
        "stark",
        "steady",
        "stoic",
        "sunny",
        "swift",
        "tidy",
        "vivid",
        "warm",
        "wary",
        "witty",
        "young",
        "zesty",
    ];

    private static readonly string[] Nouns =
    [
        "acorn",
        "alder",
        "anvil",
        "aspen",
        "badge",
        "basin",
        "birch",
        "bison",
        "blaze",
        "bloom",
        "brook",
        "cabin",
        "cedar",
        "cliff",
        "comet",
        "coral",
        "crane",
        "creek",
        "delta",
        "dune",
        "eagle",
        "ember",
        "fable",
        "falcon",
        "fern",
        "finch",
        "fjord",
        "flint",
        "forge",
        "gecko",
        "glade",
        "grove",
        "harbor",
        "hazel",
        "heron",
        "ivory",
        "kayak",
        "koala",
        "lark",
        "lemur",
        "lotus",
        "lynx",
        "maple",
        "marsh",
        "meadow",
        "mesa",
        "moose",
        "oasis",
        "orbit",
        "otter",
        "panda",
        "pearl",
        "pecan",
        "pine",
        "plaza",
        "prism",
        "quail",
        "raven",
        "reef",
        "ridge",
        "river",
        "robin",
        "sage",
        "salmon",
        "shore",
        "spark",
        "spruce",
        "stone",
        "swan",
        "thorn",
        "tiger",
        "trail",
        "tulip",
        "valley",
        "walnut",
        "willow",
        "yak",
        "zebra",
    ];

    /// <summary>A random name not in <paramref name="taken"/>; falls back to a numeric suffix when the pairs run out.</summary>
    public static string Generate(IReadOnlySet<string> taken)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var name = $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}-{Nouns[Random.Shared.Next(Nouns.Length)]}";
            if (!taken.Contains(name))
            {
                return name;
            }
        }

        var baseName = $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}-{Nouns[Random.Shared.Next(Nouns.Length)]}";
        for (var i = 2; ; i++)
        {
            if (!taken.Contains($"{baseName}-{i}"))
            {
                return $"{baseName}-{i}";
            }
        }
    }

    /// <summary>Refuses names Git cannot hold as the last part of a ref, or that hold a '/'.</summary>
    public static async Task ValidateAsync(
        Git.GitRepository git,
        string name,
        string flag,
        CancellationToken cancellationToken = default
    )
    {
        if (
            name.Length == 0
            || name.Contains('/', StringComparison.Ordinal)
            || name.Contains(':', StringComparison.Ordinal)
            || name.Contains('~', StringComparison.Ordinal)
            || !await git.IsValidRefNameAsync("refs/exps/ab/cdef/" + name, cancellationToken).ConfigureAwait(false)
        )
        {
            throw new ExpException(
                ExitCode.Usage,
                $"{flag} '{name}': not a valid experiment name (no '/', ':', '~', spaces, '..' or control characters; Git's check-ref-format rules)"
            );
        }
    }
}
