using AgentSentinel.Core.Spans;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Pricing;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests.Features;

public sealed class ReasoningFeaturesTests
{
    [Fact]
    public void Identical_tool_calls_are_counted_in_start_order_even_when_spans_arrive_shuffled()
    {
        var built = AgentTraces.Start(1).Llm(100, 20, finish: FinishReasons.ToolCalls)
            .Tool("search", 7, 9).Tool("search", 7, 9).Tool("search", 7, 9).Tool("fetch", 1, 2).Build();
        var shuffled = built with { Spans = [.. built.Spans.Reverse()] };

        var features = TraceFeatures.Compute(shuffled);

        Assert.Equal(4, features.ToolCalls);
        Assert.Equal(2, features.DistinctTools);
        Assert.Equal(3, features.LongestToolRepeat);
        Assert.Equal(3, features.LongestUnchangedToolRepeat);
    }

    [Fact]
    public void A_changed_result_breaks_the_unchanged_run_but_not_the_identical_run()
    {
        var trace = AgentTraces.Start(1).Tool("poll", 5, 1).Tool("poll", 5, 1).Tool("poll", 5, 2).Tool("poll", 5, 2).Tool("poll", 5, 2).Build();

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(5, features.LongestToolRepeat);
        Assert.Equal(3, features.LongestUnchangedToolRepeat);
    }

    [Fact]
    public void Calls_with_different_arguments_are_not_a_repeat()
    {
        var trace = AgentTraces.Start(1).Tool("page", 1, 1).Tool("page", 2, 1).Tool("page", 3, 1).Build();

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(1, features.LongestToolRepeat);
        Assert.Equal(0, features.ToolCycleRepeats);
    }

    [Fact]
    public void A_cycle_of_two_tools_counts_its_repetitions()
    {
        var builder = AgentTraces.Start(1);
        for (var i = 0; i < 4; i++)
        {
            builder.Tool("plan", 1, 1).Tool("act", 2, 2);
        }

        var features = TraceFeatures.Compute(builder.Tool("final", 3, 3).Build());

        Assert.Equal(4, features.ToolCycleRepeats);
        Assert.Equal(1, features.LongestToolRepeat);
    }

    [Fact]
    public void Depth_counts_the_levels_of_the_span_tree()
    {
        var trace = AgentTraces.Start(1).Child(1, out var sub).Child(sub, out var subSub).Llm(10, 10, parent: subSub).Build();

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(4, features.Depth);
    }

    [Fact]
    public void A_failed_tool_that_is_not_retried_and_then_answered_around_is_counted()
    {
        var trace = AgentTraces.Start(1).Llm(100, 10, finish: FinishReasons.ToolCalls).Tool("db", 1, 0, error: true).Llm(120, 80).Build();

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(1, features.ToolErrors);
        Assert.Equal(1, features.ErrorsAnsweredAround);
        Assert.False(features.Failed);
    }

    [Fact]
    public void A_failed_tool_that_is_retried_is_not_answered_around()
    {
        var trace = AgentTraces.Start(1).Llm(100, 10, finish: FinishReasons.ToolCalls).Tool("db", 1, 0, error: true).Tool("db", 1, 4).Llm(120, 80).Build();

        Assert.Equal(0, TraceFeatures.Compute(trace).ErrorsAnsweredAround);
    }

    [Fact]
    public void A_failed_tool_after_which_the_agent_gives_up_with_an_error_is_not_answered_around()
    {
        var trace = AgentTraces.Start(1).Llm(100, 10, finish: FinishReasons.ToolCalls).Tool("db", 1, 0, error: true).Llm(120, 0, error: true).Build(rootError: true);

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(0, features.ErrorsAnsweredAround);
        Assert.True(features.Failed);
        Assert.Equal(1, features.FailedCalls);
    }

    [Fact]
    public void Finish_reasons_retrieval_and_reasoning_tokens_are_summed()
    {
        var trace = AgentTraces.Start(1).Retrieval(5, 0.8).Retrieval(0, null).Retrieval(3, 0.6)
            .Llm(100, 50, finish: FinishReasons.Length).Llm(100, 0, finish: FinishReasons.ContentFilter).Build();

        var features = TraceFeatures.Compute(trace);

        Assert.Equal(3, features.RetrievalCalls);
        Assert.Equal(1, features.EmptyRetrievals);
        Assert.Equal(0.7, features.RetrievalTopScore, 12);
        Assert.Equal(1, features.TruncatedCalls);
        Assert.Equal(1, features.ContentFilteredCalls);
    }

    [Fact]
    public void A_trace_without_retrievals_has_no_retrieval_score()
    {
        Assert.True(double.IsNaN(TraceFeatures.Compute(AgentTraces.Start(1).Llm(1, 1).Build()).RetrievalTopScore));
    }

    [Fact]
    public void Calls_without_a_reported_cost_are_priced_from_the_catalogue()
    {
        var prices = PriceCatalogue.Create(
        [
            new ModelPrice { Id = "gpt-4o", Provider = "openai", InputPerMillion = 2.5, OutputPerMillion = 10, AsOf = new DateOnly(2025, 1, 1), Source = "test" },
        ]);
        var trace = AgentTraces.Start(1).Llm(1_000_000, 100_000, model: "gpt-4o").Llm(10, 10, model: "unknown-model").Build();

        var features = TraceFeatures.Compute(trace, prices);

        Assert.Equal(3.5, features.CostUsd, 9);
        Assert.Equal(1, features.CallsWithCost);
        Assert.True(features.HasCost);
    }

    [Fact]
    public void Without_a_catalogue_only_reported_costs_count()
    {
        var trace = AgentTraces.Start(1).Llm(1000, 100).Build();

        Assert.False(TraceFeatures.Compute(trace).HasCost);
    }

    [Fact]
    public void One_extractor_handles_a_trace_of_many_calls_after_small_ones()
    {
        var extractor = new TraceFeatureExtractor();
        extractor.Compute(AgentTraces.Start(1).Llm(1, 1).Build());
        var big = AgentTraces.Start(2);
        for (var i = 0; i < 20; i++)
        {
            big.Llm(10, 10, finish: FinishReasons.ToolCalls).Tool("t", (ulong)i, 1);
        }

        var features = extractor.Compute(big.Build());

        Assert.Equal(20, features.LlmCalls);
        Assert.Equal(20, features.ToolCalls);
        Assert.Equal(20, features.CallTokens.Length);
    }
}
