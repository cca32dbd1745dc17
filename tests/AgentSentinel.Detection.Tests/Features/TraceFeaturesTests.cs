using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.TestSupport.Spans;

namespace AgentSentinel.Detection.Tests.Features;

public sealed class TraceFeaturesTests
{
    [Fact]
    public void Sums_tokens_over_the_model_calls_and_keeps_each_call()
    {
        var features = TraceFeatures.Compute(Trace(1, durationMs: 3000, callMs: 400, 100, 250, 50));

        Assert.Equal(3, features.LlmCalls);
        Assert.Equal(3, features.LlmCallsWithTokens);
        Assert.Equal(400, features.TotalTokens);
        Assert.Equal(250, features.MaxCallTokens);
        Assert.Equal(new double[] { 100, 250, 50 }, features.CallTokens.ToArray());
        Assert.Equal(3000, features.DurationMs);
        Assert.Equal(400, features.MaxLlmLatencyMs);
        Assert.Equal(1200, features.TotalLlmLatencyMs);
        Assert.Equal(4, features.SpanCount);
        Assert.True(features.HasTokens);
    }

    [Fact]
    public void A_wrapper_model_span_around_the_provider_span_is_not_counted_twice()
    {
        AgentSpan[] spans =
        [
            Other(1, 1, 0, 0, 1000),
            Llm(1, 2, 1, 10, 900, 500),   // framework wrapper (e.g. ai.generateText)
            Llm(1, 3, 2, 20, 800, 500),   // the provider call inside it
        ];
        var features = TraceFeatures.Compute(new AgentTrace("a", TraceIdOf(1), spans, true, spans[0].EndUnixNano));

        Assert.Equal(1, features.LlmCalls);
        Assert.Equal(500, features.TotalTokens);
        Assert.Equal(780, features.MaxLlmLatencyMs);
    }

    [Fact]
    public void A_call_without_total_uses_input_plus_output()
    {
        var span = Llm(1, 2, 0, 0, 100, total: null, input: 70, output: 30);
        Assert.Equal(100, TraceFeatures.CallTotalTokens(span));
        Assert.Null(TraceFeatures.CallTotalTokens(Llm(1, 3, 0, 0, 100, total: null)));
    }

    [Fact]
    public void A_trace_without_token_usage_has_no_token_features()
    {
        AgentSpan[] spans = [Other(1, 1, 0, 0, 1000), Llm(1, 2, 1, 0, 500, total: null)];
        var features = TraceFeatures.Compute(new AgentTrace("a", TraceIdOf(1), spans, true, spans[0].EndUnixNano));

        Assert.False(features.HasTokens);
        Assert.Equal(1, features.LlmCalls);
        Assert.Equal(0, features.TotalTokens);
        Assert.Equal(500, features.MaxLlmLatencyMs);
    }

    [Fact]
    public void Counts_tool_calls_errors_and_truncated_answers()
    {
        var truncated = Llm(1, 2, 1, 0, 100, 10);
        truncated.FinishReasons = FinishReasons.Length;
        var failedTool = Other(1, 3, 1, 100, 200, SpanOperation.ExecuteTool);
        failedTool.IsError = true;
        AgentSpan[] spans = [Other(1, 1, 0, 0, 1000), truncated, failedTool, Other(1, 4, 1, 200, 300, SpanOperation.ExecuteTool)];
        var features = TraceFeatures.Compute(new AgentTrace("a", TraceIdOf(1), spans, true, spans[0].EndUnixNano));

        Assert.Equal(2, features.ToolCalls);
        Assert.Equal(1, features.Errors);
        Assert.Equal(1, features.TruncatedCalls);
    }

    [Fact]
    public void An_empty_trace_has_zero_features()
    {
        var features = TraceFeatures.Compute(new AgentTrace("a", TraceIdOf(1), [], false, 0));
        Assert.Equal(0, features.SpanCount);
        Assert.Equal(0, features.DurationMs);
        Assert.False(features.HasTokens);
    }

    [Fact]
    public void The_extractor_allocates_nothing_once_its_buffers_have_grown()
    {
        var extractor = new TraceFeatureExtractor();
        var trace = Trace(1, 3000, 400, 100, 250, 50, 70, 80);
        extractor.Compute(trace);

        var before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (var i = 0; i < 1000; i++)
        {
            sum += extractor.Compute(trace).TotalTokens;
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(550_000, sum);
    }
}
