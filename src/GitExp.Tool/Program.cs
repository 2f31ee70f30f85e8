using GitExp.Core.Diagnostics;
using GitExp.Tool.Cli;

if (Environment.GetEnvironmentVariable("GITEXP_TRACE") is "1" or "true")
{
    ExpTrace.Writer = Console.Error;
    ExpTrace.Event("start: dotnet exp " + string.Join(' ', args));
}

return await ExpCommandLine.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
