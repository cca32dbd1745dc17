using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.TestSupport.Spans;

namespace AgentSentinel.Detection.Tests.Detectors;

public sealed class LatencySpikeDetectorTests
{
    private readonly DetectionOptions _options = new();

    private static Anomaly? Observe(IAgentDetector detector, AgentTrace trace) => detector.Observe(trace, TraceFeatures.Compute(trace));

    [Fact]
    public void A_slow_model_call_fires_on_llm_call_latency()
    {
        var detector = new LatencySpikeDetector(_options);
        for (var i = 0; i < 40; i++)
        {
            Assert.Null(Observe(detector, Simple(i, 1000, callMs: 500, durationMs: 20_000)));
        }

        // The call goes from 500 ms to 9 s; the trace (20 s) does not get longer.
        var slow = Simple(40, 1000, callMs: 9000, durationMs: 20_000);
        var anomaly = Observe(detector, slow);

        Assert.NotNull(anomaly);
        Assert.Equal(AnomalyKinds.LatencySpike, anomaly.Kind);
        Assert.Equal(FeatureNames.LlmCallLatencyMs, anomaly.Explanation.Feature);
        Assert.Equal(9000, anomaly.Explanation.Observed);
        Assert.Equal(500, anomaly.Explanation.Baseline, 6);
        Assert.Equal(Math.Log(18) / 0.1, anomaly.Explanation.Distance, 6);
        Assert.Equal(slow.CompletedAtUnixNano, anomaly.DetectedAtUnixNano);
    }

    [Fact]
    public void A_trace_without_model_calls_is_judged_on_its_duration()
    {
        var detector = new LatencySpikeDetector(_options);
        static AgentTrace ToolOnly(int n, long ms) =>
            new("a", TraceIdOf(n), [Other(n, 1, 0, n * 100_000L, (n * 100_000L) + ms, SpanOperation.ExecuteTool)], true, T0 + (((n * 100_000L) + ms) * Ms));

        for (var i = 0; i < 40; i++)
        {
            Assert.Null(Observe(detector, ToolOnly(i, 2000)));
        }

        var anomaly = Observe(detector, ToolOnly(40, 60_000));
        Assert.NotNull(anomaly);
        Assert.Equal(FeatureNames.TraceDurationMs, anomaly.Explanation.Feature);
        Assert.Equal(60_000, anomaly.Explanation.Observed);
        Assert.Equal(2000, anomaly.Explanation.Baseline, 6);
        Assert.Equal(Math.Log(30) / 0.1, anomaly.Explanation.Distance, 6);
    }
}
