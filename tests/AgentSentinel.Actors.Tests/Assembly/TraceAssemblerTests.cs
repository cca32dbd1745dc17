using AgentSentinel.Actors.Assembly;
using AgentSentinel.Core.Traces;
using static AgentSentinel.Actors.Tests.TestSupport.TestSpans;

namespace AgentSentinel.Actors.Tests.Assembly;

public sealed class TraceAssemblerTests
{
    private const long Second = 1000 * Ms;
    private readonly List<AgentTrace> _closed = [];

    private static TraceAssembler Create(int maxOpen = 1000, int maxSpans = 1000, int lateMemory = 1000) =>
        new(new TraceAssemblerSettings(GraceNanos: 2 * Second, IdleNanos: 30 * Second, maxOpen, maxSpans, lateMemory));

    [Fact]
    public void Children_arriving_before_their_parent_in_other_records_make_one_trace_closed_by_the_root()
    {
        var assembler = Create();
        assembler.Add([Span(1, 3, 2, 100, 400, tokens: 10)], _closed);
        assembler.Advance(At(400), _closed);
        assembler.Add([Span(1, 2, 1, 50, 600, agent: "a", operation: Core.Spans.SpanOperation.InvokeAgent)], _closed);
        assembler.Advance(At(600), _closed);
        assembler.Add([Span(1, 1, 0, 0, 1000, agent: "a")], _closed);
        assembler.Advance(At(1000), _closed);
        Assert.Empty(_closed);

        assembler.Advance(At(3000), _closed); // root end + grace exactly: not yet passed
        Assert.Empty(_closed);
        assembler.Advance(At(3000) + 1, _closed);

        var trace = Assert.Single(_closed);
        Assert.Equal(3, trace.Spans.Length);
        Assert.True(trace.RootSeen);
        Assert.Equal(At(1000), trace.CompletedAtUnixNano);
        Assert.Equal([3UL, 2UL, 1UL], trace.Spans.Select(s => s.SpanId.Value)); // received order
        Assert.Equal(0, assembler.OpenTraces);
    }

    [Fact]
    public void An_orphan_without_a_root_closes_after_the_idle_timeout()
    {
        var assembler = Create();
        assembler.Add([Span(1, 3, 2, 100, 400), Span(1, 4, 2, 400, 900)], _closed);
        assembler.Advance(At(900) + (30 * Second), _closed);
        Assert.Empty(_closed);

        assembler.Advance(At(900) + (30 * Second) + 1, _closed);

        var trace = Assert.Single(_closed);
        Assert.False(trace.RootSeen);
        Assert.Equal(2, trace.Spans.Length);
    }

    [Fact]
    public void A_span_arriving_after_its_trace_closed_is_counted_late_and_dropped()
    {
        var assembler = Create();
        assembler.Add([Span(1, 1, 0, 0, 1000)], _closed);
        assembler.Advance(At(4000), _closed);
        Assert.Single(_closed);

        assembler.Add([Span(1, 2, 1, 10, 500)], _closed);
        assembler.Advance(At(100_000), _closed);

        Assert.Single(_closed);
        Assert.Equal(1, assembler.LateSpans);
        Assert.Equal(0, assembler.OpenTraces);
    }

    [Fact]
    public void Beyond_max_open_traces_the_trace_closest_to_its_deadline_is_evicted()
    {
        var assembler = Create(maxOpen: 2);
        assembler.Add([Span(1, 1, 0, 0, 1000), Span(2, 1, 0, 0, 500)], _closed);
        assembler.Add([Span(3, 1, 0, 0, 2000)], _closed);

        var evicted = Assert.Single(_closed);
        Assert.Equal(Trace(2), evicted.TraceId);
        Assert.Equal(2, assembler.OpenTraces);
    }

    [Fact]
    public void A_trace_reaching_max_spans_closes_at_once_and_its_later_spans_are_late()
    {
        var assembler = Create(maxSpans: 3);
        assembler.Add([Span(1, 2, 1, 0, 10), Span(1, 3, 1, 0, 10), Span(1, 4, 1, 0, 10), Span(1, 5, 1, 0, 10)], _closed);

        var trace = Assert.Single(_closed);
        Assert.Equal(3, trace.Spans.Length);
        Assert.Equal(1, assembler.LateSpans);
    }

    [Fact]
    public void Close_all_closes_every_open_trace()
    {
        var assembler = Create();
        assembler.Add([Span(1, 1, 0, 0, 1000), Span(2, 3, 2, 0, 500)], _closed);

        assembler.CloseAll(_closed);

        Assert.Equal(2, _closed.Count);
        Assert.Equal(0, assembler.OpenTraces);
    }

    [Fact]
    public void A_watermark_that_goes_back_is_ignored()
    {
        var assembler = Create();
        assembler.Advance(At(10_000), _closed);
        assembler.Advance(At(5_000), _closed);
        Assert.Equal(At(10_000), assembler.Watermark);
    }

    [Fact]
    public void A_trace_already_past_its_deadline_closes_at_the_same_watermark()
    {
        var assembler = Create();
        assembler.Advance(At(100_000), _closed);
        assembler.Add([Span(1, 2, 1, 0, 1000)], _closed); // from a lagging source: older than watermark - idle

        assembler.Advance(At(100_000), _closed);

        Assert.Single(_closed);
    }

    [Fact]
    public void Spans_without_a_trace_id_are_dropped()
    {
        var assembler = Create();
        var span = Span(1, 1, 0, 0, 10);
        span.TraceId = default;
        assembler.Add([span], _closed);
        Assert.Equal(0, assembler.OpenTraces);
    }
}
