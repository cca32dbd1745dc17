using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Detectors.Drift;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests.Detectors.Drift;

public sealed class DriftDetectorTests
{
    private static DriftDetector Tokens(DetectionOptions? options = null) =>
        new(AnomalyKinds.TokenDrift, FeatureNames.TokensPerTrace, static (in f) => f.HasTokens ? f.TotalTokens : double.NaN, options ?? new DetectionOptions());

    private static List<(int Trace, Anomaly Anomaly)> Run(IAgentDetector detector, IEnumerable<AgentTrace> traces) => DetectorRun.Run(detector, traces);

    [Fact]
    public void Steady_traffic_gives_no_signal_over_twenty_thousand_traces()
    {
        var traffic = new Traffic(11);

        var found = Run(Tokens(), Enumerable.Range(0, 20_000).Select(i => traffic.Trace(i)));

        Assert.Empty(found);
    }

    [Fact]
    public void A_sixty_percent_step_is_signalled_within_a_hundred_traces_with_the_recent_level()
    {
        var traffic = new Traffic(12);
        var traces = Enumerable.Range(0, 1000).Select(i => traffic.Trace(i, tokenFactor: i >= 600 ? 1.6 : 1));

        var found = Run(Tokens(), traces);

        var (at, anomaly) = Assert.Single(found);
        Assert.InRange(at, 600, 700);
        Assert.Equal(AnomalyKinds.TokenDrift, anomaly.Kind);
        Assert.Equal("cusum", anomaly.Explanation.Method);
        Assert.True(anomaly.Explanation.Observed > 1.3 * anomaly.Explanation.Baseline);
        Assert.NotEmpty(anomaly.TraceIds);
    }

    [Fact]
    public void A_slow_creep_with_no_extreme_trace_is_signalled()
    {
        var traffic = new Traffic(13);

        // +200 % over 1500 traces after a clean start: each trace moves about 0.13 %.
        var traces = Enumerable.Range(0, 2500).Select(i => traffic.Trace(i, tokenFactor: i < 500 ? 1 : 1 + (2.0 * Math.Min(1, (i - 500) / 1500.0))));

        var found = Run(Tokens(), traces);

        Assert.NotEmpty(found);
        Assert.InRange(found[0].Trace, 500, 1500);
    }

    [Fact]
    public void A_shift_too_small_to_matter_is_absorbed_silently()
    {
        var traffic = new Traffic(14);

        var found = Run(Tokens(), Enumerable.Range(0, 4000).Select(i => traffic.Trace(i, tokenFactor: i >= 500 ? 1.1 : 1)));

        Assert.Empty(found);
    }

    [Fact]
    public void A_drop_in_relevance_scores_is_signalled_downward_on_the_raw_scale()
    {
        var traffic = new Traffic(15);
        var detector = new DriftDetector(
            AnomalyKinds.RetrievalDegradation, FeatureNames.RetrievalTopScore, static (in f) => f.RetrievalTopScore, new DetectionOptions(), DriftDirection.LinearDownward);
        var traces = Enumerable.Range(0, 800).Select(i =>
            AgentTraces.Start(i).Retrieval(5, Math.Clamp((i >= 500 ? 0.6 : 0.8) + (0.06 * traffic.Normal()), 0, 1)).Llm(100, 10).Build());

        var found = Run(detector, traces);

        var (at, anomaly) = Assert.Single(found);
        Assert.InRange(at, 500, 560);
        Assert.True(anomaly.Explanation.Observed < anomaly.Explanation.Baseline - 0.05);
    }
}
