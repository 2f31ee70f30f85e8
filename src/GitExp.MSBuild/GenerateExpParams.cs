using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using YamlDotNet.RepresentationModel;

namespace GitExp.MSBuild;

/// <summary>Writes a typed <c>Params</c> class for a params YAML file; the values are read when the program runs.</summary>
public sealed class GenerateExpParams : Microsoft.Build.Utilities.Task
{
    /// <summary>The params file (params.yaml by default).</summary>
    [Required]
    public string ParamsFile { get; set; } = "";

    /// <summary>The C# file to write; rewritten only when its text changes, so edited values do not force a recompile.</summary>
    [Required]
    public string OutputFile { get; set; } = "";

    /// <summary>The namespace of the class (the project's RootNamespace); empty for the global namespace.</summary>
    public string Namespace { get; set; } = "";

    /// <summary>The name of the top-level class.</summary>
    public string ClassName { get; set; } = "Params";

    public override bool Execute()
    {
        var paramsFile = Path.GetFullPath(ParamsFile);
        YamlNode? root;
        try
        {
            root = ParamsYaml.Load(paramsFile);
        }
        catch (ParamsYamlException e)
        {
            Log.LogError(null, "EXP2001", null, paramsFile, e.Line, e.Column, 0, 0, e.Message);
            return false;
        }

        var gitRoot = FindGitRoot(Path.GetDirectoryName(paramsFile)!);
        var relative = gitRoot is null ? null : Path.GetRelativePath(gitRoot, paramsFile).Replace('\\', '/');
        var source = ParamsClassWriter.Write(root, Namespace, ClassName, paramsFile, relative);
        if (!File.Exists(OutputFile) || File.ReadAllText(OutputFile) != source)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputFile))!);
            File.WriteAllText(OutputFile, source);
            Log.LogMessage(MessageImportance.Low, "GitExp: wrote {0} from {1}", OutputFile, paramsFile);
        }

        return !Log.HasLoggedErrors;
    }

    /// <summary>The nearest folder at or above <paramref name="directory"/> holding <c>.git</c> (a folder, or a file in worktrees).</summary>
    internal static string? FindGitRoot(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var git = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
