using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GitExp.Core.Processes;

/// <summary>
/// A child process started with <c>posix_spawn</c> on Linux, its standard streams as plain pipes.
/// </summary>
/// <remarks>
/// Every GitExp command runs git several times. The first <see cref="System.Diagnostics.Process"/> start in a
/// process costs about 20 ms before git even runs (it sets up signal handling and the socket engine that
/// reads child pipes); posix_spawn costs well under one. Short commands such as <c>exp show</c> are
/// dominated by such fixed costs, so git runs through here on Linux. Elsewhere, or with
/// <c>GITEXP_SPAWN=process</c>, <see cref="ProcessRunner"/> uses <see cref="System.Diagnostics.Process"/>.
/// Only the calling code waits for (reaps) the child; .NET's own SIGCHLD handling only reaps the
/// children it started itself.
/// </remarks>
internal sealed partial class NativeProcess : IDisposable
{
    private const int OCloexec = 0x80000;
    private const int ORdwr = 2;
    private const short PosixSpawnSetSigDef = 0x04;
    private const short PosixSpawnSetSigMask = 0x08;
    private const int Sigkill = 9;
    private const int Sigstop = 19;
    private const int Eintr = 4;

    // glibc's posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80 and sigset_t 128: room to spare.
    private const int OpaqueSize = 1024;

    private int _exitCode = -1;
    private bool _exited;

    private NativeProcess(int id, FileStream? input, FileStream output, FileStream? error)
    {
        Id = id;
        StandardInput = input;
        StandardOutput = output;
        StandardError = error;
    }

    /// <summary>Whether to use this rather than <see cref="System.Diagnostics.Process"/>; turned off for good when libc lacks a call.</summary>
    public static bool IsSupported { get; private set; } =
        OperatingSystem.IsLinux() && System.Environment.GetEnvironmentVariable("GITEXP_SPAWN") != "process";

    /// <summary>Starts as <see cref="Start"/> does, or returns null when this libc cannot (then <see cref="IsSupported"/> turns false).</summary>
    public static NativeProcess? TryStart(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment,
        bool redirectInput,
        bool captureError
    )
    {
        if (!IsSupported)
        {
            return null;
        }

        try
        {
            return Start(fileName, arguments, workingDirectory, environment, redirectInput, captureError);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // glibc before 2.29 has no posix_spawn_file_actions_addchdir_np.
            IsSupported = false;
            return null;
        }
    }

    public int Id { get; }

    /// <summary>The child's standard input, when asked for; close it to signal the end of input.</summary>
    public FileStream? StandardInput { get; }

    public FileStream StandardOutput { get; }

    /// <summary>The child's standard error, or null when it goes to <c>/dev/null</c>.</summary>
    public FileStream? StandardError { get; }

