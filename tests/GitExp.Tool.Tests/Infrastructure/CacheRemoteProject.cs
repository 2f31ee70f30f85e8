using System.Security.Cryptography;

namespace GitExp.Tool.Tests.Infrastructure;

/// <summary>
/// A project whose stage writes a cached file (<c>model.bin</c>) and a cached folder (<c>data/</c>) of random bytes,
/// committed and pushed to a bare <c>origin</c>, for the cache remote tests.
/// </summary>
public sealed class CacheRemoteProject : IDisposable
{
    private CacheRemoteProject(TempGitRepo repo, TempGitRepo origin)
    {
        Repo = repo;
        Origin = origin;
    }

    public TempGitRepo Repo { get; }

    public TempGitRepo Origin { get; }

    /// <param name="files">Files of <c>data/</c>.</param>
    /// <param name="kib">Size of each, in KiB.</param>
    public static async Task<CacheRemoteProject> CreateAsync(int files = 3, int kib = 64)
    {
        var repo = await TempGitRepo.InitAsync();
        repo.WriteFile("params.yaml", "seed: 1\n");
        repo.WriteFile(
            "make.sh",
            $$"""
            #!/bin/sh
            set -e
            mkdir -p data
            i=0
            while [ $i -lt {{files}} ]; do
              head -c {{kib * 1024}} /dev/urandom > data/part-$i.bin
              i=$((i + 1))
            done
            head -c 65536 /dev/urandom > model.bin
            printf '{"score": 1}\n' > metrics.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            """
            stages:
              make:
                cmd: sh make.sh
                deps:
                  - make.sh
                params:
                  - seed
                outs:
                  - data
                  - model.bin
                metrics:
                  - metrics.json:
                      cache: false

            """
        );
        await repo.CommitAllAsync("Add project");
        var origin = await TempGitRepo.InitBareAsync();
        await repo.GitAsync("remote", "add", "origin", origin.Root);
        await repo.GitAsync("push", "-q", "origin", "main");
        return new CacheRemoteProject(repo, origin);
    }

    /// <summary>Every object file under <paramref name="root"/>'s <c>sha256/</c> (temp files of an interrupted write left out).</summary>
    public static IReadOnlyList<string> Objects(string root)
    {
        var dir = Path.Combine(root, "sha256");
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList()
            : [];
    }

    /// <summary>Every object under <paramref name="root"/> holds exactly the bytes its name says.</summary>
    public static void AssertObjectsIntact(string root)
    {
        foreach (var file in Objects(root))
        {
            var name = Path.GetFileName(Path.GetDirectoryName(file)) + Path.GetFileName(file);
            var expected = name.EndsWith(".dir", StringComparison.Ordinal) ? name[..^4] : name;
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
        }
    }

    /// <summary>Replaces an object's bytes (it is read-only, as GitExp writes it).</summary>
    public static void Tamper(string file)
    {
        File.SetAttributes(file, FileAttributes.Normal);
        var bytes = File.ReadAllBytes(file);
        bytes[0] ^= 0xff;
        File.WriteAllBytes(file, bytes);
    }

    public static void AssertSameFiles(TempGitRepo expected, TempGitRepo actual, string path)
    {
        var full = expected.FullPath(path);
        var files = Directory.Exists(full) ? Directory.GetFiles(full, "*", SearchOption.AllDirectories) : [full];
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(expected.Root, file);
            Assert.True(actual.Exists(relative), $"'{relative}' is missing");
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(actual.FullPath(relative)));
        }
    }

    public void Dispose()
    {
        Repo.Dispose();
        Origin.Dispose();
    }
}
