using System.Diagnostics;
using System.Globalization;

namespace GitExp.Core.Diagnostics;

/// <summary>
/// Timing trace for diagnosing slow commands: with <c>GITEXP_TRACE=1</c> the tool writes every child
/// process and the main phases of a command, with the time since start and each one's duration, to
/// standard error (in the spirit of <c>GIT_TRACE</c>). Off, it costs one null check per event.
/// </summary>
public static class ExpTrace
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly Lock Gate = new();

    /// <summary>Where trace lines go; null (the default) turns tracing off.</summary>
    public static TextWriter? Writer { get; set; }

    public static bool Enabled => Writer is not null;

    /// <summary>Records one event (no duration).</summary>
    public static void Event(string what)
    {
        if (Writer is { } writer)
        {
            Write(writer, what, null);
        }
    }

    /// <summary>Times a span; dispose the result when it ends. Returns null when tracing is off.</summary>
    public static Span? Start(string what) => Writer is null ? null : new Span(what);

    private static void Write(TextWriter writer, string what, TimeSpan? duration)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"trace: {Clock.Elapsed.TotalMilliseconds, 8:F1} ms  {what}{(duration is { } d ? $"  ({d.TotalMilliseconds:F1} ms)" : "")}"
        );
        lock (Gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    /// <summary>A timed span, written when disposed.</summary>
    public sealed class Span : IDisposable
    {
        private readonly string _what;
        private readonly long _start = Stopwatch.GetTimestamp();

        internal Span(string what) => _what = what;

        public void Dispose()
        {
            if (Writer is { } writer)
            {
                Write(writer, _what, Stopwatch.GetElapsedTime(_start));
            }
        }
    }
}
