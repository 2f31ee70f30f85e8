using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GitExp.Core.Cache;

/// <summary>The few libc calls .NET does not expose: statx (inode), link, and the FICLONE ioctl.</summary>
internal static partial class Posix
{
    internal const int EPERM = 1;
    internal const int EXDEV = 18;
    internal const int EINVAL = 22;
    internal const int ENOTTY = 25;
    internal const int EMLINK = 31;
    internal const int ENOSYS = 38;
    internal const int EOPNOTSUPP = 95;

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const nuint Ficlone = 0x40049409;

    // One statx buffer per thread: a folder of 10,000 files is stat'ed on every status.
    [ThreadStatic]
    private static byte[]? t_statxBuffer;

    /// <summary>What the state table and the cache need from a file's status.</summary>
    internal readonly record struct FileStat(long Size, long MtimeTicks, ulong Inode, uint Nlink, bool IsExecutable)
    {
        /// <summary>The state table's rule (and DVC's): same size, mtime and inode is the same version of a file.</summary>
        public bool IsSameVersion(FileStat other) => Size == other.Size && MtimeTicks == other.MtimeTicks && Inode == other.Inode;
    }

    /// <summary>Stats a file, following symlinks; null when it does not exist or cannot be read.</summary>
    internal static FileStat? Stat(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            // statx's struct has one layout on every Linux architecture, unlike struct stat, so a
            // byte buffer read at fixed offsets is safe without unsafe code or per-arch structs.
            var buf = t_statxBuffer ??= new byte[256];
            try
            {
                if (StatxInto(path, buf) == 0)
                {
                    var nlink = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(16));
                    var mode = BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(28));
                    var ino = BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(32));
                    var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(40));
                    var mtimeSec = BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(112));
                    var mtimeNsec = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(120));
                    if ((mode & 0xF000) != 0x8000)
                    {
                        return null; // not a regular file
                    }

                    return new FileStat(
                        size,
                        (mtimeSec * TimeSpan.TicksPerSecond) + (mtimeNsec / 100),
                        ino,
                        nlink,
                        (mode & 0x49) != 0
                    );
                }

                return null;
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                // glibc before 2.28 or a libc without statx: fall through to what .NET offers.
            }
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        // Without an inode, size + mtime alone identify the version of the file.
        var exec =
            !OperatingSystem.IsWindows()
            && (info.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        return new FileStat(info.Length, info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks, 0, 1, exec);
    }

    /// <summary>Creates a hard link; returns 0 or the errno.</summary>
    internal static int Link(string existing, string newPath)
    {
        if (OperatingSystem.IsWindows())
        {
            return EPERM;
        }

        return link(existing, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Makes <paramref name="dest"/> a copy-on-write clone of <paramref name="src"/>; returns 0 or the errno.</summary>
    internal static int Clone(SafeFileHandle src, SafeFileHandle dest)
    {
        if (!OperatingSystem.IsLinux())
        {
            return EOPNOTSUPP;
        }

        return ioctl(dest, Ficlone, src) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static unsafe int StatxInto(string path, byte[] buf)
    {
        fixed (byte* p = buf)
        {
            return statx(AtFdCwd, path, 0, StatxBasicStats, p);
        }
    }

    // Source-generated marshalling (LibraryImport), compiled ahead of time with the rest of the tool: a DllImport
    // taking a string gets its marshalling stub generated and JIT-compiled on the first call of every command.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buf);

    [DllImport("libc", SetLastError = true)]
    private static extern int link(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath
    );

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(SafeFileHandle fd, nuint request, SafeFileHandle srcFd);
}
