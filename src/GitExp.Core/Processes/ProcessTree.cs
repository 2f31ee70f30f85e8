using System.Globalization;
using System.Runtime.InteropServices;

namespace GitExp.Core.Processes;

/// <summary>A process and its descendants (Linux, from <c>/proc</c>), signalled as a terminal signals its foreground job.</summary>
internal static partial class ProcessTree
{
    public const int Sigint = 2;
    public const int Sigkill = 9;
    private const int Sigquit = 3;
    private const long SigIgn = 1;
    private static int s_restored;

    /// <summary>The process and every descendant, each with its start time so a reused id is never signalled.</summary>
    public static IReadOnlyList<ProcessIdentity> Of(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (ParentOf(pid) is { } parent)
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
        }

        var tree = new List<ProcessIdentity>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var pid))
        {
            if (ProcessIdentity.Of(pid) is { } identity)
            {
                tree.Add(identity);
            }

            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Enqueue(child);
            }
        }

        return tree;
    }

    /// <summary>Sends the signal to each process of the tree that is still the same process.</summary>
    public static void Signal(IEnumerable<ProcessIdentity> tree, int signal)
    {
        foreach (var process in tree)
        {
            if (ProcessIdentity.Of(process.Pid) == process)
            {
                _ = kill(process.Pid, signal);
            }
        }
    }

    /// <summary>
    /// Lets stage commands receive SIGINT and SIGQUIT: a process a shell started in the background (a queue worker,
    /// a temp run) ignores them, and children inherit an ignored signal, so a stage could never be interrupted. Only
    /// an ignored disposition is changed; the runtime's own handlers (a tool in the foreground) are left alone.
    /// </summary>
    public static void LetChildrenBeInterrupted()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_restored, 1) == 1)
        {
            return;
        }

        foreach (var signal in new[] { Sigint, Sigquit })
        {
            var current = new byte[256];
            if (sigaction(signal, IntPtr.Zero, current) == 0 && BitConverter.ToInt64(current, 0) == SigIgn)
            {
                _ = Signal(signal, IntPtr.Zero);
            }
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    // The handler is the first field of struct sigaction on every Linux architecture .NET runs on.
    [LibraryImport("libc", SetLastError = true)]
    private static partial int sigaction(int signal, IntPtr action, [Out] byte[] oldAction);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr Signal(int signal, IntPtr handler);
}
