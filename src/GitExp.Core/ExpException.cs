namespace GitExp.Core;

/// <summary>What a user did wrong, with the exit code the command line returns for it.</summary>
/// <remarks>
/// Throw this only for mistakes a user can fix (bad input, missing file, a name taken); the message
/// is shown as one line and must name the file, key or flag and say what is expected. Bugs throw
/// anything else and keep their stack trace.
/// </remarks>
public sealed class ExpException : Exception
{
    public ExpException(ExitCode code, string message)
        : base(message) => Code = code;

    public ExpException(ExitCode code, string message, Exception inner)
        : base(message, inner) => Code = code;

    public ExitCode Code { get; }
}

/// <summary>The exit codes of <c>dotnet exp</c>; scripts may rely on them.</summary>
public enum ExitCode
{
    Success = 0,

    /// <summary>A stage command failed; the process exits with the stage's own code when it has one.</summary>
    StageFailed = 1,

    /// <summary>Bad command-line input: an unknown flag, a malformed value.</summary>
    Usage = 2,

    /// <summary>A project file is malformed or inconsistent (exp.yaml, params.yaml, exp.lock, config).</summary>
    InvalidProject = 3,

    /// <summary>Not inside a Git repository, or the repository has no commit yet.</summary>
    NotARepository = 4,

    /// <summary>A named experiment, stage, ref or path does not exist.</summary>
    NotFound = 5,

    /// <summary>The operation would overwrite something (a name taken, local changes) without --force.</summary>
    Conflict = 6,

    /// <summary>
    /// A Git remote could not be read or written (unreachable, access refused, or it rejected the push), or the server
    /// of an http(s) dep could not be reached or answered with an error, or Slurm's controller did not answer.
    /// </summary>
    Remote = 7,

    /// <summary>
    /// The disk (or the user's quota) is full: something could not be written, and nothing was left half-written.
    /// 28 as ENOSPC's errno.
    /// </summary>
    DiskFull = 28,

    /// <summary>Interrupted by the user (Ctrl+C) or a signal.</summary>
    Interrupted = 130,
}
