namespace GitExp.Core.Pipeline;

/// <summary>The stages of one or more pipeline files linked by their deps and outs: run order and producers.</summary>
public sealed class StageGraph
{
    private readonly Dictionary<string, (Stage Stage, OutSpec Out)> outs = new(StringComparer.Ordinal);
    private readonly List<int>[] upstream;
    private readonly Dictionary<Stage, int> index = new(ReferenceEqualityComparer.Instance);
    private IReadOnlyList<Stage> order = [];

    private StageGraph(List<Stage> stages)
    {
        Stages = stages;
        for (var i = 0; i < stages.Count; i++)
        {
            index[stages[i]] = i;
        }
        upstream = stages.Select(_ => new List<int>()).ToArray();
    }

    /// <summary>Stages in the order given (file order).</summary>
    public IReadOnlyList<Stage> Stages { get; }

    /// <summary>Links stages; duplicate addresses, outs declared twice or nested in another out, and cycles are errors.</summary>
    public static StageGraph Build(IEnumerable<Stage> stages)
    {
        var list = stages.ToList();
        var graph = new StageGraph(list);
        var addresses = new Dictionary<string, Stage>(StringComparer.Ordinal);
        foreach (var stage in list)
        {
            if (!addresses.TryAdd(stage.Address, stage))
            {
                throw new ExpException(
                    ExitCode.InvalidProject,
                    $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Address}' is declared twice"
                );
            }
        }
        foreach (var stage in list)
        {
            CheckReadsOwnOuts(stage);
        }