    /// <summary>Starts <paramref name="fileName"/> (looked up on PATH) in <paramref name="workingDirectory"/>.</summary>
    /// <param name="environment">Variables to set (or, with a null value, remove) on top of this process's environment.</param>
    /// <param name="redirectInput">Give the child a pipe as standard input (else <c>/dev/null</c>).</param>
    /// <param name="captureError">Give the child a pipe as standard error (else <c>/dev/null</c>).</param>
    /// <exception cref="Win32Exception">The program could not be started (for example, it is not on PATH).</exception>
    public static NativeProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment,
        bool redirectInput,
        bool captureError
    )
    {
        using var memory = new NativeMemory();
        var fileActions = memory.Allocate(OpaqueSize);
        var attributes = memory.Allocate(OpaqueSize);
        var signals = memory.Allocate(OpaqueSize);
        int[] input = [-1, -1];
        int[] output = [-1, -1];
        int[] error = [-1, -1];
        try
        {
            Check(posix_spawn_file_actions_init(fileActions));
            Check(posix_spawnattr_init(attributes));
            // Start the child with no blocked signals and every signal at its default: the runtime
            // ignores SIGPIPE, and an ignored signal would otherwise stay ignored across exec.
            _ = sigemptyset(signals);
            Check(posix_spawnattr_setsigmask(attributes, signals));
            _ = sigfillset(signals);
            _ = sigdelset(signals, Sigkill);
            _ = sigdelset(signals, Sigstop);
            Check(posix_spawnattr_setsigdefault(attributes, signals));
            Check(posix_spawnattr_setflags(attributes, PosixSpawnSetSigDef | PosixSpawnSetSigMask));

            // Pipes are close-on-exec in the parent; dup2 gives the child clean copies as 0, 1 and 2.
            if (redirectInput)
            {
                Pipe(input);
                Check(posix_spawn_file_actions_adddup2(fileActions, input[0], 0));
            }
            else
            {
                Check(posix_spawn_file_actions_addopen(fileActions, 0, Utf8(memory, "/dev/null"), ORdwr, 0));
            }

            Pipe(output);
            Check(posix_spawn_file_actions_adddup2(fileActions, output[1], 1));
            if (captureError)
            {
                Pipe(error);
                Check(posix_spawn_file_actions_adddup2(fileActions, error[1], 2));
            }
            else
            {
                Check(posix_spawn_file_actions_addopen(fileActions, 2, Utf8(memory, "/dev/null"), ORdwr, 0));
            }

            Check(posix_spawn_file_actions_addchdir_np(fileActions, Utf8(memory, workingDirectory)));

            var argv = new List<string> { fileName };
            argv.AddRange(arguments);
            var status = posix_spawnp(
                out var pid,
                Utf8(memory, fileName),
                fileActions,
                attributes,
                NativeArray(memory, argv),
                NativeArray(memory, EnvironmentBlock(environment))
            );
            if (status != 0)
            {
                throw new Win32Exception(status, $"could not start '{fileName}': {new Win32Exception(status).Message}");
            }

            // The child holds its own copies now; the parent keeps only its ends.
            Close(ref input[0]);
            Close(ref output[1]);
            Close(ref error[1]);
            var process = new NativeProcess(
                pid,
                redirectInput ? Stream(ref input[1], FileAccess.Write) : null,
                Stream(ref output[0], FileAccess.Read),
                captureError ? Stream(ref error[0], FileAccess.Read) : null
            );
            return process;
        }
        finally
        {
            // Whatever a failure left open; on success only -1s remain.
            foreach (var pipe in new[] { input, output, error })
            {
                Close(ref pipe[0]);
                Close(ref pipe[1]);
            }

            _ = posix_spawn_file_actions_destroy(fileActions);
            _ = posix_spawnattr_destroy(attributes);
        }
    }

    /// <summary>Waits for the child to end and returns its exit code (128 + the signal when a signal ended it).</summary>
    public int WaitForExit()
    {
        if (_exited)
        {
            return _exitCode;
        }

        int status;
        while (waitpid(Id, out status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != Eintr)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), $"waitpid({Id}) failed");
            }
        }

        _exited = true;
        _exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        return _exitCode;
    }

    /// <summary>Sends SIGKILL to the child if it has not been waited for yet.</summary>
    public void Kill()
    {
        if (!_exited)
        {
            _ = kill(Id, Sigkill);
        }
    }

    public void Dispose()
    {
        StandardInput?.Dispose();
        StandardOutput.Dispose();
        StandardError?.Dispose();
    }

    /// <summary>This process's environment with the overrides applied, as <c>NAME=value</c> strings.</summary>
    private static List<string> EnvironmentBlock(IReadOnlyDictionary<string, string?>? overrides)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                variables.Remove(key);
            }
            else
            {
                variables[key] = value;
            }
        }

        var block = new List<string>(variables.Count);
        foreach (var (key, value) in variables)
        {
            block.Add(key + "=" + value);
        }

        return block;
    }

    /// <summary>A null-terminated C array of UTF-8 strings (argv, envp) in one native block: the pointers, then the bytes.</summary>
    private static unsafe IntPtr NativeArray(NativeMemory memory, List<string> texts)
    {
        var pointers = (texts.Count + 1) * IntPtr.Size;
        var size = pointers;
        foreach (var text in texts)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(text) + 1;
        }

        var block = memory.Allocate(size);
        var table = (IntPtr*)block;
        var bytes = new Span<byte>((byte*)block + pointers, size - pointers);
        for (var i = 0; i < texts.Count; i++)
        {
            table[i] = block + (size - pointers - bytes.Length) + pointers;
            var written = System.Text.Encoding.UTF8.GetBytes(texts[i], bytes);
            bytes[written] = 0;
            bytes = bytes[(written + 1)..];
        }

        table[texts.Count] = IntPtr.Zero;
        return block;
    }

    private static IntPtr Utf8(NativeMemory memory, string text) => NativeArray(memory, [text]) + (2 * IntPtr.Size);

    /// <summary>Native blocks that live until the child has started (argv, envp, posix_spawn's opaque structs).</summary>
    private sealed class NativeMemory : IDisposable
    {
        private readonly IntPtr[] _blocks = new IntPtr[16];
        private int _count;

        public IntPtr Allocate(int size)
        {
            var block = Marshal.AllocHGlobal(size);
            _blocks[_count++] = block;
            return block;
        }

        public void Dispose()
        {
            for (var i = 0; i < _count; i++)
            {
                Marshal.FreeHGlobal(_blocks[i]);
            }
        }
    }

    private static unsafe void Pipe(int[] fds)
    {
        var pair = stackalloc int[2];
        if (pipe2(pair, OCloexec) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "pipe2 failed");
        }

        fds[0] = pair[0];
        fds[1] = pair[1];
    }

    private static FileStream Stream(ref int fd, FileAccess access)
    {
        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), access, bufferSize: 0);
        fd = -1;
        return stream;
    }

    private static void Close(ref int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
            fd = -1;
        }
    }

    private static void Check(int status)
    {
        if (status != 0)
        {
            throw new Win32Exception(status, "posix_spawn set-up failed");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, out int status, int options);

    [LibraryImport("libc")]
    private static partial int sigemptyset(IntPtr set);

    [LibraryImport("libc")]
    private static partial int sigfillset(IntPtr set);

    [LibraryImport("libc")]
    private static partial int sigdelset(IntPtr set, int signal);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(IntPtr attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(IntPtr attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(IntPtr attributes, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(IntPtr attributes, IntPtr set);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(IntPtr attributes, IntPtr set);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(IntPtr actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(IntPtr actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(IntPtr actions, int fd, IntPtr path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addchdir_np(IntPtr actions, IntPtr path);

    [LibraryImport("libc")]
    private static partial int posix_spawnp(
        out int pid,
        IntPtr file,
        IntPtr actions,
        IntPtr attributes,
        IntPtr argv,
        IntPtr envp
    );
}
