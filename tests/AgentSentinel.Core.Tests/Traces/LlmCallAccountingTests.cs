using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Core.Tests.Traces;

public sealed class LlmCallAccountingTests
{
    [Fact]
    public void A_model_call_wrapping_another_is_not_counted_twice()
    {
        // ai.generateText (chat) > ai.generateText.doGenerate (chat); a sibling chat; a tool.
        AgentSpan[] spans =
        [
            Span(2, 1, SpanOperation.Chat),
            Span(1, 0, SpanOperation.Chat),
            Span(3, 0, SpanOperation.Chat),
            Span(4, 0, SpanOperation.ExecuteTool),
        ];
        var counted = new bool[spans.Length];

        var n = LlmCallAccounting.MarkCountedCalls(spans, counted);

        Assert.Equal(2, n);
        Assert.Equal([true, false, true, false], counted);
    }

    [Fact]
    public void A_wrapper_is_uncounted_through_intermediate_spans_and_in_large_traces()
    {
        // chat(1) > chain(2) > chat(3); then 100 unrelated tools so the indexed lookup is used.
        var spans = new List<AgentSpan> { Span(1, 0, SpanOperation.Chat), Span(2, 1, SpanOperation.Chain), Span(3, 2, SpanOperation.Chat) };
        for (var i = 0; i < 100; i++)
        {
            spans.Add(Span(100 + (ulong)i, 1, SpanOperation.ExecuteTool));
        }

        var counted = new bool[spans.Count];

        Assert.Equal(1, LlmCallAccounting.MarkCountedCalls(spans.ToArray(), counted));
        Assert.False(counted[0]);
        Assert.True(counted[2]);
    }

    private static AgentSpan Span(ulong id, ulong parent, SpanOperation operation) => new()
    {
        TraceId = new TraceId(1, 1),
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        Operation = operation,
    };
}
