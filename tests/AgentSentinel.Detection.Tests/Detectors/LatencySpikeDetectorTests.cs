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
        Assert.Equal(new AnomalyExplanation(FeatureNames.LlmCallLatencyMs, 9000, 500, 25, 340), anomaly.Explanation);
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
        Assert.Equal(new AnomalyExplanation(FeatureNames.TraceDurationMs, 60_000, 2000, 100, 580), anomaly.Explanation);
    }
}
