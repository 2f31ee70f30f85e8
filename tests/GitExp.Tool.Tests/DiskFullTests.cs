using System.Diagnostics;
using System.Security.Cryptography;
using GitExp.Tool.Tests.Infrastructure;

namespace GitExp.Tool.Tests;

/// <summary>
/// A full disk, for real: the project lives on a small tmpfs that the test fills. Each write GitExp makes
/// (stage log, cache copy, queue copy, run store) must end in one line naming what could not be written,
/// exit code 28, and nothing half-written: git fsck clean, every cache object its own hash, no temp files.
/// </summary>
public sealed class DiskFullTests
{
    private sealed record FullDiskCase(
        string[] Args,
        string Mention,
        int PlotBytes,
        int FreeKiB,
        int PrintedBytes = 0,
        bool Queue = false
    );

    private static readonly Dictionary<string, FullDiskCase> Cases = new(StringComparer.Ordinal)
    {
        // The stage prints 600 KB, which the run's log cannot hold.
        ["stage log"] = new(["run"], "'.exp/tmp/logs/", PlotBytes: 0, FreeKiB: 200, PrintedBytes: 600_000),
        // The stage writes a 300 KB plot (ignored by Git) into 700 KiB, of which the run store's journal takes
        // about 200; the plot's copy into the cache does not fit.
        ["cache copy"] = new(["run"], "'.exp/cache/", PlotBytes: 300_000, FreeKiB: 700),
        // --copy-paths copies a 1.5 MB ignored file into the queued run's workspace.
        ["queue copy"] = new(["run", "--run-all"], "'.exptmp/", PlotBytes: 0, FreeKiB: 1000, Queue: true),
        // Not a byte left: the run store cannot open its journal.
        ["run store"] = new(["runs", "list"], "the run store (.exp/runs.db)", PlotBytes: 0, FreeKiB: 0),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_full_disk_is_one_line_naming_what_could_not_be_written_and_nothing_half_written(string name)
    {
        var scenario = Cases[name];
        using var disk = await SmallDisk.MountAsync(megabytes: 16);
        using var repo = await TempGitRepo.InitInAsync(disk.Directory("repo"));
        repo.WriteFile(
            "train.sh",
            $"""
            head -c {scenario.PrintedBytes} /dev/zero | tr '\0' 'x'
            echo
            head -c {scenario.PlotBytes} /dev/urandom > plot.bin
            echo '{"{"}"acc": 0.5{"}"}' > metrics.json

            """
        );
        repo.WriteFile(
            "exp.yaml",
            "stages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n    metrics: [metrics.json]\n    plots: [plot.bin]\n"
        );
        repo.WriteFile(".gitignore", "data.bin\nplot.bin\n");
        await repo.CommitAllAsync("Project on a small disk");
        await repo.ExpOkAsync("init");
        await repo.CommitAllAsync("init");
        if (scenario.Queue)
        {
            File.WriteAllBytes(repo.FullPath("data.bin"), RandomNumberGenerator.GetBytes(1_500_000));
            await repo.ExpOkAsync("run", "--queue", "-C", "data.bin", "-n", "queued");
        }

        disk.FillLeaving(scenario.FreeKiB);
        var result = await repo.ExpAsync(scenario.Args);
        disk.Empty();

        Assert.True(result.ExitCode == 28, $"expected exit 28 (disk full):\n{result}");
        Assert.DoesNotContain("   at ", result.StdErr);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("no space left on the device: could not write", line);
        Assert.Contains(scenario.Mention, line);
        var fsck = await repo.TryGitAsync("fsck", "--no-dangling");
        Assert.True(fsck.ExitCode == 0 && fsck.StdErr.Trim().Length == 0, fsck.ToString());
        AssertEveryCacheObjectIsWhole(repo);
        // No half-written copy: of a workspace file being detached from the cache, a link being made, a queued copy.
        Assert.DoesNotContain(
            Directory.EnumerateFiles(repo.Root, "*", SearchOption.AllDirectories),
            f =>
                f.Contains(".exp-detach-", StringComparison.Ordinal)
                || f.EndsWith(".exptmp", StringComparison.Ordinal)
                || (f.Contains("/.exptmp/", StringComparison.Ordinal) && f.EndsWith("/data.bin", StringComparison.Ordinal))
        );
    }

    private static void AssertEveryCacheObjectIsWhole(TempGitRepo repo)
    {
        var cache = repo.FullPath(".exp/cache");
        var tmp = Path.Combine(cache, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), "files left in .exp/cache/tmp");
        var objects = Path.Combine(cache, "sha256");
        if (!Directory.Exists(objects))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(objects, "*", SearchOption.AllDirectories))
        {
            var name =
                Path.GetFileName(Path.GetDirectoryName(file))
                + Path.GetFileName(file).Replace(".dir", "", StringComparison.Ordinal);
            Assert.Equal(name, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
        }
    }

    /// <summary>A tmpfs of a few megabytes, mounted for one test (tests run as root in CI).</summary>
    private sealed class SmallDisk : IDisposable
    {
        private readonly string _mountPoint;

        private SmallDisk(string mountPoint) => _mountPoint = mountPoint;

        private string Filler => Path.Combine(_mountPoint, "filler");

        public static async Task<SmallDisk> MountAsync(int megabytes)
        {
            var mountPoint = Path.Combine(Path.GetTempPath(), "gitexp-disk-" + Guid.NewGuid().ToString("N")[..12]);
            System.IO.Directory.CreateDirectory(mountPoint);
            var mount = await ExpTool.RunProcessAsync(
                new ProcessStartInfo("mount")
                {
                    ArgumentList = { "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", mountPoint },
                }
            );
            if (mount.ExitCode != 0)
            {
                System.IO.Directory.Delete(mountPoint);
                var uid = await ExpTool.RunProcessAsync(new ProcessStartInfo("id") { ArgumentList = { "-u" } });
                Assert.Fail(
                    $"this test mounts a small tmpfs to fill it, which needs root (CI runs the tests as root); id -u is {uid.StdOut.Trim()} and mount said: {mount.StdErr.Trim()}"
                );
            }

            return new SmallDisk(mountPoint);
        }

        public string Directory(string name)
        {
            var path = Path.Combine(_mountPoint, name);
            System.IO.Directory.CreateDirectory(path);
            return path;
        }

        /// <summary>Writes a file of zeros until only <paramref name="kib"/> KiB are free.</summary>
        public void FillLeaving(int kib)
        {
            var free = new DriveInfo(_mountPoint).AvailableFreeSpace;
            using var filler = new FileStream(Filler, FileMode.Create, FileAccess.Write);
            var chunk = new byte[64 * 1024];
            var left = free - (kib * 1024L);
            try
            {
                while (left > 0)
                {
                    var n = (int)Math.Min(chunk.Length, left);
                    filler.Write(chunk, 0, n);
                    left -= n;
                }

                filler.Flush();
            }
            catch (IOException) when (kib == 0) { }
        }

        public void Empty() => File.Delete(Filler);

        public void Dispose()
        {
            using var umount = Process.Start(new ProcessStartInfo("umount") { ArgumentList = { "-l", _mountPoint } });
            umount?.WaitForExit();
            try
            {
                System.IO.Directory.Delete(_mountPoint);
            }
            catch (IOException) { }
        }
    }
}
