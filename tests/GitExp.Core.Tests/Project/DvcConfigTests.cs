using GitExp.Core.Project;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Project;

public sealed class DvcConfigTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Cache_dir_is_read_from_the_cache_section_relative_to_the_dvc_folder()
    {
        var dvc = Path.Combine(dir.Path, ".dvc");
        Directory.CreateDirectory(dvc);
        File.WriteAllText(
            Path.Combine(dvc, "config"),
            "[core]\n    remote = storage\n    # dir = not/this\n['remote \"storage\"']\n    url = s3://bucket\n    dir = nor/this\n[cache]\n    type = symlink\n    dir = ../../shared cache\n"
        );

        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Path, "..", "shared cache")), DvcConfig.Load(dvc).CacheDir);

        File.WriteAllText(Path.Combine(dvc, "config.local"), "; this machine\n[cache]\ndir = '/mnt/dvc-cache'\n");
        Assert.Equal("/mnt/dvc-cache", DvcConfig.Load(dvc).CacheDir);
    }

    [Fact]
    public void No_config_or_no_cache_dir_leaves_it_unset()
    {
        Assert.Null(DvcConfig.Load(Path.Combine(dir.Path, ".dvc")).CacheDir);
        Directory.CreateDirectory(Path.Combine(dir.Path, ".dvc"));
        File.WriteAllText(Path.Combine(dir.Path, ".dvc", "config"), "[core]\n    autostage = true\n");
        Assert.Null(DvcConfig.Load(Path.Combine(dir.Path, ".dvc")).CacheDir);
    }
}
