using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors.Rates;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Tests.TestSupport;

namespace AgentSentinel.Detection.Tests.Detectors.Rates;

public sealed class RateSurgeDetectorTests
{
    private static RateSurgeDetector Length(DetectionOptions? options = null) =>
        new(AnomalyKinds.LengthSurge, "finish_length_share", static (in f) => (f.LlmCalls, f.TruncatedCalls), options ?? new DetectionOptions());

    private static List<(int Trace, Anomaly Anomaly)> Run(RateSurgeDetector detector, IEnumerable<AgentTrace> traces) => DetectorRun.Run(detector, traces);

    [Fact]
    public void The_benign_base_rate_gives_no_signal_over_thirty_thousand_traces()
    {
        var traffic = new Traffic(21);

        Assert.Empty(Run(Length(), Enumerable.Range(0, 30_000).Select(i => traffic.Trace(i, lengthShare: 0.02))));
    }

    [Fact]
    public void A_surge_to_a_quarter_of_calls_is_signalled_quickly_with_the_shares()
    {
        var traffic = new Traffic(22);
        var traces = Enumerable.Range(0, 1500).Select(i => traffic.Trace(i, lengthShare: i >= 1000 ? 0.25 : 0.02));

        var found = Run(Length(), traces);

        var (at, anomaly) = Assert.Single(found);
        Assert.InRange(at, 1000, 1040);
        Assert.Equal("rate_test", anomaly.Explanation.Method);
        Assert.InRange(anomaly.Explanation.Baseline, 0.01, 0.04);
        Assert.True(anomaly.Explanation.Observed > 0.12);
        Assert.True(anomaly.Explanation.Distance >= 6);
        Assert.NotEmpty(anomaly.TraceIds);
    }

    [Fact]
    public void One_episode_gives_one_anomaly_and_a_later_surge_after_recovery_gives_another()
    {
        var traffic = new Traffic(23);
        var traces = Enumerable.Range(0, 3000).Select(i =>
            traffic.Trace(i, lengthShare: i is >= 1000 and < 1300 or >= 2300 and < 2600 ? 0.3 : 0.02));

        var found = Run(Length(), traces);

        Assert.True(found.Count == 2, string.Join(", ", found.Select(f => $"{f.Trace}:{f.Anomaly.Explanation.Summary}")));
        Assert.InRange(found[0].Trace, 1000, 1040);
        Assert.InRange(found[1].Trace, 2300, 2340);
    }

    [Fact]
    public void Nothing_is_judged_before_the_baseline_has_enough_trials()
    {
        var traffic = new Traffic(24);

        Assert.Empty(Run(Length(), Enumerable.Range(0, 60).Select(i => traffic.Trace(i, lengthShare: 0.8))));
    }

    [Fact]
    public void A_rare_event_with_a_near_zero_baseline_needs_several_occurrences()
    {
        var traffic = new Traffic(25);
        var detector = new RateSurgeDetector(AnomalyKinds.ErrorAnsweredAround, "answered", static (in f) => (1, f.ErrorsAnsweredAround > 0 ? 1 : 0), new DetectionOptions());
        var traces = Enumerable.Range(0, 1000).Select(i => i is 700 or 750 or 800
            ? AgentTraces.Start(i).Llm(10, 10, finish: Core.Spans.FinishReasons.ToolCalls).Tool("db", 1, 0, error: true).Llm(10, 10).Build()
            : traffic.Trace(i, toolErrorShare: 0));

        Assert.Empty(Run(detector, traces));
    }
}
