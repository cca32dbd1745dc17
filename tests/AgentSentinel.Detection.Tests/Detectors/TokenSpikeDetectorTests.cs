using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.TestSupport.Spans;

namespace AgentSentinel.Detection.Tests.Detectors;

public sealed class TokenSpikeDetectorTests
{
    private readonly DetectionOptions _options = new();
    private int _next;

    /// <summary>Warms the detector on traces of 990/1000/1010 tokens: log median ln 1000, log spread 0.1 (the floor).</summary>
    private TokenSpikeDetector Warm(int traces = 40)
    {
        var detector = new TokenSpikeDetector(_options);
        for (var i = 0; i < traces; i++)
        {
            Assert.Null(Observe(detector, Simple(_next++, (_next % 4) switch { 0 => 990, 2 => 1010, _ => 1000 })));
        }

        return detector;
    }

    private static Anomaly? Observe(IAgentDetector detector, AgentTrace trace) => detector.Observe(trace, TraceFeatures.Compute(trace));

    private Anomaly? Next(IAgentDetector detector, long tokens) => Observe(detector, Simple(_next++, tokens));

    [Fact]
    public void An_extreme_trace_fires_at_once_with_the_exact_explanation()
    {
        var detector = Warm();
        var spike = Simple(_next++, 10_000);

        var anomaly = Observe(detector, spike);

        Assert.NotNull(anomaly);
        Assert.Equal("a", anomaly.Agent);
        Assert.Equal(AnomalyKinds.TokenSpike, anomaly.Kind);
        Assert.Equal(spike.CompletedAtUnixNano, anomaly.DetectedAtUnixNano);
        Assert.Equal(FeatureNames.TokensPerTrace, anomaly.Explanation.Feature);
        Assert.Equal(10_000, anomaly.Explanation.Observed);
        Assert.Equal(1000, anomaly.Explanation.Baseline, 6);
        Assert.Equal(0.1, anomaly.Explanation.Spread, 12);
        Assert.Equal(Math.Log(10) / 0.1, anomaly.Explanation.Distance, 6);
        Assert.Equal("robust_log_z", anomaly.Explanation.Method);
        Assert.Equal(anomaly.Explanation.Distance, anomaly.Score);
        Assert.Equal([spike.TraceId.ToString()], anomaly.TraceIds);
        Assert.Matches("^[0-9a-f]{32}$", anomaly.TraceIds[0]);
        Assert.Equal("tokens_per_trace 10000 vs baseline 1000 (robust_log_z 23.0)", anomaly.Explanation.Summary);
    }

    [Fact]
    public void A_moderate_spike_needs_a_second_one_within_the_confirmation_window()
    {
        var detector = Warm();
        var first = Simple(_next++, 2000); // ln 2 / 0.1 = 6.9 log spreads: beyond 5, below the extreme 10
        Assert.Null(Observe(detector, first));
        Assert.Null(Next(detector, 1000));
        var second = Simple(_next++, 2200);

        var anomaly = Observe(detector, second);

        Assert.NotNull(anomaly);
        Assert.Equal(2200, anomaly.Explanation.Observed);
        Assert.Equal(Math.Log(2.2) / 0.1, anomaly.Explanation.Distance, 6);
        Assert.Equal([first.TraceId.ToString(), second.TraceId.ToString()], anomaly.TraceIds);
    }

    [Fact]
    public void Moderate_spikes_further_apart_than_the_window_do_not_fire()
    {
        var detector = Warm();
        for (var round = 0; round < 5; round++)
        {
            Assert.Null(Next(detector, 2000));
            for (var i = 0; i < 3; i++)
            {
                Assert.Null(Next(detector, 1000));
            }
        }
    }

    [Fact]
    public void Nothing_is_judged_during_warmup()
    {
        var detector = new TokenSpikeDetector(_options);
        for (var i = 0; i < _options.WarmupSamples - 1; i++)
        {
            Assert.Null(Next(detector, 1000));
        }

        Assert.Null(Next(detector, 1_000_000));
    }

