using System.Buffers;
using System.Security.Cryptography;

namespace GitExp.Core.Cache;

/// <summary>SHA-256 (or, for DVC projects, MD5) of files and bytes as lowercase hex.</summary>
public static class FileHasher
{
    // 1 MiB keeps the per-call overhead (syscall, hash update) negligible against the SHA-NI
    // throughput of OpenSSL, which .NET uses underneath.
    private const int BufferSize = 1 << 20;

    /// <param name="onRead">Told the size of each chunk as it is read (progress of a large file).</param>
    public static string HashFile(string fullPath, HashKind kind = HashKind.Sha256, Action<int>? onRead = null)
    {
        using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var hash = Create(kind);
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
                onRead?.Invoke(read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Hex(hash);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to a new file <paramref name="destination"/> and returns the
    /// SHA-256 of exactly the bytes written, reading the source once: each chunk is written on another
    /// thread while this one reads and hashes the next, so the copy costs little more than the hash.
    /// </summary>
    public static (string Sha256, long Size) CopyAndHash(
        string source,
        string destination,
        HashKind kind = HashKind.Sha256,
        Action<int>? onRead = null
    )
    {
        using var src = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var dst = File.OpenHandle(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using var hash = Create(kind);
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(BufferSize), ArrayPool<byte>.Shared.Rent(BufferSize)];
        var writing = Task.CompletedTask;
        long offset = 0;
        try
        {
            // Two buffers: chunk k is written on another thread while this one hashes it and then reads
            // and hashes chunk k+1 into the other buffer, whose own write (chunk k-1) was waited for.
            for (var k = 0; ; k ^= 1)
            {
                var chunk = buffers[k];
                var read = RandomAccess.Read(src, chunk.AsSpan(0, BufferSize), offset);
                if (read == 0)
                {
                    break;
                }

                var at = offset;
                var previous = writing;
                writing = Task.Run(() => RandomAccess.Write(dst, new ReadOnlySpan<byte>(chunk, 0, read), at));
                hash.AppendData(chunk, 0, read);
                previous.GetAwaiter().GetResult();
                offset += read;
                onRead?.Invoke(read);
            }
        }
        finally
        {
            // A failed write must not leave a task using a buffer that goes back to the pool.
            try
            {
                writing.GetAwaiter().GetResult();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffers[0]);
                ArrayPool<byte>.Shared.Return(buffers[1]);
            }
        }

        return (Hex(hash), offset);
    }

    /// <summary>A write-only stream that hashes what goes through it into another stream.</summary>
    internal sealed class HashingStream(Stream inner, HashKind kind) : Stream
    {
        private readonly IncrementalHash _hash = Create(kind);

        public string Hex() => FileHasher.Hex(_hash);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    // MD5 is DVC's content address, not a security measure here.
#pragma warning disable CA5351
    public static string HashBytes(ReadOnlySpan<byte> data, HashKind kind = HashKind.Sha256) =>
        Convert.ToHexStringLower(kind == HashKind.Md5 ? MD5.HashData(data) : SHA256.HashData(data));

    private static IncrementalHash Create(HashKind kind) =>
        IncrementalHash.CreateHash(kind == HashKind.Md5 ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA256);
#pragma warning restore CA5351

    private static string Hex(IncrementalHash hash)
    {
        Span<byte> digest = stackalloc byte[32];
        var written = hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest[..written]);
    }
}
