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
    public void Many_agents_of_steady_traffic_give_no_signal_in_their_first_two_thousand_traces()
    {
        // The start is where a chart's own estimates are weakest: block statistics learnt from too few blocks (or
        // dominated by the first one) made steady agents signal within their first few hundred traces.
        var signals = 0;
        for (var agent = 0; agent < 40; agent++)
        {
            var traffic = new Traffic(1000 + agent);
            signals += Run(Tokens(), Enumerable.Range(0, 2000).Select(i => traffic.Trace(i))).Count;
        }

        Assert.Equal(0, signals);
    }

    [Fact]
    public void A_router_mixing_a_cheap_and_a_dear_model_gives_no_signal_over_twenty_thousand_traces()
    {
        // Two humps on the log scale: 30 % of traces about 15 times the others. The batch means are skewed and the median
        // sits in the lower hump; the chart judges them against the agent's own moments, not a unit normal.
        var traffic = new Traffic(16);

        var found = Run(Tokens(), Enumerable.Range(0, 20_000).Select(i => traffic.Trace(i, tokenFactor: traffic.Chance(0.3) ? 15 : 1)));

        Assert.Empty(found);
    }

    [Fact]
    public void Round_robin_traffic_whose_period_divides_the_thinning_gives_no_signal()
    {
        // Every fourth trace is a small one (a scheduler cycling task types): a reference that learnt one trace in four by
        // a fixed stride would hold one phase only and see the others as a lasting shift.
        var traffic = new Traffic(18);

        var found = Run(Tokens(), Enumerable.Range(0, 20_000).Select(i => traffic.Trace(i, tokenFactor: i % 4 == 3 ? 0.4 : 1)));

        Assert.Empty(found);
    }

    [Fact]
    public void A_lasting_step_gives_one_signal_and_the_rebuilt_reference_judges_a_further_step()
    {
        var traffic = new Traffic(17);
        var traces = Enumerable.Range(0, 6000).Select(i => traffic.Trace(i, tokenFactor: i < 600 ? 1 : i < 3500 ? 1.6 : 2.6));

        var found = Run(Tokens(), traces);

        Assert.Equal(2, found.Count);
        Assert.InRange(found[0].Trace, 600, 700);
        Assert.InRange(found[1].Trace, 3500, 3650);
        Assert.True(found[1].Anomaly.Explanation.Baseline > 1.4 * found[0].Anomaly.Explanation.Baseline);
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
        Assert.True(anomaly.Explanation.Observed >= 1.25 * anomaly.Explanation.Baseline, $"{at}: {anomaly.Explanation.Observed} vs {anomaly.Explanation.Baseline}"); // MinRelativeShift
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
