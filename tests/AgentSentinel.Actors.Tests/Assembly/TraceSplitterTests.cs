using AgentSentinel.Actors.Assembly;
using AgentSentinel.Core.Spans;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Assembly;

public sealed class TraceSplitterTests
{
    [Fact]
    public void Spans_take_the_agent_of_their_nearest_named_ancestor()
    {
        AgentSpan[] spans =
        [
            Span(1, 5, 4, 0, 1, resource: "svc"),              // grandchild of "planner" through an unnamed span
            Span(1, 4, 1, 0, 1, resource: "svc"),
            Span(1, 1, 0, 0, 2, agent: "planner", resource: "svc"),
        ];

        Assert.Equal(["planner", "planner", "planner"], TraceSplitter.ResolveAgents(spans));
    }

    [Fact]
    public void Without_a_named_ancestor_the_resource_then_unknown_is_used()
    {
        AgentSpan[] spans =
        [
            Span(1, 2, 1, 0, 1, resource: "billing-bot"),
            Span(1, 1, 0, 0, 2, resource: null),
            Span(1, 3, 99, 0, 1, resource: ""), // parent not in the trace
        ];

        Assert.Equal(["billing-bot", TraceSplitter.UnknownAgent, TraceSplitter.UnknownAgent], TraceSplitter.ResolveAgents(spans));
    }

    [Fact]
    public void A_per_run_instance_id_gives_way_to_the_service_and_names_the_agent_only_when_nothing_else_does()
    {
        AgentSpan[] koog =
        [
            Span(1, 2, 1, 0, 1, resource: "ai.koog"),
            Span(1, 1, 0, 0, 2, agent: "f9f77d1a-437f-4ba6-890e-b592a50cbd21", resource: "ai.koog"),
        ];
        AgentSpan[] unnamedService =
        [
            Span(2, 2, 1, 0, 1, resource: null),
            Span(2, 1, 0, 0, 2, agent: "171105b7-59dd-49c0-9677-0b95395aa46a", resource: null),
        ];
        AgentSpan[] realNameBelowInstanceId =
        [
            Span(3, 3, 2, 0, 1, resource: "svc"),
            Span(3, 2, 1, 0, 1, agent: "researcher", resource: "svc"),
            Span(3, 1, 0, 0, 2, agent: "0123456789abcdef0123", resource: "svc"),
        ];

        Assert.Equal(["ai.koog", "ai.koog"], TraceSplitter.ResolveAgents(koog));
        Assert.Equal(["171105b7-59dd-49c0-9677-0b95395aa46a", "171105b7-59dd-49c0-9677-0b95395aa46a"], TraceSplitter.ResolveAgents(unnamedService));
        Assert.Equal(["researcher", "researcher", "svc"], TraceSplitter.ResolveAgents(realNameBelowInstanceId));
    }

    [Fact]
    public void A_multi_agent_trace_splits_into_one_agent_trace_per_agent()
    {
        List<AgentSpan> spans =
        [
            Span(1, 11, 10, 0, 1, tokens: 5),                                       // coder's model call
            Span(1, 10, 1, 0, 2, agent: "coder", operation: SpanOperation.InvokeAgent),
            Span(1, 2, 1, 0, 1, tokens: 7),                                         // planner's model call
            Span(1, 1, 0, 0, 3, agent: "planner", operation: SpanOperation.InvokeAgent),
        ];

        var parts = TraceSplitter.Split(Trace(1), spans, rootSeen: true, completedAtUnixNano: At(3));

        Assert.Equal(["coder", "planner"], parts.Select(p => p.Agent));
        Assert.Equal([11UL, 10UL], parts[0].Spans.Select(s => s.SpanId.Value));
        Assert.Equal([2UL, 1UL], parts[1].Spans.Select(s => s.SpanId.Value));
        Assert.All(parts, p =>
        {
            Assert.Equal(Trace(1), p.TraceId);
            Assert.True(p.RootSeen);
            Assert.Equal(At(3), p.CompletedAtUnixNano);
        });
    }

    [Fact]
    public void A_span_delivered_twice_is_kept_once()
    {
        List<AgentSpan> spans = [Span(1, 2, 1, 0, 1, tokens: 5), Span(1, 1, 0, 0, 2, agent: "a"), Span(1, 2, 1, 0, 1, tokens: 5)];

        var part = Assert.Single(TraceSplitter.Split(Trace(1), spans, rootSeen: true, completedAtUnixNano: At(2)));

        Assert.Equal([2UL, 1UL], part.Spans.Select(s => s.SpanId.Value));
    }

    [Fact]
    public void A_parent_cycle_ends_the_walk()
    {
        AgentSpan[] spans = [Span(1, 1, 2, 0, 1, resource: "x"), Span(1, 2, 1, 0, 1, resource: "y"), Span(1, 3, 3, 0, 1, resource: "z")];

        Assert.Equal(["x", "y", "z"], TraceSplitter.ResolveAgents(spans));
    }
}
