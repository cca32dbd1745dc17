using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;
using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection.Tests.Multivariate;

public sealed class PcaTraceDetectorTests
{
    private static readonly int Cost = TraceFeatureVector.IndexOf("cost_usd");

    /// <summary>Runs <paramref name="traces"/> normal traces through <paramref name="detector"/>; returns the anomalies.</summary>
    private static List<Anomaly> Feed(PcaTraceDetector detector, MultivariateTraffic traffic, int traces)
    {
        var anomalies = new List<Anomaly>();
        for (var i = 0; i < traces; i++)
        {
            var (trace, features) = traffic.Next();
            if (detector.Observe(trace, features) is { } anomaly)
            {
                anomalies.Add(anomaly);
            }
        }

        return anomalies;
    }

    /// <summary>A large trace (tokens 2.5 spreads above the median) whose cost is that of a small one (2.5 spreads below).</summary>
    private static (AgentTrace Trace, TraceFeatures Features) CheapLargeTrace(MultivariateTraffic traffic) =>
        traffic.Next(size: 2.5, price: -5 * MultivariateTraffic.SizeSigma);

    [Fact]
    public void A_trace_normal_in_every_feature_but_breaking_their_correlation_is_flagged_with_the_right_top_contributor()
    {
        using var detector = new PcaTraceDetector(MultivariateTraffic.Options());
        var traffic = new MultivariateTraffic(1);
        Assert.Empty(Feed(detector, traffic, 600));
        var model = Assert.IsType<PcaModel>(detector.Model);

        var (first, firstFeatures) = CheapLargeTrace(traffic);
        var vector = new double[TraceFeatureVector.Count];
        TraceFeatureVector.Fill(firstFeatures, vector);
        for (var i = 0; i < vector.Length; i++)
        {
            // Each feature on its own lies within 3 robust scales of its training median: no univariate detector would care.
            Assert.True(double.IsNaN(vector[i]) || Math.Abs(vector[i] - model.Centre(i)) / model.Scale(i) < 3, TraceFeatureVector.Name(i));
        }

        Assert.Null(detector.Observe(first, firstFeatures)); // beyond, but an episode needs 3 of the last 6 beyond
        Assert.True(detector.LastDistance >= 1, $"distance {detector.LastDistance}");
        var (middle, middleFeatures) = CheapLargeTrace(traffic);
        Assert.Null(detector.Observe(middle, middleFeatures));
        var (second, secondFeatures) = CheapLargeTrace(traffic);
        var anomaly = detector.Observe(second, secondFeatures);

        Assert.NotNull(anomaly);
        Assert.Equal(AnomalyKinds.MultivariateOutlier, anomaly.Kind);
        Assert.Equal(second.CompletedAtUnixNano, anomaly.DetectedAtUnixNano);
        Assert.Equal([first.TraceId.ToString(), middle.TraceId.ToString(), second.TraceId.ToString()], anomaly.TraceIds);
        var explanation = anomaly.Explanation;
        Assert.Equal("pca_residual", explanation.Method);
        Assert.Equal("cost_usd", explanation.Feature);
        Assert.Equal(secondFeatures.CostUsd, explanation.Observed);
        Assert.Equal(model.Median(Cost), explanation.Baseline);
        Assert.Equal(anomaly.Score, explanation.Distance);
        Assert.True(explanation.Distance >= 1);
        Assert.Equal(3, explanation.Contributors.Count);
        Assert.Equal("cost_usd", explanation.Contributors[0].Feature);
        Assert.True(explanation.Contributors[0].Share > 0.5, $"share {explanation.Contributors[0].Share}");
        Assert.True(explanation.Contributors[0].Share >= explanation.Contributors[1].Share);
        Assert.True(explanation.Contributors[1].Share >= explanation.Contributors[2].Share);
        Assert.InRange(explanation.Contributors.Sum(c => c.Share), 0, 1.000001);
        Assert.StartsWith("cost_usd ", explanation.Summary, StringComparison.Ordinal);
        Assert.Contains("(pca_residual ", explanation.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void One_trace_however_far_off_the_subspace_opens_no_episode_on_its_own()
    {
        using var detector = new PcaTraceDetector(MultivariateTraffic.Options());
        var traffic = new MultivariateTraffic(21);
        Feed(detector, traffic, 600);

        var (far, farFeatures) = traffic.Next(size: 2.5, price: -40 * MultivariateTraffic.SizeSigma);
        Assert.Null(detector.Observe(far, farFeatures));
        Assert.True(detector.LastDistance >= 2, $"distance {detector.LastDistance}"); // beyond the spike detectors' extreme factor
        var after = Feed(detector, traffic, 50);

        Assert.Empty(after);
        Assert.Equal(0, detector.Episodes);
    }

    [Fact]
    public void With_an_extreme_factor_set_one_trace_that_far_opens_an_episode()
    {
        using var detector = new PcaTraceDetector(MultivariateTraffic.Options(o => o.ExtremeFactor = 2));
        var traffic = new MultivariateTraffic(21);
        Feed(detector, traffic, 600);

        var (far, farFeatures) = traffic.Next(size: 2.5, price: -40 * MultivariateTraffic.SizeSigma);
        var anomaly = detector.Observe(far, farFeatures);

        Assert.NotNull(anomaly);
        Assert.Equal([far.TraceId.ToString()], anomaly.TraceIds);
    }

    [Fact]
    public void Normal_traffic_from_the_same_distribution_stays_within_the_false_positive_budget()
    {
        var options = MultivariateTraffic.Options();
        using var detector = new PcaTraceDetector(options);
        var traffic = new MultivariateTraffic(2) { Noise = 0.25 }; // loosely correlated: the calibrated threshold binds, not the floor
        Feed(detector, traffic, 300);
        Assert.True(detector.Model!.Threshold > options.Multivariate.MinResidualThreshold, $"threshold {detector.Model.Threshold}");
        var judged = 0;
        var beyond = 0;
        var anomalies = 0;
        for (var i = 0; i < 6000; i++)
        {
            var (trace, features) = traffic.Next();
            anomalies += detector.Observe(trace, features) is null ? 0 : 1;
            judged++;
            beyond += detector.LastDistance >= 1 ? 1 : 0;
        }

        // Budget 0.2 % of traces beyond: allow twice that for the estimate's noise; an episode needs three of six.
        Assert.True(beyond <= 2 * options.Multivariate.FalsePositiveBudget * judged, $"{beyond} of {judged} beyond");
        Assert.True(anomalies <= 1, $"{anomalies} anomalies");
        Assert.True(detector.Model!.Version >= 10, $"version {detector.Model.Version}");
    }

    [Fact]
    public void Nothing_is_judged_until_the_first_model_is_swapped_in()
    {
        var options = MultivariateTraffic.Options();
        using var detector = new PcaTraceDetector(options);
        var traffic = new MultivariateTraffic(3);
        var warmup = options.Multivariate.MinTrainingTraces + options.Multivariate.SwapAfterTraces;
        for (var i = 0; i < warmup; i++)
        {
            var (trace, features) = i % 10 == 9 ? CheapLargeTrace(traffic) : traffic.Next();
            Assert.Null(detector.Observe(trace, features));
            Assert.Null(detector.Model);
            Assert.False(detector.Baselines[0].Baseline.IsWarm);
        }

        Feed(detector, traffic, 1);

        Assert.NotNull(detector.Model);
        Assert.Equal(warmup, detector.ModelSwappedAtTrace);
        Assert.Equal(options.Multivariate.MinTrainingTraces, detector.Model.TrainingTraces);
        Assert.True(detector.Baselines[0].Baseline.IsWarm);
        Assert.Equal(PcaTraceDetector.ResidualFeature, detector.Baselines[0].Feature);
    }

    [Fact]
    public void Deterministic_swap_gives_the_same_anomalies_at_the_same_traces_on_every_run()
    {
        static List<string> Run()
        {
            using var detector = new PcaTraceDetector(MultivariateTraffic.Options());
            var traffic = new MultivariateTraffic(4);
            var seen = new List<string>();
            for (var i = 0; i < 2500; i++)
            {
                var (trace, features) = i % 97 is 50 or 52 or 54 ? CheapLargeTrace(traffic) : traffic.Next();
                if (detector.Observe(trace, features) is { } anomaly)
                {
                    seen.Add($"{i} {anomaly.Score:R} {anomaly.Explanation.Summary} {string.Join(',', anomaly.TraceIds)}");
                }

                if (detector.ModelSwappedAtTrace == detector.Traces - 1 && detector.Model is { } model)
                {
                    seen.Add($"swap v{model.Version} at {detector.ModelSwappedAtTrace} threshold {model.Threshold:R}");
                }
            }

            return seen;
        }

        var first = Run();
        var second = Run();

        Assert.Equal(first, second);
        Assert.Contains(first, line => line.StartsWith("swap v1 at 160 ", StringComparison.Ordinal)); // snapshot at 150 + 10
        Assert.Contains(first, line => line.StartsWith("swap v2 at 560 ", StringComparison.Ordinal)); // snapshot at 550 + 10
        Assert.True(first.Count(line => !line.StartsWith("swap", StringComparison.Ordinal)) >= 10);
    }

    [Fact]
    public void Training_runs_in_the_background_and_the_stream_never_waits_for_it()
    {
        using var gate = new PcaTrainingGate(1);
        gate.WaitAsync(CancellationToken.None).GetAwaiter().GetResult(); // every training slot is taken elsewhere
        using var detector = new PcaTraceDetector(MultivariateTraffic.Options(o => o.DeterministicSwap = false), gate);
        var traffic = new MultivariateTraffic(5);

        Feed(detector, traffic, 400);

        Assert.Null(detector.Model); // still queued behind the gate, and the 400 traces went through
        Assert.True(detector.TrainingInFlight);
        Assert.Equal(1, detector.TrainingsStarted);

        gate.Release();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (detector.Model is null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
            Feed(detector, traffic, 1);
        }

        Assert.NotNull(detector.Model);
        Assert.Equal(1, detector.Model.Version);
        // Swapped once the 400 traces had gone through: at the 401st at the earliest (a fast training is done by then).
        Assert.True(detector.ModelSwappedAtTrace >= 400, $"swapped at trace {detector.ModelSwappedAtTrace}");
    }

    [Fact]
    public void Deterministic_swap_trains_inline_when_the_background_could_not_start_in_time()
    {
        using var gate = new PcaTrainingGate(1);
        gate.WaitAsync(CancellationToken.None).GetAwaiter().GetResult();
        var options = MultivariateTraffic.Options();
        using var detector = new PcaTraceDetector(options, gate);

        Feed(detector, new MultivariateTraffic(6), options.Multivariate.MinTrainingTraces + options.Multivariate.SwapAfterTraces + 1);

        Assert.NotNull(detector.Model);
        Assert.Equal(options.Multivariate.MinTrainingTraces + options.Multivariate.SwapAfterTraces, detector.ModelSwappedAtTrace);
        gate.Release();
    }

    [Fact]
    public void Retraining_follows_a_slow_shift_that_a_frozen_model_flags()
    {
        static (int Anomalies, PcaTraceDetector Detector) Run(int retrainEvery)
        {
            var detector = new PcaTraceDetector(MultivariateTraffic.Options(o => o.RetrainEvery = retrainEvery));
            var traffic = new MultivariateTraffic(7);
            var anomalies = Feed(detector, traffic, 400).Count;
            for (var i = 0; i < 4000; i++)
            {
                traffic.PriceDrift = 1.5 * i / 4000; // the price per token creeps up by 4.5x
                anomalies += Feed(detector, traffic, 1).Count;
            }

            return (anomalies, detector);
        }

        var (followed, retrained) = Run(retrainEvery: 400);
        var (frozenAnomalies, frozen) = Run(retrainEvery: 1_000_000);
        using (retrained)
        using (frozen)
        {
            Assert.Equal(0, followed);
            Assert.True(frozenAnomalies >= 1);
            Assert.Equal(1, frozen.Model!.Version);
            Assert.True(retrained.Model!.Version >= 9);
            var startMedian = frozen.Model.Median(Cost);
            Assert.True(retrained.Model.Median(Cost) > 3 * startMedian, $"{retrained.Model.Median(Cost)} vs {startMedian}");
        }
    }

    [Fact]
    public void One_episode_yields_one_anomaly_and_its_outliers_stay_out_of_training()
    {
        var options = MultivariateTraffic.Options();
        using var detector = new PcaTraceDetector(options);
        var traffic = new MultivariateTraffic(8);
        Feed(detector, traffic, 300);
        var ring = detector.TrainingTraces;

        var anomalies = 0;
        for (var i = 0; i < 30; i++)
        {
            var (trace, features) = CheapLargeTrace(traffic);
            anomalies += detector.Observe(trace, features) is null ? 0 : 1;
        }

        Assert.Equal(1, anomalies);
        Assert.True(detector.InEpisode);
        Assert.Equal(ring, detector.TrainingTraces); // none of the episode's traces entered the training ring
        Feed(detector, traffic, options.RearmAfter);
        Assert.False(detector.InEpisode);
        Assert.Equal(1, detector.Episodes);
    }

    [Fact]
    public void A_lasting_change_is_adopted_after_the_adopt_period_and_the_episode_ends()
    {
        var options = MultivariateTraffic.Options(o => o.AdoptAfter = 100);
        using var detector = new PcaTraceDetector(options);
        var traffic = new MultivariateTraffic(9);
        Feed(detector, traffic, 300);

        traffic.PriceDrift = -5 * MultivariateTraffic.SizeSigma; // from now on, every trace is a cheap one
        var anomalies = Feed(detector, traffic, 2000);

        Assert.Single(anomalies);
        Assert.False(detector.InEpisode);
    }

    [Fact]
    public void Observing_a_trace_allocates_nothing_once_the_model_is_in()
    {
        var options = MultivariateTraffic.Options(o => o.RetrainEvery = 1_000_000);
        using var detector = new PcaTraceDetector(options);
        var traffic = new MultivariateTraffic(10);
        Feed(detector, traffic, 200);
        var traces = Enumerable.Range(0, 500).Select(_ => traffic.Next()).ToArray();

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (trace, features) in traces)
        {
            detector.Observe(trace, features);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dispose_cancels_a_queued_training_and_is_idempotent()
    {
        using var gate = new PcaTrainingGate(1);
        gate.WaitAsync(CancellationToken.None).GetAwaiter().GetResult();
        var detector = new PcaTraceDetector(MultivariateTraffic.Options(o => o.DeterministicSwap = false), gate);
        var traffic = new MultivariateTraffic(11);
        Feed(detector, traffic, 200);
        Assert.True(detector.TrainingInFlight);

        detector.Dispose();
        detector.Dispose();
        gate.Release();

        Assert.False(detector.TrainingInFlight);
        Assert.Throws<ObjectDisposedException>(() => Feed(detector, traffic, 1));
        // The slot comes back: a cancelled wait may still be handed the released slot, and then gives it back at once
        // (from the pool, so wait for it rather than read it once).
        Assert.True(SpinWait.SpinUntil(() => gate.Running == 0, TimeSpan.FromSeconds(30)), "the training slot came back");
    }
}
