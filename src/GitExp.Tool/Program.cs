using GitExp.Tool.Cli;

return await ExpCommandLine.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
