using System.ComponentModel;
using System.Globalization;
using GitExp.Core.Processes;
using GitExp.Core.Tests.Infrastructure;

namespace GitExp.Core.Tests.Processes;

/// <summary>
/// The child-process layer every git call goes through: on Linux posix_spawn (<see cref="NativeProcess"/>),
/// elsewhere System.Diagnostics.Process. Each test runs real programs.
/// </summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Git_runs_through_posix_spawn_on_linux()
    {
        Assert.Equal(
            OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("GITEXP_SPAWN") != "process",
            NativeProcess.IsSupported
        );
    }

    [Fact]
    public async Task Output_error_and_exit_code_are_captured_separately_in_the_working_directory()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "pwd; echo oops >&2; exit 3"], _folder.Path);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(Path.GetFullPath(_folder.Path), result.StandardOutput.Trim());
        Assert.Equal("oops\n", result.StandardError);
    }

    [Fact]
    public async Task Input_larger_than_a_pipe_buffer_reaches_the_child_while_it_writes_as_much_back()
    {
        // 1 MiB each way: a runner that wrote all input before reading output would deadlock here.
        var input = string.Concat(Enumerable.Repeat(new string('x', 1023) + "\n", 1024));

        var result = await ProcessRunner.RunAsync("cat", [], _folder.Path, standardInput: input);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(input, result.StandardOutput);
    }

    [Fact]
    public async Task Environment_overrides_set_and_remove_variables_and_keep_the_rest()
    {
        Environment.SetEnvironmentVariable("GITEXP_TEST_KEEP", "kept");
        Environment.SetEnvironmentVariable("GITEXP_TEST_GONE", "there");
        var result = await ProcessRunner.RunAsync(
            "sh",
            ["-c", "echo \"$GITEXP_TEST_KEEP|${GITEXP_TEST_GONE-unset}|$GITEXP_TEST_NEW\""],
            _folder.Path,
            new Dictionary<string, string?> { ["GITEXP_TEST_GONE"] = null, ["GITEXP_TEST_NEW"] = "new value" }
        );

        Assert.Equal("kept|unset|new value", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Arguments_pass_through_unquoted_and_unsplit()
    {
        var result = await ProcessRunner.RunAsync("printf", ["%s|", "two words", "it's", "$HOME", "ü"], _folder.Path);

        Assert.Equal("two words|it's|$HOME|ü|", result.StandardOutput);
    }

    [Fact]
    public async Task A_child_starts_with_sigpipe_at_its_default_not_ignored_as_in_dotnet()
    {
        // The runtime ignores SIGPIPE, and an ignored signal stays ignored across exec unless reset.
        var result = await ProcessRunner.RunAsync("sh", ["-c", "grep SigIgn /proc/$$/status"], _folder.Path);

        var mask = ulong.Parse(result.StandardOutput.Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(0UL, mask & (1UL << (13 - 1)));
    }

    [Fact]
    public async Task A_child_ended_by_a_signal_reports_128_plus_the_signal()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "kill -9 $$"], _folder.Path);

        Assert.Equal(128 + 9, result.ExitCode);
    }

    [Fact]
    public async Task Cancelling_kills_the_child_and_throws()
    {
        // The child writes its pid and becomes a 30 s sleep (exec keeps the pid): cancelling must end that process.
        var pidFile = Path.Combine(_folder.Path, "child.pid");
        using var cancellation = new CancellationTokenSource();
        var run = ProcessRunner.RunAsync(
            "sh",
            ["-c", "echo $$ > child.pid.tmp && mv child.pid.tmp child.pid && exec sleep 30"],
            _folder.Path,
            cancellationToken: cancellation.Token
        );
        while (!File.Exists(pidFile) && !run.IsCompleted)
        {
            await Task.Delay(20);
        }

        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(IsRunning(pid), $"the child {pid} still runs after the cancellation");
    }

    // A process that is gone, or dead and not yet reaped (a zombie), is not running.
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_program_that_is_not_on_path_is_an_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<Win32Exception>(() =>
            ProcessRunner.RunAsync("gitexp-no-such-program", [], _folder.Path)
        );

        Assert.Contains("gitexp-no-such-program", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_commands_at_once_all_complete_with_their_own_output()
    {
        var runs = Enumerable
            .Range(0, 40)
            .Select(i => ProcessRunner.RunAsync("sh", ["-c", $"sleep 0.05; echo {i}"], _folder.Path))
            .ToList();

        var results = await Task.WhenAll(runs);

        Assert.Equal(
            Enumerable.Range(0, 40).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            results.Select(r => r.StandardOutput.Trim())
        );
    }
}
