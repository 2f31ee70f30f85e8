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

    /// <summary>
    /// The longest name, in UTF-8 bytes: the ref is a file named after it, and Git writes <c>&lt;name&gt;.lock</c>
    /// beside it, within the 255-byte file-name limit of common file systems.
    /// </summary>
    public const int MaxNameBytes = 250;

    /// <summary>Names Git or GitExp already give a meaning where an experiment name is accepted (exp diff, apply).</summary>
    private static readonly string[] Reserved = [ExperimentDiff.Workspace, "@"];

    /// <summary>
    /// Refuses, before anything runs or changes, a name that cannot be the last part of an experiment ref or that
    /// would mean something else where names are read: empty, too long, a '/', revision syntax (':', '~', '^',
    /// '@{'), a leading '-', Git's own names (HEAD, FETCH_HEAD, ORIG_HEAD, MERGE_HEAD, ...), 'workspace', and
    /// whatever <c>git check-ref-format</c> refuses.
    /// </summary>
    public static async Task ValidateAsync(
        Git.GitRepository git,
        string name,
        string flag,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(git);
        ArgumentNullException.ThrowIfNull(name);
        var problem =
            Problem(name)
            ?? (
                await git.IsValidRefNameAsync("refs/exps/ab/cdef/" + name, cancellationToken).ConfigureAwait(false)
                    ? null
                    : "not a valid experiment name (Git's check-ref-format rules: no spaces, '..', '*', '?', '[', '\\', control characters, leading '.', or trailing '.' or '.lock')"
            );
        if (problem is not null)
        {
            throw new ExpException(ExitCode.Usage, $"{flag} '{Shown(name)}': {problem}");
        }
    }

    /// <summary>What is wrong with a name by GitExp's own rules (Git's are checked by <see cref="ValidateAsync"/>), or null.</summary>
    internal static string? Problem(string name)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        return name.Length == 0 ? "an experiment name cannot be empty"
            : bytes > MaxNameBytes
                ? $"too long: {bytes} bytes, at most {MaxNameBytes} (Git keeps each experiment in a file named after it)"
            : name.Contains('/', StringComparison.Ordinal) ? "an experiment name cannot hold '/'"
            : name.Contains("@{", StringComparison.Ordinal)
                ? "an experiment name cannot hold '@{' (Git reads it as a reflog or upstream revision)"
            : name.IndexOfAny([':', '~', '^']) >= 0
                ? "an experiment name cannot hold ':', '~' or '^' (revision syntax: name~2 is a checkpoint)"
            : name.StartsWith('-') ? "an experiment name cannot start with '-' (it would read as an option)"
            : IsGitName(name) || Reserved.Contains(name, StringComparer.Ordinal)
                ? $"'{name}' already means something to Git or GitExp (HEAD, FETCH_HEAD, ORIG_HEAD, MERGE_HEAD and other *HEAD names, '@', 'workspace'); choose another name"
            : null;
    }

    /// <summary>HEAD and Git's pseudo-refs (FETCH_HEAD, ORIG_HEAD, MERGE_HEAD, CHERRY_PICK_HEAD, ...): capitals and '_' ending in HEAD.</summary>
    private static bool IsGitName(string name) =>
        name.EndsWith("HEAD", StringComparison.Ordinal) && name.All(c => c is (>= 'A' and <= 'Z') or '_');

    /// <summary>A name as a message shows it: a very long one is cut, so the message stays one readable line.</summary>
    private static string Shown(string name) => name.Length > 60 ? name[..40] + "…" : name;
}
