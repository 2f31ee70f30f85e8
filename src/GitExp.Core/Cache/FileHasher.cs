using System.Buffers;
using System.Security.Cryptography;

namespace GitExp.Core.Cache;

/// <summary>SHA-256 of files and bytes as lowercase hex.</summary>
public static class FileHasher
{
    // 1 MiB keeps the per-call overhead (syscall, hash update) negligible against the SHA-NI
    // throughput of OpenSSL, which .NET uses underneath.
    private const int BufferSize = 1 << 20;

    public static string HashFile(string fullPath)
    {
        using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long offset = 0;
            int read;
            // RandomAccess skips FileStream's own buffering and position bookkeeping.
            while ((read = RandomAccess.Read(handle, buffer.AsSpan(0, BufferSize), offset)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest);
    }

    public static string HashBytes(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
