using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Detection.Tests.TestSupport;

/// <summary>Synthetic spans and traces (no decoder involved).</summary>
internal static class Spans
{
    public const long Ms = 1_000_000;
    public const long T0 = 1_700_000_000_000_000_000;

    public static TraceId TraceIdOf(int n) => new(0xabc0_0000_0000_0000UL | (uint)n, 0x0123_4567_89ab_cdefUL ^ (ulong)n);

    public static AgentSpan Llm(int trace, ulong span, ulong parent, long startMs, long endMs, long? total, long? input = null, long? output = null) => new()
    {
        TraceId = TraceIdOf(trace),
        SpanId = new SpanId(span),
        ParentSpanId = new SpanId(parent),
        StartUnixNano = T0 + (startMs * Ms),
        EndUnixNano = T0 + (endMs * Ms),
        Operation = SpanOperation.Chat,
        TotalTokens = total,
        InputTokens = input,
        OutputTokens = output,
    };

    public static AgentSpan Other(int trace, ulong span, ulong parent, long startMs, long endMs, SpanOperation operation = SpanOperation.InvokeAgent) => new()
    {
        TraceId = TraceIdOf(trace),
        SpanId = new SpanId(span),
        ParentSpanId = new SpanId(parent),
        StartUnixNano = T0 + (startMs * Ms),
        EndUnixNano = T0 + (endMs * Ms),
        Operation = operation,
    };

    /// <summary>
    /// Trace <paramref name="n"/> of agent "a": an agent root span of <paramref name="durationMs"/> holding one model call per entry of
    /// <paramref name="callTokens"/>, each lasting <paramref name="callMs"/>. Traces are 10 s apart in event time.
    /// </summary>
    public static AgentTrace Trace(int n, double durationMs, double callMs, params long[] callTokens)
    {
        var start = n * 10_000L;
        var spans = new List<AgentSpan> { Other(n, 1, 0, start, start + (long)durationMs) };
        for (var i = 0; i < callTokens.Length; i++)
        {
            spans.Add(Llm(n, (ulong)(10 + i), 1, start + i, start + i + (long)callMs, callTokens[i]));
        }

        var trace = new AgentTrace("a", TraceIdOf(n), [.. spans], true, spans.Max(s => s.EndUnixNano));
        return trace;
    }

    /// <summary>A trace with one model call of <paramref name="tokens"/> tokens lasting <paramref name="callMs"/>, trace 2 s long.</summary>
    public static AgentTrace Simple(int n, long tokens, double callMs = 500, double durationMs = 2000) => Trace(n, durationMs, callMs, tokens);
}
