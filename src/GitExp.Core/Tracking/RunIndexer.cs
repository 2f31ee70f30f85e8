using GitExp.Core.Execution;
using GitExp.Core.Experiments;
using GitExp.Core.Pipeline;
using GitExp.Core.Project;

namespace GitExp.Core.Tracking;

/// <summary>
/// Rebuilds the run store from Git, the source of truth: every experiment ref that no run records yet
/// becomes a run (so a fresh clone, after fetching <c>refs/exps</c>, gets its runs back).
/// </summary>
public sealed class RunIndexer(ExpProject project)
{
    /// <summary>Adds the missing runs; returns how many it added.</summary>
    public async Task<int> ReindexAsync(CancellationToken cancellationToken = default)
    {
        var experiments = await new ExperimentStore(project.Git).ListAsync(cancellationToken).ConfigureAwait(false);
        using var store = RunStore.Open(project);
        var missing = experiments.Where(e => !store.HasCommit(e.Commit)).ToList();
        if (missing.Count == 0)
        {
            return 0;
        }

        var sources = await ValueSources.FromWorkspaceAsync(project, cancellationToken).ConfigureAwait(false);
        var values = sources.ReadCommits(project.Git, missing.Select(e => e.Commit).ToList(), project.ValuesCache);
        var index = await PipelineIndex.LoadAsync(project, [], cancellationToken).ConfigureAwait(false);
        using var reader = project.Git.OpenObjectReader();
        for (var i = 0; i < missing.Count; i++)
        {
            var experiment = missing[i];
            var metrics = values[i]
                .Metrics.ToDictionary(
                    m => m.Key,
                    m => new MetricSummary(m.Value, ValueComparer.AsNumber(m.Value), ValueComparer.AsNumber(m.Value)),
                    StringComparer.Ordinal
                );
            store.Save(
                new RunRecord
                {
                    Id = experiment.Commit[..12],
                    ExperimentName = experiment.Name,
                    ExperimentRef = experiment.Ref,
                    Commit = experiment.Commit,
                    Baseline = experiment.Baseline,
                    Kind = "git",
                    Status = experiment.Interrupted ? RunStatus.Interrupted : RunStatus.Succeeded,
                    Created = experiment.Created,
                    Finished = experiment.Created,
                    Params = values[i].Params,
                    Metrics = metrics,
                    Artifacts = Artifacts(reader, experiment.Commit, index),
                    Title = experiment.Subject.StartsWith("exp: ", StringComparison.Ordinal) ? null : experiment.Subject,
                }
            );
        }

        return missing.Count;
    }

    private static List<ArtifactRecord> Artifacts(Git.CatFileBatch reader, string commit, PipelineIndex index)
    {
        var artifacts = new List<ArtifactRecord>();
        foreach (var pipeline in index.Pipelines)
        {
            var text = reader.ReadText(commit + ":" + LockFile.PathFor(pipeline.File));
            if (text is null)
            {
                continue;
            }

            LockFile locks;
            try
            {
                locks = LockFile.Parse(text, pipeline.File, pipeline.Stages);
            }
            catch (ExpException)
            {
                continue; // an old lock this version cannot read: that run keeps no artifacts
            }

            foreach (var stage in pipeline.Stages)
            {
                if (locks.Stages.TryGetValue(stage.Name, out var locked))
                {
                    artifacts.AddRange(
                        locked.Outs.Select(o => new ArtifactRecord(
                            o.Path,
                            o.Sha256,
                            o.Size,
                            stage.Outs.FirstOrDefault(s => s.Path == o.Path)?.Kind.ToString().ToLowerInvariant() ?? "out"
                        ))
                    );
                }
            }
        }

        return artifacts;
    }
}
