using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Features;
using static AgentSentinel.Detection.Tests.Detectors.Silence.SilenceSimulation;

namespace AgentSentinel.Detection.Tests.Detectors.Silence;

public sealed class SilenceDetectorTests
{
    private static List<long> Every(long from, long to, long spacing)
    {
        var arrivals = new List<long>();
        for (var t = from; t < to; t += spacing)
        {
            arrivals.Add(t);
        }

        return arrivals;
    }

    [Fact]
    public void An_agent_that_stops_is_reported_once_with_the_gap_its_expected_spacing_and_its_last_trace()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var arrivals = Every(T0, T0 + (2 * Hour), 10 * Second); // one trace every 10 s for two hours, then nothing
        var last = arrivals[^1];

        var anomalies = Run(detector, arrivals, last + (3 * Hour));

        var anomaly = Assert.Single(anomalies);
        Assert.Equal(("a", AnomalyKinds.Silence), (anomaly.Agent, anomaly.Kind));
        Assert.Equal(last + (5 * Minute), anomaly.DetectedAtUnixNano); // rate 0.1/s: E = 30 ≫ 13.8 once the 5-minute minimum is reached
        var e = anomaly.Explanation;
        Assert.Equal((SilenceDetector.Feature, SilenceDetector.Method), (e.Feature, e.Method));
        Assert.Equal(300, e.Observed);
        Assert.Equal(10, e.Baseline, 0.05);             // expected seconds between traces
        Assert.Equal(300 / e.Baseline / Math.Log(10), e.Distance, 9);   // −log10 exp(−E)
        Assert.Equal(e.Distance, anomaly.Score);
        Assert.Equal([TraceAt(last, arrivals.Count - 1).TraceId.ToString()], anomaly.TraceIds);
        Assert.StartsWith("seconds_since_last_trace 300 vs baseline 9.9", e.Summary, StringComparison.Ordinal);
        Assert.Contains("(poisson_gap 13.0)", e.Summary, StringComparison.Ordinal);
        Assert.True(detector.InEpisode);
        Assert.False(detector.IsWatching);
    }

    [Fact]
    public void A_pause_shorter_than_the_minimum_gap_is_not_silence_however_unlikely()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var before = Every(T0, T0 + (2 * Hour), Second);             // a fast agent: one trace a second
        var after = Every(T0 + (2 * Hour) + (4 * Minute), T0 + (3 * Hour), Second); // then a 4-minute pause (E = 240)

        Assert.Empty(Run(detector, [.. before, .. after], T0 + (3 * Hour)));
    }

    [Fact]
    public void Nothing_is_judged_before_warm_up_in_traces_and_in_event_time()
    {
        var fewTraces = new SilenceDetector(new SilenceOptions());
        Assert.Empty(Run(fewTraces, Every(T0, T0 + (2 * Hour), 3 * Minute), T0 + (12 * Hour))); // 40 traces < 50
        Assert.False(fewTraces.IsWarm);

        var shortHistory = new SilenceDetector(new SilenceOptions());
        Assert.Empty(Run(shortHistory, Every(T0, T0 + (50 * Minute), 5 * Second), T0 + (12 * Hour))); // 600 traces in 50 min
        Assert.False(shortHistory.IsWarm);
    }

    [Fact]
    public void Poisson_traffic_with_a_day_night_cycle_gives_no_silence_over_weeks_and_a_stop_is_still_found()
    {
        // Agents of 6 to 600 traces an hour, night rate a tenth to a twentieth of the day rate, 21 days each.
        var falseEpisodes = 0;
        var seed = 0;
        foreach (var (perHour, amplitude) in new[] { (6.0, 0.0), (30.0, 0.8), (120.0, 0.9), (600.0, 0.9) })
        {
            var detector = new SilenceDetector(new SilenceOptions());
            var arrivals = Poisson(T0, T0 + (21 * Day), Diurnal(perHour, amplitude), perHour * (1 + amplitude), ++seed);
            falseEpisodes += Run(detector, arrivals, T0 + (21 * Day)).Count;

            // The same agent stops at the busiest hour of the last day: it is reported within a few of its hours.
            var stopped = new SilenceDetector(new SilenceOptions());
            var cut = arrivals.FindAll(t => t < T0 + (20 * Day) + (18 * Hour));
            var found = Assert.Single(Run(stopped, cut, T0 + (21 * Day)));
            Assert.InRange(found.DetectedAtUnixNano - cut[^1], 5 * Minute, (long)(20 * Hour / perHour) + (5 * Minute));
        }

        // Budget: none seen with these seeds; the analysis (threshold 1e-6 per gap) allows about one per agent-year.
        Assert.Equal(0, falseEpisodes);
    }

    [Fact]
    public void An_agent_that_only_works_by_day_is_not_silent_at_night_after_its_first_day_but_is_when_it_stops_by_day()
    {
        Func<long, double> office = t => ((t - T0) % Day) is >= 8 * Hour and < 20 * Hour ? 60 : 0;
        var arrivals = Poisson(T0, T0 + (14 * Day), office, 60, seed: 11);

        var detector = new SilenceDetector(new SilenceOptions());
        var anomalies = Run(detector, arrivals, T0 + (14 * Day));

        // Its first evening cannot be told from a stop (it has seen half a day); every later night is known to be quiet.
        var first = Assert.Single(anomalies);
        Assert.InRange(first.DetectedAtUnixNano, T0 + (20 * Hour), T0 + (21 * Hour));

        var stopped = new SilenceDetector(new SilenceOptions());
        var cut = arrivals.FindAll(t => t < T0 + (13 * Day) + (11 * Hour));
        var found = Run(stopped, cut, T0 + (14 * Day));
        Assert.Equal(2, found.Count);
        Assert.InRange(found[1].DetectedAtUnixNano - cut[^1], 5 * Minute, 40 * Minute);
    }

    [Fact]
    public void A_batch_agent_with_an_hourly_burst_is_not_silent_between_bursts()
    {
        var random = new Random(5);
        var arrivals = new List<long>();
        for (var hour = 0; hour < 72; hour++)
        {
            var start = T0 + (hour * Hour) + (long)((random.NextDouble() - 0.5) * 10 * Minute);
            for (var i = 0; i < 100; i++)
            {
                arrivals.Add(start + (long)(random.NextDouble() * Minute)); // 100 traces within a minute
            }
        }

        arrivals.Sort();
        var detector = new SilenceDetector(new SilenceOptions());

        Assert.Empty(Run(detector, arrivals, arrivals[^1] + (4 * Hour)));
        Assert.True(detector.IsWarm);
        Assert.True(detector.GapGuard > 100, $"guard {detector.GapGuard}"); // its own hour-long gaps make the guard large
    }

    [Fact]
    public void A_burst_does_not_make_a_steady_agent_look_faster_than_it_is()
    {
        var arrivals = Poisson(T0, T0 + (3 * Day), _ => 30, 30, seed: 21);
        var random = new Random(21);
        for (var day = 0; day < 3; day++)
        {
            var at = T0 + (day * Day) + (long)(random.NextDouble() * Day);
            for (var i = 0; i < 300; i++)
            {
                arrivals.Add(at + (long)(random.NextDouble() * Minute)); // 300 traces in a minute, once a day
            }
        }

        arrivals.Sort();
        var detector = new SilenceDetector(new SilenceOptions());

        Assert.Empty(Run(detector, arrivals, T0 + (3 * Day)));
        Assert.InRange(detector.RecentRatePerSecond * 3600, 20, 40);
    }

    [Fact]
    public void The_detector_re_arms_when_traffic_comes_back_and_reports_the_next_silence()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var first = Every(T0, T0 + (2 * Hour), 10 * Second);
        var second = Every(T0 + (3 * Hour), T0 + (4 * Hour), 10 * Second);

        var anomalies = Run(detector, [.. first, .. second], T0 + (5 * Hour));

        Assert.Equal([first[^1] + (5 * Minute), second[^1] + (5 * Minute)], anomalies.Select(a => a.DetectedAtUnixNano));
        Assert.Equal(2, detector.Episodes);
    }

    [Fact]
    public void A_reported_silence_is_not_learnt_as_a_normal_gap_but_an_unreported_long_gap_is()
    {
        // Twin A goes silent for 3 hours (reported); twin B sees the same traffic without the silence.
        var before = Every(T0, T0 + (2 * Hour), 10 * Second);
        var afterA = Every(T0 + (5 * Hour), T0 + (6 * Hour), 10 * Second);
        var afterB = Every(before[^1] + (10 * Second), before[^1] + (10 * Second) + Hour, 10 * Second);
        var a = new SilenceDetector(new SilenceOptions());
        var b = new SilenceDetector(new SilenceOptions());

        Assert.Single(Run(a, [.. before, .. afterA], afterA[^1]));
        Assert.Empty(Run(b, [.. before, .. afterB], afterB[^1]));

        Assert.Equal(b.RecentRatePerSecond, a.RecentRatePerSecond, 6); // A did not count the trace that ended its silence
        Assert.Equal(b.GapGuard, a.GapGuard, 4);

        // The same 3-hour gap, not reported (minimum gap out of reach), is learnt: the rate drops.
        var c = new SilenceDetector(new SilenceOptions { MinGap = TimeSpan.FromDays(7) });
        Assert.Empty(Run(c, [.. before, .. afterA], afterA[^1]));
        Assert.True(c.RecentRatePerSecond < 0.75 * a.RecentRatePerSecond, $"{c.RecentRatePerSecond} vs {a.RecentRatePerSecond}");
    }

    [Fact]
    public void A_watermark_jump_longer_than_the_maximum_step_is_an_input_outage_not_silence()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var arrivals = Every(T0, T0 + (2 * Hour), 10 * Second);
        Assert.Empty(Run(detector, arrivals, arrivals[^1]));

        // Nothing at all for 30 minutes (collector down), then the input flows again, without this agent.
        Assert.Null(detector.OnWatermark("a", arrivals[^1] + (30 * Minute)));
        Assert.Null(detector.OnWatermark("a", arrivals[^1] + (30 * Minute) + (10 * Second)));
        Assert.Equal(1, detector.ExpectedOverGap, 0.05); // only the last 10 s count: 0.1 trace a second

        // The silence is counted from the end of the outage.
        Anomaly? found = null;
        var w = arrivals[^1] + (30 * Minute) + (10 * Second);
        while (found is null && w < arrivals[^1] + (2 * Hour))
        {
            w += 10 * Second;
            found = detector.OnWatermark("a", w);
        }

        Assert.NotNull(found);
        Assert.Equal(arrivals[^1] + (35 * Minute), found.DetectedAtUnixNano);
        Assert.Equal(300, found.Explanation.Observed);
    }

    [Fact]
    public void The_same_arrivals_and_watermarks_give_the_same_anomalies_bit_for_bit()
    {
        var arrivals = Poisson(T0, T0 + (4 * Day), Diurnal(60, 0.8), 108, seed: 9);
        var cut = arrivals.FindAll(t => t < T0 + (3 * Day) + (15 * Hour));

        var first = Run(new SilenceDetector(new SilenceOptions()), cut, T0 + (4 * Day));
        var second = Run(new SilenceDetector(new SilenceOptions()), cut, T0 + (4 * Day));

        Assert.NotEmpty(first);
        Assert.Equal(first, second, (x, y) => x with { TraceIds = [] } == y with { TraceIds = [] } && x.TraceIds.SequenceEqual(y.TraceIds));
    }

    [Fact]
    public void Out_of_order_and_duplicate_completion_times_are_arrivals_too()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var arrivals = Every(T0, T0 + (2 * Hour), 10 * Second);
        Run(detector, arrivals, arrivals[^1]);
        var rate = detector.RecentRatePerSecond;

        detector.Observe(TraceAt(arrivals[^1] - (5 * Second), 100_000), default(TraceFeatures));
        detector.Observe(TraceAt(arrivals[^1] - (5 * Second), 100_001), default(TraceFeatures));

        Assert.True(detector.RecentRatePerSecond > rate);
        Assert.Equal(arrivals.Count + 2, detector.Traces);
        Assert.Null(detector.OnWatermark("a", arrivals[^1] + (4 * Minute)));
    }

    [Fact]
    public void Learning_arrivals_and_judging_watermarks_allocate_nothing()
    {
        var detector = new SilenceDetector(new SilenceOptions());
        var traces = Every(T0, T0 + (4 * Hour), 10 * Second).Select((t, i) => TraceAt(t, i)).ToArray();
        void Feed(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                detector.Observe(traces[i], default(TraceFeatures));
                detector.OnWatermark("a", traces[i].CompletedAtUnixNano + (5 * Second));
            }
        }

        Feed(0, 720);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Feed(720, traces.Length);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
