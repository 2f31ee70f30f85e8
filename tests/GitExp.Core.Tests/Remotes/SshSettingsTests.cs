using System.Security.Cryptography;
using System.Text;
using GitExp.Core.Remotes;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Remotes;

public sealed class SshSettingsTests
{
    [Fact]
    public void Ssh_config_gives_the_first_value_of_each_keyword_of_the_matching_hosts_and_skips_match_blocks()
    {
        using var folder = new TempFolder();
        var config = folder.Write(
            "config",
            """
            Host other
              User nobody
            Host gpu-* !gpu-old
              HostName 10.0.0.5
              User alice
              IdentityFile ~/.ssh/gpu
            Match host gpu-box
              User mallory
            Host *
              User bob
              Port 2222
              IdentityFile ~/.ssh/id_default
            """
        );

        var box = SshSettings.ReadConfig(config, "gpu-box");
        var old = SshSettings.ReadConfig(config, "gpu-old");

        Assert.Equal(["10.0.0.5"], box["hostname"]);
        Assert.Equal(["alice"], box["user"]);
        Assert.Equal(["2222"], box["port"]);
        Assert.Equal(["~/.ssh/gpu", "~/.ssh/id_default"], box["identityfile"]);
        Assert.Equal(["bob"], old["user"]);
        Assert.False(old.ContainsKey("hostname"));
    }

    [Fact]
    public void Known_hosts_match_plain_bracketed_and_hashed_names_and_mark_revoked_keys()
    {
        using var folder = new TempFolder();
        var salt = RandomNumberGenerator.GetBytes(20);
#pragma warning disable CA5350 // OpenSSH's hashed known_hosts format
        var hashed = Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes("[box]:2222")));
#pragma warning restore CA5350
        var keyA = Convert.ToBase64String([1, 2, 3]);
        var keyB = Convert.ToBase64String([4, 5, 6]);
        var keyC = Convert.ToBase64String([7, 8, 9]);
        var file = folder.Write(
            "known_hosts",
            $"""
            box ssh-ed25519 {keyC}
            |1|{Convert.ToBase64String(salt)}|{hashed} ssh-ed25519 {keyA}
            [other]:2222,[box]:2222 ecdsa-sha2-nistp256 {keyB}
            @revoked [box]:2222 ssh-rsa {keyC}
            """
        );
        var settings = new SshSettings("box", 2222, "me", "/srv", [], null, [file]);

        var keys = settings.KnownKeys();

        Assert.Equal(3, keys.Count);
        Assert.Contains(keys, k => k.Type == "ssh-ed25519" && k.Key.SequenceEqual(new byte[] { 1, 2, 3 }) && !k.Revoked);
        Assert.Contains(keys, k => k.Type == "ecdsa-sha2-nistp256" && !k.Revoked);
        Assert.Contains(keys, k => k.Type == "ssh-rsa" && k.Revoked);
    }

    [Theory]
    [InlineData("ssh://alice@box:2222/srv/cache", "alice", "box", 2222, "/srv/cache")]
    [InlineData("ssh://box/srv/cache", null, "box", null, "/srv/cache")]
    public void Ssh_urls_give_user_host_port_and_path(string url, string? user, string host, int? port, string path)
    {
        var location = Assert.IsType<SshLocation>(RemoteLocation.Parse(url, "/repo"));

        Assert.Equal(new SshLocation(user, host, port, path), location);
    }

    [Fact]
    public void A_relative_folder_url_is_relative_to_the_base_and_other_schemes_are_refused()
    {
        Assert.Equal(new FolderLocation("/repo/storage"), RemoteLocation.Parse("../repo/storage", "/x"));
        var error = Assert.Throws<ExpException>(() => RemoteLocation.Parse("s3://bucket/cache", "/repo"));
        Assert.Contains("s3://bucket/cache", error.Message);
    }
}
