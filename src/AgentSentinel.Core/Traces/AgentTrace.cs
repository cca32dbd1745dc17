using AgentSentinel.Core.Spans;

namespace AgentSentinel.Core.Traces;

/// <summary>
/// The spans of one trace that belong to one agent, assembled from however many records they arrived in.
/// A multi-agent trace yields one <see cref="AgentTrace"/> per agent that took part.
/// </summary>
/// <param name="Agent">The resolved agent identity.</param>
/// <param name="TraceId">The trace.</param>
/// <param name="Spans">This agent's spans, in the order they were received.</param>
/// <param name="RootSeen">Whether the trace's root span arrived (false for orphans closed by idle timeout).</param>
/// <param name="CompletedAtUnixNano">Event time at which the trace was closed: the latest span end.</param>
public sealed record AgentTrace(string Agent, TraceId TraceId, AgentSpan[] Spans, bool RootSeen, long CompletedAtUnixNano)
{
    public long StartUnixNano
    {
        get
        {
            var start = long.MaxValue;
            foreach (ref readonly var span in Spans.AsSpan())
            {
                start = Math.Min(start, span.StartUnixNano);
            }

            return start == long.MaxValue ? 0 : start;
        }
    }
}
