using System.Diagnostics;
using System.Text;
using GitExp.Core.Processes;

namespace GitExp.Core.Git;

/// <summary>A long-lived <c>git cat-file --batch</c> process that reads many objects over one pipe.</summary>
/// <remarks>
/// Spawning git once per blob costs a few milliseconds each; one batch process reads a thousand
/// small blobs in well under that total. Not thread-safe: one reader per caller.
/// </remarks>
public sealed class CatFileBatch : IDisposable
{
    private readonly Process? _process;
    private readonly NativeProcess? _native;
    private readonly Stream _output;
    private readonly StreamWriter _input;
    private readonly byte[] _header = new byte[512];

    internal CatFileBatch(string workingDirectory, IReadOnlyDictionary<string, string?>? environment)
    {
        Stream output;
        Stream input;
        _native = NativeProcess.TryStart("git", ["cat-file", "--batch"], workingDirectory, environment, true, false);
        if (_native is not null)
        {
            output = _native.StandardOutput;
            input = _native.StandardInput!;
        }
        else
        {
            var info = ProcessRunner.CreateStartInfo("git", ["cat-file", "--batch"], workingDirectory, environment);
            info.RedirectStandardInput = true;
            _process = Process.Start(info) ?? throw new InvalidOperationException("could not start git cat-file");
            output = _process.StandardOutput.BaseStream;
            input = _process.StandardInput.BaseStream;
        }

        // The pipe stream is unbuffered: without this, every header byte read by ReadByte is a read(2).
        _output = new BufferedStream(output, 1 << 16);
        _input = new StreamWriter(input, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = false };
    }

    /// <summary>Reads an object (a sha, or <c>rev:path</c>); null when it does not exist.</summary>
    public byte[]? Read(string objectName)
    {
        _input.Write(objectName);
        _input.Write('\n');
        _input.Flush();
        return ReadReply();
    }

    /// <summary>Reads many objects with one round of writes, in order; missing ones are null.</summary>
    public IReadOnlyList<byte[]?> ReadMany(IReadOnlyList<string> objectNames)
    {
        var results = new byte[]?[objectNames.Count];
        ReadEach(objectNames, (i, bytes) => results[i] = bytes);
        return results;
    }

    /// <summary>
    /// Reads many objects with one round of writes and hands each to <paramref name="onObject"/> (its index in
    /// <paramref name="objectNames"/> and its bytes, null when missing) as soon as git has sent it, so the caller's
    /// work on one object overlaps git's on the next.
    /// </summary>
    public void ReadEach(IReadOnlyList<string> objectNames, Action<int, byte[]?> onObject)
    {
        // Writing every request first lets git stream replies without waiting on us; a writer
        // task avoids a deadlock when the replies fill the pipe before the requests are written.
        var writer = Task.Run(() =>
        {
            foreach (var name in objectNames)
            {
                _input.Write(name);
                _input.Write('\n');
            }

            _input.Flush();
        });
        for (var i = 0; i < objectNames.Count; i++)
        {
            onObject(i, ReadReply());
        }

        writer.GetAwaiter().GetResult();
    }

    public string? ReadText(string objectName) => Read(objectName) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The object id of the last object read (a ref or <c>rev:path</c> resolved), null when it was missing.</summary>
    public string? LastId { get; private set; }

    private byte[]? ReadReply()
    {
        var length = 0;
        while (true)
        {
            var b = _output.ReadByte();
            if (b < 0)
            {
                throw new InvalidOperationException("git cat-file --batch ended unexpectedly");
            }

            if (b == '\n')
            {
                break;
            }

            if (length < _header.Length)
            {
                _header[length++] = (byte)b;
            }
        }

        var header = Encoding.ASCII.GetString(_header, 0, length);
        if (header.EndsWith(" missing", StringComparison.Ordinal) || header.EndsWith(" ambiguous", StringComparison.Ordinal))
        {
            LastId = null;
            return null;
        }

        LastId = header[..header.IndexOf(' ', StringComparison.Ordinal)];

        var lastSpace = header.LastIndexOf(' ');
        var size = int.Parse(header.AsSpan(lastSpace + 1), System.Globalization.CultureInfo.InvariantCulture);
        var content = new byte[size];
        _output.ReadExactly(content);
        _output.ReadByte(); // the newline after every object
        return content;
    }

    public void Dispose()
    {
        try
        {
            _input.Close();
        }
        catch (IOException)
        {
            // The process is already gone; nothing left to release.
        }

        if (_native is not null)
        {
            // With its input closed, cat-file ends at once; whatever it still writes is not wanted.
            _output.Dispose();
            _native.WaitForExit();
            _native.Dispose();
            return;
        }

        if (!_process!.WaitForExit(2000))
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
