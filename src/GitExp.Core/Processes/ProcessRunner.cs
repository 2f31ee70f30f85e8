using System.Diagnostics;
using System.Text;
using GitExp.Core.Diagnostics;

namespace GitExp.Core.Processes;

/// <summary>The outcome of a finished child process with captured output.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Starts child processes with an argument list (never a quoted string) and captures their output.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        CancellationToken cancellationToken = default
    )
    {
        using var span = ExpTrace.Enabled ? ExpTrace.Start(fileName + " " + string.Join(' ', arguments)) : null;
        if (
            NativeProcess.TryStart(fileName, arguments, workingDirectory, environment, standardInput is not null, true) is
            { } native
        )
        {
            return await RunNativeAsync(native, standardInput, cancellationToken).ConfigureAwait(false);
        }

        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments, workingDirectory, environment) };
        process.StartInfo.RedirectStandardInput = standardInput is not null;
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>
    /// Feeds, drains and reaps a <see cref="NativeProcess"/> on threads of its own: blocking pipe reads on
    /// thread-pool threads would starve the pool when several git commands run at once.
    /// </summary>
    private static Task<ProcessResult> RunNativeAsync(
        NativeProcess process,
        string? standardInput,
        CancellationToken cancellationToken
    )
    {
        var completion = new TaskCompletionSource<ProcessResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(process.Kill);
        var thread = new Thread(() =>
        {
            try
            {
                string? error = null;
                var errorReader = new Thread(() => error = ReadAll(process.StandardError!)) { IsBackground = true };
                errorReader.Start();
                Thread? inputWriter = null;
                if (standardInput is not null)
                {
                    inputWriter = new Thread(() =>
                    {
                        try
                        {
                            process.StandardInput!.Write(Encoding.UTF8.GetBytes(standardInput));
                        }
                        catch (IOException)
                        {
                            // The child stopped reading (it failed or was killed); its exit code tells.
                        }
                        finally
                        {
                            process.StandardInput!.Dispose();
                        }
                    })
                    {
                        IsBackground = true,
                    };
                    inputWriter.Start();
                }

                var output = ReadAll(process.StandardOutput);
                errorReader.Join();
                inputWriter?.Join();
                var exitCode = process.WaitForExit();
                registration.Dispose();
                process.Dispose();
                if (cancellationToken.IsCancellationRequested)
                {
                    completion.SetCanceled(cancellationToken);
                }
                else
                {
                    completion.SetResult(new ProcessResult(exitCode, output, error ?? ""));
                }
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "git reader",
        };
        thread.Start();
        return completion.Task;
    }

    private static string ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory, 1 << 16);
        return Encoding.UTF8.GetString(memory.GetBuffer(), 0, (int)memory.Length);
    }

    public static ProcessStartInfo CreateStartInfo(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment
    )
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        return info;
    }
}
