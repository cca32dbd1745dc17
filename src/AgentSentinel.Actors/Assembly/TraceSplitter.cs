using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Actors.Assembly;

/// <summary>
/// Resolves the agent of every span of a closed trace and splits the trace into one <see cref="AgentTrace"/> per agent.
/// </summary>
/// <remarks>
/// A span's agent is, in order: its own <see cref="AgentSpan.AgentName"/>; else the nearest ancestor's within the trace
/// (following parent ids; a missing parent or a cycle ends the walk); else its own <see cref="AgentSpan.ResourceAgent"/>;
/// else a name that looks like a per-run instance id (<see cref="AgentIdentity.LooksLikeInstanceId"/>), found the same
/// way, which the first two steps skip; else <see cref="UnknownAgent"/>. Empty names count as absent. Parts come in order of each agent's first span, and
/// each part keeps its spans in the order they were received. A span id seen twice (a record delivered twice) is kept once.
/// </remarks>
internal static class TraceSplitter
{
    /// <summary>The agent of spans that name none, directly, by ancestry or by resource.</summary>
    public const string UnknownAgent = "unknown";

    public static AgentTrace[] Split(TraceId traceId, List<AgentSpan> spans, bool rootSeen, long completedAtUnixNano)
    {
        var count = spans.Count;
        if (count == 0)
        {
            return [];
        }

        ReadOnlySpan<AgentSpan> span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(spans);
        var byId = IndexOf(span, out var duplicates);
        if (duplicates > 0)
        {
            span = WithoutDuplicates(span, duplicates);
            byId = IndexOf(span, out _);
        }

        count = span.Length;
        var agents = ResolveAgents(span, byId);

        // One agent (the common case): no grouping needed.
        var first = agents[0];
        var single = true;
        for (var i = 1; i < count && single; i++)
        {
            single = string.Equals(agents[i], first, StringComparison.Ordinal);
        }

        if (single)
        {
            return [new AgentTrace(first, traceId, span.ToArray(), rootSeen, completedAtUnixNano)];
        }

        var order = new List<string>();
        var groups = new Dictionary<string, List<AgentSpan>>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (!groups.TryGetValue(agents[i], out var group))
            {
                groups[agents[i]] = group = [];
                order.Add(agents[i]);
            }

            group.Add(span[i]);
        }

        var parts = new AgentTrace[order.Count];
        for (var k = 0; k < parts.Length; k++)
        {
            parts[k] = new AgentTrace(order[k], traceId, [.. groups[order[k]]], rootSeen, completedAtUnixNano);
        }

        return parts;
    }

    /// <summary>
    /// The spans with repeated span ids removed (the first copy is kept). A record delivered twice (a source retrying
    /// after a timeout, at-least-once delivery) must not double a trace's tokens. Spans without an id are all kept.
    /// </summary>
    private static AgentSpan[] WithoutDuplicates(ReadOnlySpan<AgentSpan> spans, int duplicates)
    {
        var seen = new HashSet<SpanId>(spans.Length);
        var unique = new AgentSpan[spans.Length - duplicates];
        var k = 0;
        foreach (ref readonly var span in spans)
        {
            if (span.SpanId.IsEmpty || seen.Add(span.SpanId))
            {
                unique[k++] = span;
            }
        }

        return unique;
    }

    /// <summary>Span id → index of its first occurrence; counts the repeated (non-empty) ids.</summary>
    private static Dictionary<SpanId, int> IndexOf(ReadOnlySpan<AgentSpan> spans, out int duplicates)
    {
        var byId = new Dictionary<SpanId, int>(spans.Length);
        duplicates = 0;
        for (var i = 0; i < spans.Length; i++)
        {
            if (!byId.TryAdd(spans[i].SpanId, i) && !spans[i].SpanId.IsEmpty)
            {
                duplicates++;
            }
        }

        return byId;
    }

    /// <summary>The resolved agent of each span (see the class remarks).</summary>
    public static string[] ResolveAgents(ReadOnlySpan<AgentSpan> spans) => ResolveAgents(spans, IndexOf(spans, out _));

    private static string[] ResolveAgents(ReadOnlySpan<AgentSpan> spans, Dictionary<SpanId, int> byId)
    {
        var named = NearestNamed(spans, byId, instanceIds: false);
        string?[]? instances = null;
        var agents = new string[spans.Length];
        for (var i = 0; i < spans.Length; i++)
        {
            var agent = named[i] ?? (string.IsNullOrEmpty(spans[i].ResourceAgent) ? null : spans[i].ResourceAgent);
            if (agent is null)
            {
                instances ??= NearestNamed(spans, byId, instanceIds: true);
                agent = instances[i];
            }

            agents[i] = agent ?? UnknownAgent;
        }

        return agents;
    }

    /// <summary>
    /// For each span, the <see cref="AgentSpan.AgentName"/> of the span or of its nearest ancestor that has one of the
    /// wanted sort (a real name, or one that looks like an instance id); null when none.
    /// </summary>
    private static string?[] NearestNamed(ReadOnlySpan<AgentSpan> spans, Dictionary<SpanId, int> byId, bool instanceIds)
    {
        var count = spans.Length;

        // named[i]: the AgentName of span i or of its nearest named ancestor (null when none). state: 0 new, 1 on the
        // current walk, 2 resolved.
        var named = new string?[count];
        var state = new byte[count];
        var path = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (state[i] == 2)
            {
                continue;
            }

            path.Clear();
            string? found = null;
            var at = i;
            while (true)
            {
                if (state[at] == 2)
                {
                    found = named[at];
                    break;
                }

                if (state[at] == 1)
                {
                    break; // a cycle: nothing above is named
                }

                if (!string.IsNullOrEmpty(spans[at].AgentName) && AgentIdentity.LooksLikeInstanceId(spans[at].AgentName) == instanceIds)
                {
                    found = spans[at].AgentName;
                    named[at] = found;
                    state[at] = 2;
                    break;
                }

                state[at] = 1;
                path.Add(at);
                var parent = spans[at].ParentSpanId;
                if (parent.IsEmpty || !byId.TryGetValue(parent, out var next) || next == at)
                {
                    break;
                }

                at = next;
            }

            foreach (var p in path)
            {
                named[p] = found;
                state[p] = 2;
            }
        }

        return named;
    }
}
