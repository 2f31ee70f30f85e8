using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitExp.Tool.Rendering;

/// <summary>
/// What a terminal can use of a long table (decision 0040): by default a screenful of rows and one line saying how many
/// more there are; asked for more than a screenful, the output goes through a pager, as <c>git log</c>'s does.
/// Redirected output is never cut or paged.
/// </summary>
internal static class Screen
{
    /// <summary>Lines of the terminal a table may not use: borders, header, rule, notes and the prompt after it.</summary>
    public const int Reserved = 7;

    /// <summary>Whether <paramref name="output"/> is the console and the console a terminal.</summary>
    public static bool IsTerminal(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>The terminal's height, else $LINES, else 24; null for redirected output.</summary>
    public static int? Height(TextWriter output)
    {
        var terminal = IsTerminal(output);
        return Height(terminal, terminal ? Console.WindowHeight : 0, Environment.GetEnvironmentVariable("LINES"));
    }

    internal static int? Height(bool terminal, int reported, string? lines)
    {
        if (!terminal)
        {
            return null;
        }

        if (reported > 0)
        {
            return reported;
        }

        return int.TryParse(lines, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : 24;
    }

    /// <summary>The one line after a cut table: how many rows were left out, of what, and how to see them.</summary>
    public static string MoreLine(int count, string noun, string? of, string hint) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{count} more {noun}{(count == 1 ? "" : "s")}{(of is null ? "" : " " + of)} not shown: use {hint}"
        );

    /// <summary>
    /// Writes what <paramref name="write"/> prints. On a terminal, when it is longer than the screen, through the
    /// pager (<c>$GITEXP_PAGER</c>, else <c>$PAGER</c>, else <c>less</c> with <c>LESS=FRX</c> unless set; empty or
    /// <c>cat</c>: none) unless <paramref name="paged"/> is false (<c>--no-pager</c>).
    /// </summary>
    public static void Write(TextWriter output, bool paged, Action<TextWriter> write)
    {
        if (!IsTerminal(output))
        {
            write(output);
            return;
        }

        var text = new StringWriter();
        write(text);
        var content = text.ToString();
        var pager = paged ? PagerCommand() : null;
        if (pager is null || LineCount(content) < (Height(output) ?? int.MaxValue) || !Page(pager, content))
        {
            output.Write(content);
        }
    }

    /// <summary>The pager to use, or null for none.</summary>
    internal static string? PagerCommand(string? gitexpPager, string? pager)
    {
        var command = gitexpPager ?? pager ?? "less";
        return command.Trim() is "" or "cat" ? null : command;
    }

    private static string? PagerCommand() =>
        PagerCommand(Environment.GetEnvironmentVariable("GITEXP_PAGER"), Environment.GetEnvironmentVariable("PAGER"));

    private static int LineCount(string text) => text.AsSpan().Count('\n');

    /// <summary>Runs the pager through the shell with the text on its input; false when it could not run at all.</summary>
    private static bool Page(string pager, string content)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(pager);
        // As git: less quits when the text fits one screen (F), keeps colors (R) and leaves it on the screen (X).
        if (Environment.GetEnvironmentVariable("LESS") is null)
        {
            info.Environment["LESS"] = "FRX";
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception();
        }
        catch (Win32Exception)
        {
            return false;
        }

        using (process)
        {
            try
            {
                process.StandardInput.Write(content);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The pager quit before reading everything (the user pressed q): nothing is left to show.
            }

            process.WaitForExit();
            // 127: the shell found no such command; the text goes to the terminal instead of being lost.
            return process.ExitCode != 127;
        }
    }
}
