using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace GitExp.Core.Project;

/// <summary>
/// A file of facts that never change once known, such as what a commit holds: one line per key,
/// <c>key TAB json</c>, appended to and never rewritten.
/// </summary>
/// <remarks>
/// Commits are immutable, so a fact keyed by a commit id (its time, subject and trailers, or the
/// values of its params file) stays true forever; a command that has read it from Git once need not
/// read it again. The file is only a cache: a torn or unreadable line is skipped and the fact read
/// from Git again, a later line for a key wins, and deleting the file loses nothing. Each flush
/// appends all new lines with one write, so processes appending at once do not interleave lines.
/// Safe to share between threads.
/// </remarks>
public sealed class FactsFile
{
    private readonly string _path;
    private readonly Lock _lock = new();

    // The lines to append, already UTF-8: 20,000 new facts (a first show of 10,000 experiments) are 8 MB, which as
    // a string builder, its string and then its bytes were three copies, two of them on the large-object heap.
    private readonly ArrayBufferWriter<byte> _pending = new();
    private Dictionary<string, string>? _lines;

    public FactsFile(string path) => _path = path;

    public string Path => _path;

    /// <summary>The JSON stored for a key, if any (not validated: a caller that cannot parse it treats it as missing).</summary>
    public bool TryGet(string key, [NotNullWhen(true)] out string? json)
    {
        lock (_lock)
        {
            return Lines().TryGetValue(key, out json);
        }
    }

    /// <summary>
    /// Reads the file on the thread pool now, so that a command which will look facts up soon (show: every
    /// experiment's) overlaps reading them with its git calls.
    /// </summary>
    public void Preload() =>
        _ = Task.Run(() =>
        {
            lock (_lock)
            {
                Lines();
            }
        });

    /// <summary>Remembers a fact; written by the next <see cref="Flush"/>.</summary>
    public void Add(string key, string json)
    {
        if (key.Contains('\t', StringComparison.Ordinal) || key.Contains('\n', StringComparison.Ordinal) || json.Contains('\n'))
        {
            throw new ArgumentException($"a fact's key and JSON must be one line without tabs in the key: '{key}'");
        }

        lock (_lock)
        {
            Lines()[key] = json;
            Append(key);
            _pending.Write("\t"u8);
            Append(json);
            _pending.Write("\n"u8);
        }
    }

    /// <summary>Appends the facts added since the last flush, creating the file (and its folder) when missing.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_pending.WrittenCount == 0)
            {
                return;
            }

            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
                using var stream = new FileStream(
                    _path,
                    FileMode.Append,
                    FileAccess.Write,
                    FileShare.ReadWrite | FileShare.Delete
                );
                stream.Write(_pending.WrittenSpan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A cache that cannot be written costs time on the next command, nothing else.
            }

            _pending.ResetWrittenCount();
        }
    }

    private void Append(string text)
    {
        var span = _pending.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _pending.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private Dictionary<string, string> Lines()
    {
        if (_lines is not null)
        {
            return _lines;
        }

        _lines = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            // In pieces through one char buffer, the key and the JSON cut straight from it: the whole text at once
            // would be one large-object-heap string (and a full GC) per command, and a string per line a third more
            // copying and garbage (10,000 experiments: 30,000 lines).
            using var reader = new StreamReader(_path, Encoding.UTF8, false, new FileStreamOptions { BufferSize = 1 << 16 });
            var buffer = new char[1 << 15];
            var length = 0;
            while (true)
            {
                var read = reader.Read(buffer, length, buffer.Length - length);
                length += read;
                var start = 0;
                while (start < length)
                {
                    var newline = Array.IndexOf(buffer, '\n', start, length - start);
                    if (newline < 0)
                    {
                        break;
                    }

                    AddLine(buffer.AsSpan(start, newline - start));
                    start = newline + 1;
                }

                if (read == 0)
                {
                    // A last line without its newline (a torn append) is read too; its JSON will not parse.
                    AddLine(buffer.AsSpan(start, length - start));
                    break;
                }

                buffer.AsSpan(start, length - start).CopyTo(buffer);
                length -= start;
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable: every fact is read from Git again.
        }

        return _lines;
    }

    private void AddLine(ReadOnlySpan<char> line)
    {
        var tab = line.IndexOf('\t');
        if (tab > 0 && tab < line.Length - 1)
        {
            _lines![line[..tab].ToString()] = line[(tab + 1)..].ToString();
        }
    }
}
