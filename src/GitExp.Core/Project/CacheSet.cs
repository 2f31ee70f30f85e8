using GitExp.Core.Cache;
using GitExp.Core.Pipeline;

namespace GitExp.Core.Project;

/// <summary>
/// The content caches of one command: SHA-256 for exp.yaml pipelines, DVC's MD5 for dvc.yaml pipelines
/// (see <see cref="LockFile.HashKindOf"/>), each with its own state table, opened when first needed.
/// </summary>
public sealed class CacheSet(ExpProject project)
{
    private readonly Dictionary<HashKind, (ContentCache Linked, ContentCache Copies)> _caches = [];
    private readonly Lock _lock = new();

    /// <summary>The cache for the outs and deps of a stage of <paramref name="pipelineFile"/>.</summary>
    public ContentCache For(string pipelineFile) => Get(LockFile.HashKindOf(pipelineFile)).Linked;

    /// <summary>As <see cref="For"/>, but checking out private copies (uncached, persistent and checkpoint outs).</summary>
    public ContentCache CopiesFor(string pipelineFile) => Get(LockFile.HashKindOf(pipelineFile)).Copies;

    /// <summary>The cache that holds objects of <paramref name="kind"/> (see <see cref="HashKinds.OfObjectName"/>).</summary>
    public ContentCache Of(HashKind kind) => Get(kind).Linked;

    /// <summary>Saves the state tables opened so far.</summary>
    public void Save()
    {
        lock (_lock)
        {
            foreach (var (linked, _) in _caches.Values)
            {
                linked.State.Save();
            }
        }
    }

    private (ContentCache Linked, ContentCache Copies) Get(HashKind kind)
    {
        lock (_lock)
        {
            if (!_caches.TryGetValue(kind, out var pair))
            {
                var state = project.OpenStateTable(kind);
                var linked = project.OpenCache(state);
                pair = (linked, new ContentCache(linked.CacheDir, [LinkType.Copy], state));
                _caches[kind] = pair;
            }

            return pair;
        }
    }
}
