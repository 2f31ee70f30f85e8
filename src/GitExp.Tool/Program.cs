using System.Runtime;
using GitExp.Core.Diagnostics;
using GitExp.Tool.Cli;

// Most commands allocate a few tens of MiB and exit. Without a budget this size the first gen-0
// collection comes after a few MiB and copies everything read so far (exp show: ~20 ms of a ~200 ms
// call). A command that allocates more simply leaves the region at its first collection. Only with
// room to spare: under a small heap limit (a container's) asking for the region leaves the GC unable
// to allocate at all.
if (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >= 4 * NoGcBudget)
{
    GC.TryStartNoGCRegion(NoGcBudget);
}

if (Environment.GetEnvironmentVariable("GITEXP_TRACE") is "1" or "true")
{
    ExpTrace.Writer = Console.Error;
    ExpTrace.Event("start: dotnet exp " + string.Join(' ', args));
}

var exitCode = await ExpCommandLine.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
if (ExpTrace.Enabled)
{
    ExpTrace.Event(
        $"end: exit {exitCode}; JIT {JitInfo.GetCompiledMethodCount()} methods in {JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms; "
            + $"GC {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} (gen 0/1/2), "
            + $"{GC.GetTotalAllocatedBytes() / (1 << 20)} MiB allocated, pauses {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms"
    );
}

return exitCode;

internal static partial class Program
{
    private const long NoGcBudget = 64L << 20;
}
