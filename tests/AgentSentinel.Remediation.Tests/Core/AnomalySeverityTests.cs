using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.ModelChange;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Remediation.Tests.Core;

public sealed class AnomalySeverityTests
{
    private static Anomaly Make(string kind, string feature, string method, double distance, double observed = 0, double baseline = 0) =>
        new("agent-1", kind, 0, distance, new AnomalyExplanation(feature, observed, baseline, 1, distance) { Method = method }, ["0af7651916cd43dd8448eb211c80319c"]);

    [Theory]
    [InlineData("robust_log_z", "tokens_per_trace", 9.9, AnomalySeverity.Warning)]
    [InlineData("robust_log_z", "tokens_per_trace", 10.0, AnomalySeverity.Critical)]
    [InlineData("robust_z", "cost_usd_per_trace", 10.0, AnomalySeverity.Critical)]
    [InlineData("robust_log_z", "tokens_per_llm_call", 15.9, AnomalySeverity.Warning)]
    [InlineData("robust_log_z", "tokens_per_llm_call", 16.0, AnomalySeverity.Critical)]
    [InlineData("robust_log_z", "llm_call_latency_ms", 12.0, AnomalySeverity.Warning)]
    [InlineData("cusum", "tokens_per_trace", 15.0, AnomalySeverity.Warning)]
    [InlineData("cusum", "tokens_per_trace", 16.0, AnomalySeverity.Critical)]
    [InlineData("rate_test", "length_finish_share", 11.9, AnomalySeverity.Warning)]
    [InlineData("rate_test", "length_finish_share", 12.0, AnomalySeverity.Critical)]
    [InlineData("share", "new_model_share", 12.5, AnomalySeverity.Critical)]
    [InlineData("poisson_gap", "seconds_since_last_trace", 7.0, AnomalySeverity.Warning)]
    [InlineData("poisson_gap", "seconds_since_last_trace", 12.0, AnomalySeverity.Critical)]
    [InlineData("pca_residual", "tokens_per_trace", 1.9, AnomalySeverity.Warning)]
    [InlineData("pca_residual", "tokens_per_trace", 2.0, AnomalySeverity.Critical)]
    [InlineData("some_future_method", "x", 1e9, AnomalySeverity.Warning)]
    [InlineData("robust_z", "tokens_per_trace", double.NaN, AnomalySeverity.Warning)]
    public void Severity_is_critical_at_twice_the_default_firing_distance(string method, string feature, double distance, AnomalySeverity expected) =>
        Assert.Equal(expected, AnomalySeverities.Of(Make(AnomalyKinds.TokenSpike, feature, method, distance)));

    [Theory]
    [InlineData(2, 7, AnomalySeverity.Warning)]   // limit max(4, 3) = 4
    [InlineData(2, 8, AnomalySeverity.Critical)]
    [InlineData(9, 19, AnomalySeverity.Warning)]  // limit 10
    [InlineData(9, 20, AnomalySeverity.Critical)]
    public void A_tool_loop_is_critical_at_twice_its_limit_rebuilt_from_the_normal_maximum(double normalMax, double observed, AnomalySeverity expected) =>
        Assert.Equal(expected, AnomalySeverities.Of(Make(AnomalyKinds.ToolLoop, "identical_tool_calls", "count", observed - normalMax, observed, normalMax)));

    [Theory]
    [InlineData(10, 29, AnomalySeverity.Warning)]  // limit max(ceil(15), 13) = 15
    [InlineData(10, 30, AnomalySeverity.Critical)]
    [InlineData(2, 9, AnomalySeverity.Warning)]    // limit max(3, 5) = 5
    [InlineData(2, 10, AnomalySeverity.Critical)]
    public void A_runaway_trace_is_critical_at_twice_its_limit(double normalMax, double observed, AnomalySeverity expected) =>
        Assert.Equal(expected, AnomalySeverities.Of(Make(AnomalyKinds.RunawayDepth, "llm_calls", "count", observed - normalMax, observed, normalMax)));

    [Fact]
    public void The_cutoffs_follow_the_detectors_default_settings()
    {
        var o = new DetectionOptions();
        Assert.Equal(AnomalySeverities.TraceThreshold, o.TraceThreshold);
        Assert.Equal(AnomalySeverities.CallThreshold, o.CallThreshold);
        Assert.Equal(AnomalySeverities.CriticalFactor, o.ExtremeFactor);
        Assert.Equal(AnomalySeverities.CusumThreshold, o.Drift.H);
        Assert.Equal(AnomalySeverities.RateTestThreshold, -Math.Log10(o.Rates.Alpha), 9);
        Assert.Equal(AnomalySeverities.ShareThreshold, o.ModelChange.Threshold);
        Assert.Equal(AnomalySeverities.PoissonGapThreshold, o.Silence.Threshold);
        Assert.Equal(AnomalySeverities.MinLoopLength, o.Patterns.MinLoopLength);
        Assert.Equal(AnomalySeverities.RunawayFactor, o.Patterns.RunawayFactor);
        Assert.Equal(AnomalySeverities.RunawayMinExcess, o.Patterns.RunawayMinExcess);
        Assert.Equal([FeatureNames.TokensPerLlmCall, FeatureNames.LlmCallLatencyMs], AnomalySeverities.CallFeatures);

        // The method names the rule switches on are the ones the detectors write.
        foreach (var method in new[] { Finding.RobustZ, Finding.RobustLogZ, Finding.Cusum, Finding.RateTest, SilenceDetector.Method, PcaTraceDetector.Method, ModelChangeDetector.Method })
        {
            Assert.True(double.IsFinite(AnomalySeverities.FiringDistance(AnomalyKinds.TokenSpike, new AnomalyExplanation("f", 1, 1, 1, 1) { Method = method })), method);
        }

        Assert.True(double.IsFinite(AnomalySeverities.FiringDistance(AnomalyKinds.ToolLoop, new AnomalyExplanation("f", 1, 1, 1, 1) { Method = Finding.Count })));
    }

    [Fact]
    public void Wire_names_round_trip_and_nothing_else_parses()
    {
        foreach (var severity in Enum.GetValues<AnomalySeverity>())
        {
            Assert.True(AnomalySeverities.TryParse(severity.ToWireName(), out var parsed));
            Assert.Equal(severity, parsed);
        }

        Assert.Equal("warning", AnomalySeverity.Warning.ToWireName());
        Assert.Equal("critical", AnomalySeverity.Critical.ToWireName());
        Assert.False(AnomalySeverities.TryParse("Critical", out _));
        Assert.False(AnomalySeverities.TryParse("error", out _));
        Assert.False(AnomalySeverities.TryParse(null, out _));
        Assert.True(AnomalySeverity.Critical > AnomalySeverity.Warning);
    }
}