    [Fact]
    public void Drops_never_fire()
    {
        var detector = Warm();
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(Next(detector, 1));
        }
    }

    [Fact]
    public void A_large_distance_on_a_tight_baseline_needs_the_minimum_relative_change()
    {
        _options.LogSpreadFloor = 0.001;
        var detector = new TokenSpikeDetector(_options);
        for (var i = 0; i < 40; i++)
        {
            Assert.Null(Next(detector, 1000));
        }

        // 1400 is 336 log spreads above a constant 1000 but only 1.4x: not a spike.
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(Next(detector, 1400));
        }

        Assert.NotNull(Next(detector, 1500));
    }

    [Fact]
    public void One_episode_yields_one_anomaly()
    {
        var detector = Warm();
        var anomalies = Enumerable.Range(0, 30).Select(_ => Next(detector, 10_000)).Where(a => a is not null).ToList();

        Assert.Single(anomalies);
        Assert.True(detector.Episode.InEpisode);
    }

    [Fact]
    public void Rearms_after_enough_consecutive_normal_traces()
    {
        var detector = Warm();
        Assert.NotNull(Next(detector, 10_000));
        for (var i = 0; i < _options.RearmAfter - 1; i++)
        {
            Assert.Null(Next(detector, 1000));
        }

        Assert.Null(Next(detector, 10_000)); // one short of re-arming: still the same episode
        for (var i = 0; i < _options.RearmAfter; i++)
        {
            Assert.Null(Next(detector, 1000));
        }

        Assert.False(detector.Episode.InEpisode);
        Assert.NotNull(Next(detector, 10_000));
        Assert.Equal(2, detector.Episode.Episodes);
    }

    [Fact]
    public void An_episode_does_not_drag_the_baseline()
    {
        var detector = Warm();
        for (var i = 0; i < 20; i++)
        {
            Next(detector, 50_000);
        }

        var perTrace = detector.Baselines.Single(b => b.Feature == FeatureNames.TokensPerTrace).Baseline;
        Assert.InRange(Math.Exp(perTrace.Median), 1000, 1010); // the baseline holds ln x
    }

    [Fact]
    public void Exemplars_are_the_episodes_spikes_capped_at_five()
    {
        _options.ConfirmWindow = 8;
        _options.ConfirmCount = 7;
        _options.ExtremeFactor = 1000;
        var detector = Warm();
        var spikes = new List<string>();
        Anomaly? anomaly = null;
        for (var i = 0; i < 7; i++)
        {
            var trace = Simple(_next++, 5000);
            spikes.Add(trace.TraceId.ToString());
            anomaly = Observe(detector, trace);
            Assert.True(i == 6 || anomaly is null);
        }

        Assert.NotNull(anomaly);
        Assert.Equal(spikes.Skip(2), anomaly.TraceIds);
    }

    [Fact]
    public void One_exploding_call_fires_on_the_per_call_feature()
    {
        var detector = new TokenSpikeDetector(_options);
        for (var i = 0; i < 40; i++)
        {
            Assert.Null(Observe(detector, Trace(_next++, 3000, 100, 200, 200, 200, 200, 200)));
        }

        // One call takes 2000 tokens: ln 10 / 0.1 = 23 log spreads above the per-call median of 200, past the extreme
        // (2 × 8); the trace total (2200) is only 7.9 spreads above its own median, so the call explains it.
        var anomaly = Observe(detector, Trace(_next++, 3000, 100, 2000, 50, 50, 50, 50));

        Assert.NotNull(anomaly);
        Assert.Equal(FeatureNames.TokensPerLlmCall, anomaly.Explanation.Feature);
        Assert.Equal(2000, anomaly.Explanation.Observed);
        Assert.Equal(200, anomaly.Explanation.Baseline, 6);
        Assert.Equal(Math.Log(10) / 0.1, anomaly.Explanation.Distance, 6);
    }

    [Fact]
    public void Traces_without_token_usage_are_ignored()
    {
        var detector = Warm();
        var trace = new AgentTrace("a", TraceIdOf(9999), [Llm(9999, 2, 0, 0, 100, total: null)], true, T0);
        Assert.Null(Observe(detector, trace));
        Assert.Equal(40, detector.Baselines[0].Baseline.TotalSamples);
    }
}
