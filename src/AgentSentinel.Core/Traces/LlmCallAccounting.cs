using AgentSentinel.Core.Spans;

namespace AgentSentinel.Core.Traces;

/// <summary>
/// Decides which spans of a trace count as model calls for token accounting. Several conventions nest one
/// model-call span inside another (the Vercel AI SDK's <c>ai.generateText</c> around <c>ai.generateText.doGenerate</c>,
/// a framework's LLM wrapper around the provider SDK's span), each carrying the same usage: counting both would double it.
/// A model call counts only when none of its descendants is itself a model call.
/// </summary>
public static class LlmCallAccounting
{
    /// <summary>Marks, for each span, whether it is a counted (innermost) model call.</summary>
    /// <param name="spans">The spans of one trace (any order).</param>
    /// <param name="counted">Receives one flag per span; must be at least as long as <paramref name="spans"/>.</param>
    /// <returns>The number of counted model calls.</returns>
    public static int MarkCountedCalls(ReadOnlySpan<AgentSpan> spans, Span<bool> counted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(counted.Length, spans.Length, nameof(counted));
        var anyLlm = false;
        for (var i = 0; i < spans.Length; i++)
        {
            counted[i] = spans[i].Operation.IsLlmCall();
            anyLlm |= counted[i];
        }

        if (!anyLlm)
        {
            return 0;
        }

        // Walk up from every model call and un-count the model calls above it. Small traces use a linear
        // parent lookup; large ones index the span ids once.
        var index = spans.Length > LinearLookupLimit ? BuildIndex(spans) : null;
        for (var i = 0; i < spans.Length; i++)
        {
            if (!spans[i].Operation.IsLlmCall())
            {
                continue;
            }

            var parent = spans[i].ParentSpanId;
            for (var hops = 0; !parent.IsEmpty && hops < spans.Length; hops++)
            {
                var p = index is null ? IndexOf(spans, parent) : index.GetValueOrDefault(parent, -1);
                if (p < 0)
                {
                    break;
                }

                if (spans[p].Operation.IsLlmCall())
                {
                    counted[p] = false;
                }

                parent = spans[p].ParentSpanId;
            }
        }

        var n = 0;
        for (var i = 0; i < spans.Length; i++)
        {
            n += counted[i] ? 1 : 0;
        }

        return n;
    }

    private const int LinearLookupLimit = 64;

    private static Dictionary<SpanId, int> BuildIndex(ReadOnlySpan<AgentSpan> spans)
    {
        var index = new Dictionary<SpanId, int>(spans.Length);
        for (var i = 0; i < spans.Length; i++)
        {
            index.TryAdd(spans[i].SpanId, i);
        }

        return index;
    }

    private static int IndexOf(ReadOnlySpan<AgentSpan> spans, SpanId id)
    {
        for (var i = 0; i < spans.Length; i++)
        {
            if (spans[i].SpanId == id)
            {
                return i;
            }
        }

        return -1;
    }
}
