using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace GitExp.MSBuild;

/// <summary>
/// Checks the <c>ExpStage</c> items of a project: every stage has a Command (EXP2002), every Params key exists
/// in its params file (EXP2003), and no name is declared twice (EXP2004). Errors point at the item's line.
/// </summary>
public sealed partial class ValidateExpStages : Microsoft.Build.Utilities.Task
{
    private readonly Dictionary<string, string> _projectTexts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Core.Pipeline.ParamsFile?> _paramsFiles = new(StringComparer.Ordinal);

    /// <summary>The <c>@(ExpStage)</c> items.</summary>
    public ITaskItem[] Stages { get; set; } = [];

    /// <summary>The project file, used when an item does not say where it was defined.</summary>
    [Required]
    public string ProjectFile { get; set; } = "";

    /// <summary>The params file for keys without a <c>file:</c> prefix.</summary>
    [Required]
    public string ParamsFile { get; set; } = "";

    public override bool Execute()
    {
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var stage in Stages)
        {
            var name = stage.ItemSpec;
            var occurrence = seen[name] = seen.GetValueOrDefault(name) + 1;
            var file = stage.GetMetadata("DefiningProjectFullPath") is { Length: > 0 } defining ? defining : ProjectFile;
            var line = FindLine(file, name, occurrence);
            if (occurrence == 2)
            {
                Error("EXP2004", file, line, $"stage '{name}' is declared more than once; stage names must be unique");
            }

            if (string.IsNullOrWhiteSpace(stage.GetMetadata("Command")))
            {
                Error("EXP2002", file, line, $"stage '{name}' has no Command: add Command=\"...\" to its ExpStage item");
            }

            foreach (var param in Split(stage.GetMetadata("Params")))
            {
                CheckParam(name, param, baseDirectory, file, line);
            }
        }

        return !Log.HasLoggedErrors;
    }

    private void CheckParam(string stage, string param, string baseDirectory, string file, int line)
    {
        // file.yaml:key names another params file; a bare key is read from the default one.
        var colon = param.LastIndexOf(':');
        var paramsFile = colon > 0 ? Path.GetFullPath(Path.Combine(baseDirectory, param[..colon])) : Path.GetFullPath(ParamsFile);
        var key = colon > 0 ? param[(colon + 1)..] : param;
        if (!File.Exists(paramsFile))
        {
            Error("EXP2003", file, line, $"stage '{stage}' uses params file '{paramsFile}', which does not exist");
            return;
        }

        if (!_paramsFiles.TryGetValue(paramsFile, out var loaded))
        {
            loaded = Load(paramsFile, stage, file, line);
            _paramsFiles[paramsFile] = loaded;
        }

        if (key.Length > 0 && loaded is not null && !loaded.TryGet(key, out _))
        {
            Error("EXP2003", file, line, $"stage '{stage}' uses param '{key}', which {paramsFile} does not have");
        }
    }

    // The engine reads every params format (YAML, JSON, TOML, Python, by extension) and looks keys up, so a stage
    // is checked exactly as `dotnet exp` will read it. YAML is parsed here first as well: its syntax errors get
    // the line and column that the generated params class needs too.
    private Core.Pipeline.ParamsFile? Load(string paramsFile, string stage, string file, int line)
    {
        try
        {
            if (Core.Pipeline.ParamsFile.FormatOf(paramsFile) == Core.Pipeline.ParamsFormat.Yaml)
            {
                ParamsYaml.Load(paramsFile);
            }

            return Core.Pipeline.ParamsFile.Load(paramsFile, paramsFile);
        }
        catch (ParamsYamlException e)
        {
            Log.LogError(null, "EXP2001", null, paramsFile, e.Line, e.Column, 0, 0, e.Message);
        }
        catch (Core.ExpException e) when (e.Code == Core.ExitCode.Usage)
        {
            Error("EXP2003", file, line, $"stage '{stage}' uses a params file GitExp cannot read: {e.Message}");
        }
        catch (Core.ExpException e)
        {
            Log.LogError(null, "EXP2001", null, paramsFile, 0, 0, 0, 0, e.Message);
        }

        return null;
    }

    // MSBuild keeps no line numbers for items: find the n-th Include="name" in the file that defined the item.
    private int FindLine(string file, string name, int occurrence)
    {
        if (!_projectTexts.TryGetValue(file, out var text))
        {
            text = File.Exists(file) ? File.ReadAllText(file) : "";
            _projectTexts[file] = text;
        }

        var pattern = new Regex(
            @"<ExpStage\b[^>]*?\bInclude\s*=\s*(""|')\s*" + Regex.Escape(System.Security.SecurityElement.Escape(name)) + @"\s*\1",
            RegexOptions.CultureInvariant
        );
        var matches = pattern.Matches(text);
        if (matches.Count == 0)
        {
            return 0;
        }

        var match = matches[Math.Min(occurrence, matches.Count) - 1];
        var include = text.IndexOf("Include", match.Index, StringComparison.Ordinal);
        return text.AsSpan(0, include).Count('\n') + 1;
    }

    private void Error(string code, string file, int line, string message) =>
        Log.LogError(null, code, null, file, line, 0, 0, 0, message);

    private static IEnumerable<string> Split(string list) =>
        list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
