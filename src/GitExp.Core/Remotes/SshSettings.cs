using System.Security.Cryptography;
using System.Text;

namespace GitExp.Core.Remotes;

/// <summary>
/// How to reach an SSH remote, as OpenSSH's client would: the URL first, then the remote's options (<c>user</c>,
/// <c>port</c>, <c>keyfile</c>, <c>password</c>), then <c>~/.ssh/config</c> (<c>HostName</c>, <c>User</c>,
/// <c>Port</c>, <c>IdentityFile</c>, <c>UserKnownHostsFile</c>), then the defaults (the login name, port 22,
/// <c>~/.ssh/id_ed25519</c>, <c>id_ecdsa</c>, <c>id_rsa</c>, <c>~/.ssh/known_hosts</c>).
/// </summary>
public sealed record SshSettings(
    string Host,
    int Port,
    string User,
    string Root,
    IReadOnlyList<string> KeyFiles,
    string? Password,
    IReadOnlyList<string> KnownHostsFiles
)
{
    /// <summary>What the user typed, for messages: "user@host:port".</summary>
    public string Display => Port == 22 ? $"{User}@{Host}" : $"{User}@{Host}:{Port}";

    public static SshSettings Resolve(SshLocation location, CacheRemoteSettings remote)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(remote);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var sshDir = Path.Combine(home, ".ssh");
        var config = ReadConfig(Path.Combine(sshDir, "config"), location.Host);

        string Expand(string path) =>
            path.StartsWith('~') ? home + path[1..]
            : Path.IsPathRooted(path) ? path
            : Path.Combine(sshDir, path);

        var keyFiles = new List<string>();
        if (remote.Option("keyfile") is { } keyFile)
        {
            keyFiles.Add(Path.GetFullPath(Expand(keyFile), remote.BaseDirectory));
        }

        keyFiles.AddRange(config.GetValueOrDefault("identityfile", []).Select(Expand));
        if (keyFiles.Count == 0)
        {
            keyFiles.AddRange(new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(k => Path.Combine(sshDir, k)));
        }

        var knownHosts = config.GetValueOrDefault("userknownhostsfile", []).SelectMany(v => v.Split(' ')).Select(Expand).ToList();
        if (knownHosts.Count == 0)
        {
            knownHosts.Add(Path.Combine(sshDir, "known_hosts"));
        }

        var port =
            location.Port
            ?? (remote.Option("port") is { } p ? int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) : (int?)null)
            ?? (config.GetValueOrDefault("port") is [var configured, ..] && int.TryParse(configured, out var cp) ? cp : 22);
        return new SshSettings(
            config.GetValueOrDefault("hostname") is [var hostName, ..] ? hostName : location.Host,
            port,
            location.User
                ?? remote.Option("user")
                ?? (config.GetValueOrDefault("user") is [var u, ..] ? u : Environment.UserName),
            location.Root,
            keyFiles.Where(File.Exists).Distinct().ToList(),
            remote.Option("password"),
            knownHosts
        );
    }

    /// <summary>
    /// The settings of <c>~/.ssh/config</c> that apply to <paramref name="host"/>, by lower-case keyword: as ssh does,
    /// the first value of a keyword wins (IdentityFile adds up). <c>Match</c> blocks are not evaluated and never apply.
    /// </summary>
    internal static Dictionary<string, List<string>> ReadConfig(string path, string host)
    {
        var settings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return settings;
        }

        var applies = true;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var split = line.IndexOfAny([' ', '\t', '=']);
            if (split <= 0)
            {
                continue;
            }

            var keyword = line[..split].ToLowerInvariant();
            var value = line[(split + 1)..].Trim().TrimStart('=').Trim().Trim('"');
            if (keyword == "host")
            {
                applies = HostMatches(host, value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
                continue;
            }

            if (keyword == "match")
            {
                applies = false;
                continue;
            }

            if (!applies)
            {
                continue;
            }

            if (!settings.TryGetValue(keyword, out var values))
            {
                settings[keyword] = [value];
            }
            else if (keyword == "identityfile")
            {
                values.Add(value);
            }
        }

        return settings;
    }

    private static bool HostMatches(string host, string[] patterns)
    {
        var matched = false;
        foreach (var pattern in patterns)
        {
            var negated = pattern.StartsWith('!');
            if (Glob(negated ? pattern[1..] : pattern, host))
            {
                if (negated)
                {
                    return false;
                }

                matched = true;
            }
        }

        return matched;
    }

    private static bool Glob(string pattern, string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(
            text,
            "^"
                + System
                    .Text.RegularExpressions.Regex.Escape(pattern)
                    .Replace("\\*", ".*", StringComparison.Ordinal)
                    .Replace("\\?", ".", StringComparison.Ordinal)
                + "$",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant
        );

    /// <summary>
    /// The host keys <c>known_hosts</c> files list for this host and port (plain or hashed names, <c>[host]:port</c>
    /// for other ports than 22), as (type, key blob); <c>@revoked</c> keys come back with Revoked set.
    /// </summary>
    public IReadOnlyList<(string Type, byte[] Key, bool Revoked)> KnownKeys()
    {
        var name = Port == 22 ? Host : $"[{Host}]:{Port}";
        var keys = new List<(string, byte[], bool)>();
        foreach (var file in KnownHostsFiles.Where(File.Exists))
        {
            foreach (var raw in File.ReadAllLines(file))
            {
                var parts = raw.Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0 || parts[0].StartsWith('#'))
                {
                    continue;
                }

                var revoked = false;
                if (parts[0].StartsWith('@'))
                {
                    if (parts[0] != "@revoked")
                    {
                        continue; // @cert-authority: certificates are not supported
                    }

                    revoked = true;
                    parts = parts[1..];
                }

                if (parts.Length < 3 || !NameMatches(parts[0], name))
                {
                    continue;
                }

                try
                {
                    keys.Add((parts[1], Convert.FromBase64String(parts[2]), revoked));
                }
                catch (FormatException)
                {
                    // A damaged line names no key.
                }
            }
        }

        return keys;
    }

    private static bool NameMatches(string field, string name)
    {
        if (field.StartsWith("|1|", StringComparison.Ordinal))
        {
            var hashed = field.Split('|');
            if (hashed.Length != 4)
            {
                return false;
            }

            try
            {
#pragma warning disable CA5350 // HMAC-SHA1 is what OpenSSH's HashKnownHosts writes; it only hides the names.
                var mac = HMACSHA1.HashData(Convert.FromBase64String(hashed[2]), Encoding.UTF8.GetBytes(name));
#pragma warning restore CA5350
                return Convert.ToBase64String(mac) == hashed[3];
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return HostMatches(name, field.Split(','));
    }
}
