namespace GitExp.MSBuild;

/// <summary>Placeholder until the tasks land.</summary>
internal static class Placeholder;
