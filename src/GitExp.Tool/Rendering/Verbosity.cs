namespace GitExp.Tool.Rendering;

/// <summary>How much a long command tells as it goes: <c>-q</c> only errors, <c>-v</c> every step.</summary>
internal enum Verbosity
{
    Quiet,
    Normal,
    Verbose,
}
