using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection.Tests.Multivariate;

public sealed class TraceFeatureVectorTests
{
    [Fact]
    public void Names_are_stable_unique_snake_case()
    {
        Assert.Equal(TraceFeatureVector.Count, TraceFeatureVector.Names.Count);
        Assert.Equal(TraceFeatureVector.Count, TraceFeatureVector.Names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(TraceFeatureVector.Names, name => Assert.Matches("^[a-z][a-z0-9_]*$", name));
        Assert.Equal("tokens_per_trace", TraceFeatureVector.Name(TraceFeatureVector.IndexOf("tokens_per_trace")));
        Assert.Equal(-1, TraceFeatureVector.IndexOf("prompt"));
    }

    [Fact]
    public void Counts_tokens_durations_and_cost_are_log1p_and_scores_stay_raw()
    {
        var features = new TraceFeatures
        {
            ToolCalls = 3,
            LlmCallsWithTokens = 1,
            TotalTokens = 999,
            CostUsd = 0.000_999,
            CallsWithCost = 1,
            DurationMs = 1500,
            RetrievalTopScore = 0.8,
        };
        var vector = new double[TraceFeatureVector.Count];

        TraceFeatureVector.Fill(features, vector);

        Assert.Equal(Math.Log(4), vector[TraceFeatureVector.IndexOf("tool_calls")], 12);
        Assert.Equal(Math.Log(1000), vector[TraceFeatureVector.IndexOf("tokens_per_trace")], 12);
        Assert.Equal(Math.Log(1000), vector[TraceFeatureVector.IndexOf("cost_usd")], 9); // micro-USD
        Assert.Equal(Math.Log(1501), vector[TraceFeatureVector.IndexOf("trace_duration_ms")], 12);
        Assert.Equal(0.8, vector[TraceFeatureVector.IndexOf("retrieval_top_score")]);
        for (var i = 0; i < TraceFeatureVector.Count; i++)
        {
            Assert.Equal(TraceFeatureVector.Raw(features, i), TraceFeatureVector.Inverse(i, vector[i]), 6);
        }
    }

    [Fact]
    public void Quantities_the_trace_does_not_carry_are_missing_not_zero()
    {
        var features = new TraceFeatures { LlmCalls = 1, RetrievalTopScore = double.NaN };
        var vector = new double[TraceFeatureVector.Count];

        TraceFeatureVector.Fill(features, vector);

        Assert.True(double.IsNaN(vector[TraceFeatureVector.IndexOf("tokens_per_trace")]));
        Assert.True(double.IsNaN(vector[TraceFeatureVector.IndexOf("cost_usd")]));
        Assert.True(double.IsNaN(vector[TraceFeatureVector.IndexOf("retrieval_top_score")]));
        Assert.Equal(Math.Log(2), vector[TraceFeatureVector.IndexOf("llm_calls")]);
    }

    [Fact]
    public void A_short_destination_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => TraceFeatureVector.Fill(default, new double[TraceFeatureVector.Count - 1]));
    }
}
