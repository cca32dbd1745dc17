using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>Synthetic spans and records (no decoder involved). Times are milliseconds after <see cref="T0"/>.</summary>
internal static class TestSpans
{
    public const long Ms = 1_000_000;

    /// <summary>2023-11-14T22:13:20Z in unix ns: well in the past, so the future-skew guard never applies.</summary>
    public const long T0 = 1_700_000_000_000_000_000;

    public static TraceId Trace(int n) => new(0x5eed_0000_0000_0000UL | (uint)n, 0xfeed_face_0000_0000UL | (uint)(n * 31));

    public static long At(long ms) => T0 + (ms * Ms);

    public static AgentSpan Span(
        int trace,
        ulong id,
        ulong parent,
        long startMs,
        long endMs,
        string? agent = null,
        string? resource = "svc",
        SpanOperation operation = SpanOperation.Chat,
        long? tokens = null) => new()
    {
        TraceId = Trace(trace),
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        StartUnixNano = At(startMs),
        EndUnixNano = At(endMs),
        AgentName = agent,
        ResourceAgent = resource,
        Operation = operation,
        TotalTokens = tokens,
    };

    public static IngestedRecord Record(long offset, params AgentSpan[] spans) => new(spans, new RecordPosition("spans", 0, offset));
}
