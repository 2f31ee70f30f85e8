using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GitExp.Core.Pipeline;
using GitExp.Core.Processes;
using GitExp.Core.Project;

namespace GitExp.Core.ProjectFiles;

/// <summary>
/// Reads the stages a project file declares as <c>&lt;ExpStage&gt;</c> items (the GitExp.MSBuild
/// package), evaluated by MSBuild itself through <c>dotnet msbuild -getItem</c>.
/// </summary>
/// <remarks>
/// Evaluating a project takes a second or two, so the result is cached under <c>.exp/tmp/msbuild/</c>,
/// keyed by the project file's text and the names of the source files beside it: editing a .cs file
/// changes only its hash (a dep), not the stage list, so the cache still holds.
/// A stage depends on the project file itself (package references), its Compile items and the project
/// files it references, so editing the code re-runs it.
/// </remarks>
public sealed class ProjectStageReader(ExpProject project)
{
    /// <summary>Whether a project file declares stages (a cheap text check before any evaluation).</summary>
    public static bool DeclaresStages(string fullPath) =>
        File.Exists(fullPath) && File.ReadAllText(fullPath).Contains("<ExpStage", StringComparison.Ordinal);

    public async Task<Pipeline.Pipeline> LoadAsync(string projectFile, CancellationToken cancellationToken)
    {
        var full = project.FullPath(projectFile);
        var text = await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false);
        var projectDir = Path.GetDirectoryName(full)!;
        var files = await project
            .Git.ListFilesAsync(
                [":(top)" + (project.ToRepoPath(projectDir) is { Length: > 0 } dir ? dir : ".")],
                cancellationToken
            )
            .ConfigureAwait(false);
        var cachePath = Path.Combine(project.TempDirectory, "msbuild", CacheKey(projectFile, text, projectDir, files) + ".json");
        string json;
        if (File.Exists(cachePath))
        {
            json = await File.ReadAllTextAsync(cachePath, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            json = await EvaluateAsync(projectFile, full, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
            await File.WriteAllTextAsync(cachePath + ".tmp", json, cancellationToken).ConfigureAwait(false);
            File.Move(cachePath + ".tmp", cachePath, overwrite: true);
        }

        return ToPipeline(projectFile, text, projectDir, json);
    }

    private static async Task<string> EvaluateAsync(string projectFile, string full, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner
            .RunAsync(
                "dotnet",
                ["msbuild", full, "-nologo", "-getItem:ExpStage", "-getItem:Compile", "-getItem:ProjectReference"],
                Path.GetDirectoryName(full)!,
                new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
                cancellationToken: cancellationToken
            )
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var reason = (result.StandardOutput + result.StandardError)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                ?.Trim();
            throw new ExpException(
                ExitCode.InvalidProject,
                $"{projectFile}: MSBuild could not evaluate the project ({reason ?? "exit code " + result.ExitCode})"
            );
        }

        return result.StandardOutput;
    }

