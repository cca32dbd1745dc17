using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Recovery;

namespace AgentSentinel.Remediation.Tests.Recovery;

public sealed class TracePathClassifierTests
{
    [Fact]
    public void A_span_hinted_fallback_makes_a_fallback_trace_whatever_the_models()
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: "gpt-4o").Other(SpanOperation.Chain, SpanRouteHint.Fallback).Build();

        Assert.Equal(TracePath.Fallback, TracePathClassifier.Classify(trace, "gpt-4o-mini"));
    }

    [Fact]
    public void A_span_hinted_primary_makes_a_primary_trace_even_on_the_fallback_model()
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: "claude-haiku", hint: SpanRouteHint.Primary).Build();

        Assert.Equal(TracePath.Primary, TracePathClassifier.Classify(trace, "claude-haiku"));
    }

    [Fact]
    public void A_trace_hinted_both_ways_counts_as_fallback()
    {
        var trace = new TraceBuilder(1)
            .Llm(100, 10, model: "gpt-4o", hint: SpanRouteHint.Primary)
            .Llm(100, 10, model: "gpt-4o-mini", hint: SpanRouteHint.Fallback)
            .Build();

        Assert.Equal(TracePath.Fallback, TracePathClassifier.Classify(trace, "gpt-4o-mini"));
    }

    [Theory]
    [InlineData("gpt-4o-mini", "gpt-4o-mini", null)]
    [InlineData("GPT-4o-Mini", "gpt-4o-mini", null)]
    [InlineData("openai/gpt-4o-mini", "gpt-4o-mini", null)]
    [InlineData("gpt-4o-mini", "openai/gpt-4o-mini", null)]
    [InlineData("gpt-4o-mini", "gpt-4o-mini-2024-07-18", null)]
    [InlineData("claude-3-5-haiku", "claude-3-5-haiku-20241022", null)]
    [InlineData("gemini-1.5-flash", "projects/p/locations/l/publishers/google/models/gemini-1.5-flash@002", null)]
    [InlineData("gpt-4o-mini", "something-else", "gpt-4o-mini")]
    [InlineData("llama-3.1-8b", "llama-3.1-8b-latest", null)]
    public void A_call_to_the_fallback_model_makes_a_fallback_trace(string fallback, string responseModel, string? requestModel)
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: responseModel, requestModel: requestModel).Build();

        Assert.Equal(TracePath.Fallback, TracePathClassifier.Classify(trace, fallback));
    }

    [Theory]
    [InlineData("gpt-4o", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini", "gpt-4o-mini-tts")]
    [InlineData("llama-3", "llama-3-70")]
    [InlineData("claude-3", "claude-3-5-sonnet")]
    [InlineData("gpt-4o-mini", "gpt-4o")]
    public void Calls_to_other_models_make_a_primary_trace(string fallback, string model)
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: model).Tool("search", 1, 2).Build();

        Assert.Equal(TracePath.Primary, TracePathClassifier.Classify(trace, fallback));
    }

    [Fact]
    public void One_call_to_the_fallback_model_among_others_makes_a_fallback_trace()
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: "gpt-4o").Llm(100, 10, model: "safe-model").Build();

        Assert.Equal(TracePath.Fallback, TracePathClassifier.Classify(trace, "safe-model"));
    }

    [Theory]
    [InlineData("cached")]
    [InlineData("human")]
    [InlineData("Cached")]
    public void With_a_non_model_fallback_a_trace_without_model_calls_is_a_fallback_trace(string fallback)
    {
        var served = new TraceBuilder(1).Retrieval(1, 0.9).Other(SpanOperation.Chain).Build();
        var called = new TraceBuilder(2).Llm(100, 10, model: null).Build();

        Assert.Equal(TracePath.Fallback, TracePathClassifier.Classify(served, fallback));
        Assert.Equal(TracePath.Primary, TracePathClassifier.Classify(called, fallback));
    }

    [Fact]
    public void With_a_fallback_model_a_trace_that_names_no_model_is_unknown()
    {
        var noCalls = new TraceBuilder(1).Tool("search", 1, 2).Build();
        var unnamed = new TraceBuilder(2).Llm(100, 10, model: null).Build();

        Assert.Equal(TracePath.Unknown, TracePathClassifier.Classify(noCalls, "safe-model"));
        Assert.Equal(TracePath.Unknown, TracePathClassifier.Classify(unnamed, "safe-model"));
    }

    [Fact]
    public void Without_a_fallback_name_only_hints_tell()
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: "gpt-4o").Build();

        Assert.Equal(TracePath.Unknown, TracePathClassifier.Classify(trace, ""));
    }

    [Fact]
    public void Classifying_allocates_nothing()
    {
        var trace = new TraceBuilder(1).Llm(100, 10, model: "openai/gpt-4o-2024-08-06").Tool("search", 1, 2).Llm(100, 10, model: "openai/gpt-4o-2024-08-06").Build();
        TracePathClassifier.Classify(trace, "openai/gpt-4o-mini");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            TracePathClassifier.Classify(trace, "openai/gpt-4o-mini");
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