        foreach (var stage in list)
        {
            foreach (var o in stage.Outs)
            {
                if (graph.outs.TryGetValue(o.Path, out var other))
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        ReferenceEquals(other.Stage, stage)
                            ? $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Address}' declares out '{o.Path}' twice"
                            : $"{stage.PipelineFile}:{stage.Line}: stages '{other.Stage.Address}' and '{stage.Address}' both declare out '{o.Path}'"
                    );
                }
                graph.outs.Add(o.Path, (stage, o));
            }
        }
        foreach (var (path, (stage, _)) in graph.outs)
        {
            foreach (var ancestor in RepoPath.Ancestors(path))
            {
                if (graph.outs.TryGetValue(ancestor, out var outer))
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        $"{stage.PipelineFile}:{stage.Line}: out '{path}' of stage '{stage.Address}' is inside out '{ancestor}' of stage '{outer.Stage.Address}'; one out cannot hold another"
                    );
                }
            }
        }

        // A dep depends on the out that equals or holds it, and on every out inside it (a dep on a whole folder).
        var sortedOuts = graph.outs.Keys.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var producers = new SortedSet<int>();
            foreach (var dep in list[i].Deps)
            {
                if (graph.FindProducer(dep) is { } p)
                {
                    producers.Add(graph.index[p]);
                }
                var prefix = dep.Length == 0 ? "" : dep + "/";
                var start = sortedOuts.BinarySearch(prefix, StringComparer.Ordinal);
                for (
                    var j = start < 0 ? ~start : start;
                    j < sortedOuts.Count && sortedOuts[j].StartsWith(prefix, StringComparison.Ordinal);
                    j++
                )
                {
                    producers.Add(graph.index[graph.outs[sortedOuts[j]].Stage]);
                }
            }
            graph.upstream[i].AddRange(producers);
        }
        graph.order = graph.Sort();
        return graph;
    }

    // DVC's graph links such a stage to itself and reports a cycle; naming the out and the dep says what to change.
    private static void CheckReadsOwnOuts(Stage stage)
    {
        foreach (var o in stage.Outs)
        {
            foreach (var dep in stage.Deps)
            {
                var what =
                    dep == o.Path ? $"'{dep}' is both its dep and its out"
                    : RepoPath.IsInside(o.Path, dep) ? $"out '{o.Path}' is inside its dep '{dep}'"
                    : RepoPath.IsInside(dep, o.Path) ? $"dep '{dep}' is inside its out '{o.Path}'"
                    : null;
                if (what is not null)
                {
                    throw new ExpException(
                        ExitCode.InvalidProject,
                        $"{stage.PipelineFile}:{stage.Line}: stage '{stage.Address}': {what}; a stage cannot read what it writes (DVC refuses this too)"
                    );
                }
            }
        }
    }

    /// <summary>Every stage once, each after the stages it depends on; independent stages keep file order.</summary>
    public IReadOnlyList<Stage> TopologicalOrder() => order;

    /// <summary>The target and everything it depends on, in run order.</summary>
    public IReadOnlyList<Stage> Upstream(Stage target)
    {
        if (!index.TryGetValue(target, out var start))
        {
            start = Stages.ToList().FindIndex(s => s.Address == target.Address);
            if (start < 0)
            {
                throw new ExpException(ExitCode.NotFound, $"stage '{target.Address}' is not part of this pipeline");
            }
        }
        var needed = new HashSet<int>();
        var stack = new Stack<int>([start]);
        while (stack.TryPop(out var i))
        {
            if (needed.Add(i))
            {
                upstream[i].ForEach(stack.Push);
            }
        }
        return order.Where(s => needed.Contains(index[s])).ToList();
    }

    /// <summary>The target and every stage that depends on it, directly or not, in run order (<c>--downstream</c>).</summary>
    public IReadOnlyList<Stage> Downstream(Stage target) => Reachable(target, followUpstream: false, followDownstream: true);

    /// <summary>Every stage linked to the target through deps and outs, either way: its whole pipeline (<c>--pipeline</c>).</summary>
    public IReadOnlyList<Stage> Connected(Stage target) => Reachable(target, followUpstream: true, followDownstream: true);

    private List<Stage> Reachable(Stage target, bool followUpstream, bool followDownstream)
    {
        var start = index[target];
        var reached = new HashSet<int>();
        var stack = new Stack<int>([start]);
        while (stack.TryPop(out var i))
        {
            if (!reached.Add(i))
            {
                continue;
            }

            for (var j = 0; j < Stages.Count; j++)
            {
                if ((followUpstream && upstream[i].Contains(j)) || (followDownstream && upstream[j].Contains(i)))
                {
                    stack.Push(j);
                }
            }
        }

        return order.Where(s => reached.Contains(index[s])).ToList();
    }

    /// <summary>The stages <paramref name="stage"/> depends on directly (an out equals, holds or lies inside one of its deps), in file order.</summary>
    public IReadOnlyList<Stage> DirectUpstream(Stage stage) =>
        index.TryGetValue(stage, out var i) ? upstream[i].Select(u => Stages[u]).ToList() : [];

    /// <summary>The stage whose out is <paramref name="path"/> or a folder holding it; null when no stage makes it.</summary>
    public Stage? FindProducer(string path)
    {
        if (path.Contains("://", StringComparison.Ordinal))
        {
            return null; // a URL dep: no stage writes it
        }

        // A dep outside the repository has a producer too when a stage writes it there (an uncached out).
        var p = RepoPath.Normalize(path) ?? RepoPath.NormalizeAny(path);
        if (outs.TryGetValue(p, out var hit))
        {
            return hit.Stage;
        }
        foreach (var ancestor in RepoPath.Ancestors(p))
        {
            if (outs.TryGetValue(ancestor, out hit))
            {
                return hit.Stage;
            }
        }
        return null;
    }

    // Kahn's algorithm taking the lowest file position among ready stages keeps the order stable and readable.
    private List<Stage> Sort()
    {
        var n = Stages.Count;
        var pending = upstream.Select(u => u.Count).ToArray();
        var downstream = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < n; i++)
        {
            upstream[i].ForEach(u => downstream[u].Add(i));
        }
        var ready = new SortedSet<int>(Enumerable.Range(0, n).Where(i => pending[i] == 0));
        var result = new List<Stage>(n);
        while (ready.Count > 0)
        {
            var i = ready.Min;
            ready.Remove(i);
            result.Add(Stages[i]);
            foreach (var d in downstream[i])
            {
                if (--pending[d] == 0)
                {
                    ready.Add(d);
                }
            }
        }
        if (result.Count < n)
        {
            throw new ExpException(ExitCode.InvalidProject, $"cycle between stages: {string.Join(" -> ", FindCycle(pending))}");
        }
        return result;
    }

    private IEnumerable<string> FindCycle(int[] pending)
    {
        // Every stage left pending has an unfinished upstream stage, so walking upstream must revisit one.
        var start = Array.FindIndex(pending, p => p > 0);
        var path = new List<int>();
        var seenAt = new Dictionary<int, int>();
        var current = start;
        while (!seenAt.ContainsKey(current))
        {
            seenAt[current] = path.Count;
            path.Add(current);
            current = upstream[current].First(u => pending[u] > 0);
        }
        var cycle = path.Skip(seenAt[current]).Append(current).ToList();
        // Walking went upstream; print in run direction (producer -> consumer).
        cycle.Reverse();
        return cycle.Select(i => Stages[i].Address);
    }
}