    private Pipeline.Pipeline ToPipeline(string projectFile, string text, string projectDir, string json)
    {
        using var document = JsonDocument.Parse(json);
        var items = document.RootElement.GetProperty("Items");
        var projectRepoDir = project.ToRepoPath(projectDir);
        var autoDeps = new List<string> { projectFile };
        foreach (var group in new[] { "Compile", "ProjectReference" })
        {
            if (!items.TryGetProperty(group, out var list))
            {
                continue;
            }

            foreach (var item in list.EnumerateArray())
            {
                var path = item.GetProperty("FullPath").GetString()!;
                var relative = Path.GetRelativePath(project.Root, path).Replace('\\', '/');
                // Files the build generates (obj/, bin/) are outputs of the build, not inputs.
                if (
                    relative.StartsWith("../", StringComparison.Ordinal)
                    || IsBuildOutput(relative, projectRepoDir)
                    || !File.Exists(path)
                )
                {
                    continue;
                }

                autoDeps.Add(relative);
            }
        }

        var stages = new List<Stage>();
        if (items.TryGetProperty("ExpStage", out var declared))
        {
            foreach (var item in declared.EnumerateArray())
            {
                var stage = ToStage(projectFile, text, projectRepoDir, item, autoDeps);
                if (stages.Any(s => s.Name == stage.Name))
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        $"{projectFile}:{stage.Line}: stage '{stage.Name}' is declared twice"
                    );
                }

                stages.Add(stage);
            }
        }

        return new Pipeline.Pipeline(projectFile, stages);
    }

    private static Stage ToStage(
        string projectFile,
        string text,
        string projectDir,
        JsonElement item,
        IReadOnlyList<string> autoDeps
    )
    {
        var name = item.GetProperty("Identity").GetString()!;
        var line = LineOf(text, name);
        string Meta(string key) => item.TryGetProperty(key, out var value) ? value.GetString() ?? "" : "";
        IEnumerable<string> List(string key) =>
            Meta(key).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string InProject(string path) =>
            RepoPath.Normalize(projectDir.Length == 0 ? path : projectDir + "/" + path)
            ?? throw new ExpException(
                ExitCode.InvalidProject,
                $"{projectFile}:{line}: stage '{name}': path '{path}' leaves the repository"
            );

        var command = Meta("Command");
        if (command.Length == 0)
        {
            throw new ExpException(ExitCode.InvalidProject, $"{projectFile}:{line}: stage '{name}' has no Command");
        }

        var parameters = List("Params")
            .Select(p =>
                p.LastIndexOf(':') is var colon and > 0
                    ? new ParamRef(InProject(p[..colon]), p[(colon + 1)..])
                    : new ParamRef(InProject("params.yaml"), p)
            )
            .ToList();
        var outs = List("Outs")
            .Select(o => new OutSpec(InProject(o), OutKind.Out, Cache: true, Persist: false, Checkpoint: false))
            .Concat(
                List("Metrics")
                    .Select(o => new OutSpec(InProject(o), OutKind.Metric, Cache: false, Persist: false, Checkpoint: false))
            )
            .Concat(
                List("Plots")
                    .Select(o => new OutSpec(InProject(o), OutKind.Plot, Cache: false, Persist: false, Checkpoint: false))
            )
            .Concat(
                List("CheckpointOuts")
                    .Select(o => new OutSpec(InProject(o), OutKind.Out, Cache: true, Persist: false, Checkpoint: true))
            )
            .ToList();
        var outPaths = outs.Select(o => o.Path).ToHashSet(StringComparer.Ordinal);
        var deps = List("Deps")
            .Select(InProject)
            .Concat(autoDeps)
            .Where(d => !outPaths.Contains(d))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new Stage(
            name,
            projectFile,
            [command],
            projectDir,
            deps,
            parameters,
            outs,
            Frozen: string.Equals(Meta("Frozen"), "true", StringComparison.OrdinalIgnoreCase),
            AlwaysChanged: string.Equals(Meta("AlwaysChanged"), "true", StringComparison.OrdinalIgnoreCase),
            Description: Meta("Desc") is { Length: > 0 } desc ? desc : null,
            Line: line
        );
    }

    private static bool IsBuildOutput(string repoPath, string projectDir)
    {
        var inProject =
            projectDir.Length == 0 ? repoPath
            : repoPath.StartsWith(projectDir + "/", StringComparison.Ordinal) ? repoPath[(projectDir.Length + 1)..]
            : repoPath;
        return inProject.StartsWith("obj/", StringComparison.Ordinal) || inProject.StartsWith("bin/", StringComparison.Ordinal);
    }

    private static int LineOf(string text, string name)
    {
        var index = text.IndexOf($"Include=\"{name}\"", StringComparison.Ordinal);
        return index < 0 ? 0 : text.AsSpan(0, index).Count('\n') + 1;
    }

    // The files Git sees under the project (tracked, or untracked and not ignored): adding or removing a
    // source file changes the Compile items, editing one does not.
    private static string CacheKey(string projectFile, string text, string projectDir, IReadOnlyList<string> files)
    {
        var key = new StringBuilder(projectFile).Append('\n').Append(text).Append('\n');
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            key.Append(file).Append('\n');
        }

        foreach (var props in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            for (var dir = new DirectoryInfo(projectDir); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, props);
                if (File.Exists(path))
                {
                    key.Append(path).Append('\n').Append(File.ReadAllText(path));
                    break;
                }
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())));
    }
}
