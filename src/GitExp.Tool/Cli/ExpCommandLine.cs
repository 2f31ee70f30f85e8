using System.CommandLine;
using GitExp.Core;
using GitExp.Core.Execution;

namespace GitExp.Tool.Cli;

/// <summary>The <c>dotnet exp</c> command tree, and the one place where errors become messages and exit codes.</summary>
public static class ExpCommandLine
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("dotnet exp: Git-native ML experiments for .NET. Docs: README.md and docs/commands.md.");
        foreach (
            var command in new[]
            {
                RunCommand.Create(output),
                SaveCommand.Create(output),
                ShowCommand.Create(output),
                ExperimentCommands.Diff(output),
                ParamsMetricsCommands.Params(output),
                ParamsMetricsCommands.Metrics(output),
                PlotsCommands.Create(output),
                ExperimentCommands.Apply(output, error),
                ExperimentCommands.Branch(output),
                ExperimentCommands.Rename(output),
                ExperimentCommands.Remove(output),
                ExperimentCommands.List(output),
                RemoteCommands.Push(output, error),
                RemoteCommands.Pull(output, error),
                CacheRemoteCommands.Remote(output),
                CacheRemoteCommands.Cache(output, error),
                ExperimentCommands.Status(output),
                ExperimentCommands.Init(output),
                CleanCommand.Create(output),
                QueueCommands.Create(output),
                ScheduleCommands.CreateSchedule(output),
                ScheduleCommands.CreateScheduler(output),
                RunsCommands.Create(output),
                UiCommand.Create(output),
            }
        )
        {
            root.Subcommands.Add(command);
        }

        // No response files: '@' starts ordinary values here (an experiment name, a revision such as '@{1}'), and a
        // name mistaken for a file would fail as "Response file not found" instead of the name's own message.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            // A mistyped command also makes "Required command was not provided": the unknown word is the better clue.
            var command = parsed.CommandResult.Command;
            var path = string.Join(' ', ["dotnet exp", .. CommandPath(parsed)]);
            var message =
                parsed.UnmatchedTokens.Count > 0
                    ? $"unknown {(command.Subcommands.Count > 0 ? "command" : "option")} or argument '{parsed.UnmatchedTokens[0]}'"
                : command.Subcommands.Count > 0 && command.Action is null
                    ? $"'{path}' needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}"
                : parsed.Errors[0].SymbolResult is System.CommandLine.Parsing.OptionResult { Tokens.Count: > 0 } option
                && parsed.Errors[0].Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)
                    ? $"{option.Option.Name} '{option.Tokens[^1].Value}': expected {Expected(option.Option.ValueType)}"
                : parsed.Errors[0].Message.TrimEnd('.');
            ErrorOutput.Write(error, ExitCode.Usage, $"{message} (see '{path} --help')");
            return (int)ExitCode.Usage;
        }

        try
        {
            return await parsed
                .InvokeAsync(
                    new InvocationConfiguration
                    {
                        EnableDefaultExceptionHandler = false,
                        Output = output,
                        Error = error,
                    }
                )
                .ConfigureAwait(false);
        }
        catch (ExpException e)
        {
            ErrorOutput.Write(error, e.Code, e.Message);
            return (int)e.Code;
        }
        catch (StageFailedException e)
        {
            ErrorOutput.Write(error, ExitCode.StageFailed, e.Message + "; no experiment was recorded");
            return e.ExitCode;
        }
        catch (Exception e) when (DiskFull.AsUserError(e) is { } full)
        {
            ErrorOutput.Write(error, full.Code, full.Message);
            return (int)full.Code;
        }
        catch (OperationCanceledException)
        {
            ErrorOutput.Write(error, ExitCode.Interrupted, "interrupted");
            return (int)ExitCode.Interrupted;
        }
    }

    private static string Expected(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : "a value of type " + type.Name;

    private static List<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (
            var result = parsed.CommandResult;
            result is not null && result.Command is not RootCommand;
            result = result.Parent as System.CommandLine.Parsing.CommandResult
        )
        {
            names.Insert(0, result.Command.Name);
        }

        return names;
    }
}
