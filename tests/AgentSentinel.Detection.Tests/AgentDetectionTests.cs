using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Baselines;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.TestSupport.Spans;

namespace AgentSentinel.Detection.Tests;

public sealed class AgentDetectionTests
{
    private static List<AgentTrace> Workload(int seed)
    {
        var random = new Random(seed);
        var traces = new List<AgentTrace>();
        for (var i = 0; i < 600; i++)
        {
            var spike = i is > 200 and < 206 || i == 400;
            var calls = 1 + random.Next(4);
            var tokens = Enumerable.Range(0, calls).Select(_ => (long)(300 + (random.NextDouble() * 100) * (spike ? 10 : 1))).ToArray();
            var callMs = 300 + (random.NextDouble() * 200) + (i is > 450 and < 455 ? 8000 : 0);
            traces.Add(Trace(i, durationMs: 9000 + (random.NextDouble() * 1000), callMs: callMs, tokens));
        }

        return traces;
    }

    private static string Render(Anomaly a) => string.Create(
        CultureInfo.InvariantCulture,
        $"{a.Agent}|{a.Kind}|{a.DetectedAtUnixNano}|{a.Score:R}|{a.Explanation.Feature}|{a.Explanation.Observed:R}|{a.Explanation.Baseline:R}|{a.Explanation.Spread:R}|{a.Explanation.Distance:R}|{string.Join(',', a.TraceIds)}");

    private static (List<string> Anomalies, List<BaselineReady> Ready) Run(DetectionOptions options, IEnumerable<AgentTrace> traces)
    {
        var detection = new AgentDetection("a", options);
        var anomalies = new List<Anomaly>();
        var ready = new List<BaselineReady>();
        foreach (var trace in traces)
        {
            detection.Observe(trace, anomalies, ready);
        }

        return ([.. anomalies.Select(Render)], ready);
    }

    [Fact]
    public void The_same_traces_in_the_same_order_give_identical_anomalies()
    {
        var options = new DetectionOptions();
        var first = Run(options, Workload(42));
        var second = Run(options, Workload(42));

        Assert.Equal(first.Anomalies, second.Anomalies);
        Assert.Contains(first.Anomalies, a => a.Contains("|token_spike|", StringComparison.Ordinal));
        Assert.Contains(first.Anomalies, a => a.Contains("|latency_spike|", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_baseline_reports_ready_once_when_its_warmup_completes()
    {
        var options = new DetectionOptions();
        var traces = Workload(1);
        var (_, ready) = Run(options, traces);

        Assert.Subset(
            ready.Select(r => r.Feature).ToHashSet(),
            new HashSet<string> { FeatureNames.TokensPerTrace, FeatureNames.TokensPerLlmCall, FeatureNames.TraceDurationMs, FeatureNames.LlmCallLatencyMs });
        Assert.Equal(ready.Count, ready.Select(r => r.Feature).Distinct().Count());
        var perTrace = ready.Single(r => r.Feature == FeatureNames.TokensPerTrace);
        Assert.Equal(30, perTrace.Samples);
        Assert.Equal(traces[29].CompletedAtUnixNano, perTrace.AtUnixNano);
        Assert.Equal("a", perTrace.Agent);
        Assert.True(perTrace.Spread > 0);
        var perCall = ready.Single(r => r.Feature == FeatureNames.TokensPerLlmCall);
        Assert.True(perCall.AtUnixNano < perTrace.AtUnixNano); // several calls per trace: warms up sooner
    }

    [Fact]
    public void Disabled_detectors_are_not_created()
    {
        var options = new DetectionOptions { LatencySpikeEnabled = false, CostSpikeEnabled = false };
        options.Drift.Enabled = false;
        options.Patterns.Enabled = false;
        options.Rates.Enabled = false;
        options.Multivariate.Enabled = false;
        options.Silence.Enabled = false;
        options.ModelChange.Enabled = false;
        var detection = new AgentDetection("a", options);
        Assert.Equal([AnomalyKinds.TokenSpike], detection.Detectors.Select(d => d.Kind));
    }

    [Fact]
    public void Custom_detectors_get_the_features_computed_once_per_trace()
    {
        var probe = new ProbeDetector();
        var detection = new AgentDetection("a", new DetectionOptions(), [probe]);
        var anomalies = new List<Anomaly>();
        detection.Observe(Trace(1, 1000, 100, 5, 6), anomalies, []);

        Assert.Equal(11, probe.LastTotalTokens);
        var anomaly = Assert.Single(anomalies);
        Assert.Equal("probe", anomaly.Kind);
    }

    [Fact]
    public void A_detector_that_keeps_firing_is_held_to_its_daily_budget_in_event_time()
    {
        var detection = new AgentDetection("a", new DetectionOptions { MaxEpisodesPerDay = 3 }, [new ProbeDetector()]);
        var anomalies = new List<Anomaly>();

        for (var n = 0; n < 10; n++)
        {
            detection.Observe(Trace(n, 1000, 100, 5), anomalies, []);
        }

        Assert.Equal(3, anomalies.Count);
        Assert.Equal(7, detection.Suppressed);

        // A day of event time later the budget is back.
        detection.Observe(Trace(8640 + 1, 1000, 100, 5), anomalies, []);
        Assert.Equal(4, anomalies.Count);
    }

    private sealed class ProbeDetector : IAgentDetector
    {
        public long LastTotalTokens { get; private set; }

        public string Kind => "probe";

        public IReadOnlyList<FeatureBaseline> Baselines { get; } = [new("probe_feature", new RobustBaseline(16, 5, 0, 1, 3))];

        public Anomaly? Observe(AgentTrace trace, in TraceFeatures features)
        {
            LastTotalTokens = features.TotalTokens;
            return new Anomaly(trace.Agent, Kind, trace.CompletedAtUnixNano, 1, new AnomalyExplanation("probe_feature", 1, 0, 1, 1), []);
        }
    }
}
