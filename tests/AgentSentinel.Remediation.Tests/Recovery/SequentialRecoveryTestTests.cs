using AgentSentinel.Remediation.Recovery;

namespace AgentSentinel.Remediation.Tests.Recovery;

public sealed class SequentialRecoveryTestTests
{
    private const double Alpha = 0.05; // false recovery
    private const double Beta = 0.10;  // failed probe of a healthy agent
    private const int Runs = 1000;

    private static (double Recovered, double StillFaulty, double MeanTraces) Simulate(double p0, double p1, double trueRate, int minTraces, int seed)
    {
        var random = new Random(seed);
        int recovered = 0, faulty = 0;
        long traces = 0;
        for (var run = 0; run < Runs; run++)
        {
            var test = new SequentialRecoveryTest(p0, p1, Alpha, Beta, minTraces);
            var verdict = RecoveryVerdict.Undecided;
            for (var i = 0; i < 10_000 && verdict == RecoveryVerdict.Undecided; i++)
            {
                verdict = test.Add(random.NextDouble() < trueRate);
            }

            recovered += verdict == RecoveryVerdict.Recovered ? 1 : 0;
            faulty += verdict == RecoveryVerdict.StillFaulty ? 1 : 0;
            traces += test.Traces;
        }

        return (recovered / (double)Runs, faulty / (double)Runs, traces / (double)Runs);
    }

    /// <summary>Wald's approximation of the mean sample size when traces are bad at <paramref name="rate"/> (no overshoot).</summary>
    private static double WaldSampleSize(SequentialRecoveryTest test, double rate, double probabilityFaulty)
    {
        var step = (rate * Math.Log(test.FaultRate / test.BaselineRate)) + ((1 - rate) * Math.Log((1 - test.FaultRate) / (1 - test.BaselineRate)));
        return ((probabilityFaulty * test.FaultyBoundary) + ((1 - probabilityFaulty) * test.RecoveredBoundary)) / step;
    }

    [Theory]
    [InlineData(0.05, 0.25, 1)]
    [InlineData(0.01, 0.21, 2)]
    [InlineData(0.10, 0.36, 3)]
    [InlineData(0.30, 0.68, 4)]
    public void Healthy_streams_are_declared_recovered_at_least_as_often_as_beta_allows(double p0, double p1, int seed)
    {
        var (recovered, stillFaulty, _) = Simulate(p0, p1, trueRate: p0, minTraces: 10, seed);

        Assert.True(recovered >= 1 - Beta - 0.03, $"recovered {recovered:P1}");
        Assert.Equal(1.0, recovered + stillFaulty, 6);
    }

    [Theory]
    [InlineData(0.05, 0.25, 11)]
    [InlineData(0.01, 0.21, 12)]
    [InlineData(0.10, 0.36, 13)]
    [InlineData(0.30, 0.68, 14)]
    public void Faulty_streams_are_declared_still_faulty_at_least_as_often_as_alpha_allows(double p0, double p1, int seed)
    {
        var (recovered, stillFaulty, _) = Simulate(p0, p1, trueRate: p1, minTraces: 10, seed);

        Assert.True(stillFaulty >= 1 - Alpha - 0.02, $"still faulty {stillFaulty:P1}");
        Assert.True(recovered <= Alpha + 0.02, $"recovered {recovered:P1}");
    }

    [Fact]
    public void A_fault_worse_than_the_hypothesis_is_caught_faster_and_more_surely()
    {
        var atHypothesis = Simulate(0.05, 0.25, trueRate: 0.25, minTraces: 10, seed: 21);
        var worse = Simulate(0.05, 0.25, trueRate: 0.8, minTraces: 10, seed: 22);

        Assert.True(worse.StillFaulty >= 0.999, $"still faulty {worse.StillFaulty:P1}");
        Assert.True(worse.MeanTraces < atHypothesis.MeanTraces / 2, $"{worse.MeanTraces} vs {atHypothesis.MeanTraces}");
        Assert.True(worse.MeanTraces <= 3, $"{worse.MeanTraces}");
    }

    [Theory]
    [InlineData(0.05, 0.25, 31)]
    [InlineData(0.01, 0.21, 32)]
    public void Mean_sample_sizes_are_close_to_walds_approximation(double p0, double p1, int seed)
    {
        var test = new SequentialRecoveryTest(p0, p1, Alpha, Beta, minTraces: 0);
        var healthy = Simulate(p0, p1, p0, minTraces: 0, seed);
        var faulty = Simulate(p0, p1, p1, minTraces: 0, seed + 100);
        var expectedHealthy = WaldSampleSize(test, p0, probabilityFaulty: Beta);
        var expectedFaulty = WaldSampleSize(test, p1, probabilityFaulty: 1 - Alpha);

        // The approximation ignores the overshoot of the boundary, so the truth lies a little above it.
        Assert.InRange(healthy.MeanTraces, 0.8 * expectedHealthy, 1.6 * expectedHealthy);
        Assert.InRange(faulty.MeanTraces, 0.8 * expectedFaulty, 1.6 * expectedFaulty);
        Assert.True(healthy.MeanTraces < 60 && faulty.MeanTraces < 30, $"{healthy.MeanTraces}, {faulty.MeanTraces}");
    }

    [Fact]
    public void Recovery_waits_for_the_minimum_number_of_traces()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 40);

        for (var i = 1; i < 40; i++)
        {
            Assert.Equal(RecoveryVerdict.Undecided, test.Add(bad: false));
        }

        Assert.True(test.LogLikelihoodRatio <= test.RecoveredBoundary);
        Assert.Contains("undecided until 40 traces", test.Summary, StringComparison.Ordinal);
        Assert.Equal(RecoveryVerdict.Recovered, test.Add(bad: false));
        Assert.Equal(40, test.Traces);
    }

    [Fact]
    public void A_clear_fault_fails_the_probe_before_the_minimum_number_of_traces()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 40);

        Assert.Equal(RecoveryVerdict.Undecided, test.Add(bad: true));
        Assert.Equal(RecoveryVerdict.StillFaulty, test.Add(bad: true));
        Assert.Equal(2, test.Traces);
        Assert.Equal(2, test.Bad);
        Assert.Equal(2 * Math.Log(5), test.LogLikelihoodRatio, 9);
    }

    [Fact]
    public void The_first_verdict_is_final()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 0);
        test.Add(bad: true);
        test.Add(bad: true);
        var llr = test.LogLikelihoodRatio;

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(RecoveryVerdict.StillFaulty, test.Add(bad: false));
        }

        Assert.Equal(2, test.Traces);
        Assert.Equal(llr, test.LogLikelihoodRatio);
        Assert.Equal(RecoveryVerdict.StillFaulty, test.Conclude());
    }

    [Fact]
    public void Concluding_an_undecided_probe_fails_it()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 20);
        for (var i = 0; i < 10; i++)
        {
            test.Add(bad: i == 0);
        }

        Assert.Equal(RecoveryVerdict.Undecided, test.Verdict);
        Assert.Equal(RecoveryVerdict.StillFaulty, test.Conclude());
        Assert.Equal(RecoveryVerdict.StillFaulty, test.Verdict);
        Assert.Contains("only 10 of 20 traces", test.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Concluding_with_enough_traces_but_no_decision_fails_it_too()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 5);
        // 1 bad in 10: between the hypotheses, the LLR wanders between the boundaries.
        for (var i = 0; i < 10; i++)
        {
            test.Add(bad: i == 3);
        }

        Assert.Equal(RecoveryVerdict.Undecided, test.Verdict);
        Assert.Equal(RecoveryVerdict.StillFaulty, test.Conclude());
        Assert.Contains("not recovered when the probe ended", test.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Concluding_a_recovered_probe_keeps_it_recovered()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 5);
        while (test.Add(bad: false) == RecoveryVerdict.Undecided)
        {
        }

        Assert.Equal(RecoveryVerdict.Recovered, test.Conclude());
    }

    [Fact]
    public void The_boundaries_follow_the_settings_meaning_of_alpha_and_beta()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, alpha: 0.01, beta: 0.2, minTraces: 0);

        Assert.Equal(Math.Log(0.99 / 0.2), test.FaultyBoundary, 12);
        Assert.Equal(Math.Log(0.01 / 0.8), test.RecoveredBoundary, 12);
    }

    [Fact]
    public void The_summary_states_counts_rates_and_the_crossing()
    {
        var test = new SequentialRecoveryTest(0.02, 0.25, Alpha, Beta, minTraces: 10, rule: "with total_tokens > 5400");
        test.Add(bad: false);
        test.Add(bad: true);

        Assert.Equal(RecoveryVerdict.StillFaulty, test.Verdict);
        Assert.Equal("1/2 probe traces with total_tokens > 5400; baseline 2%, fault 25%: LLR 2.26 ≥ 2.25", test.Summary);
    }

    [Fact]
    public void The_summary_of_a_recovery_names_the_lower_boundary()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, Alpha, Beta, minTraces: 0);
        while (test.Add(bad: false) == RecoveryVerdict.Undecided)
        {
        }

        Assert.StartsWith($"0/{test.Traces} probe traces bad; baseline 5%, fault 25%: LLR -", test.Summary, StringComparison.Ordinal);
        Assert.EndsWith("≤ -2.89", test.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.25, 0.05, 0.05, 0.1)]
    [InlineData(0.0, 0.25, 0.05, 0.1)]
    [InlineData(0.05, 1.0, 0.05, 0.1)]
    [InlineData(0.05, 0.25, 0.0, 0.1)]
    [InlineData(0.05, 0.25, 0.6, 0.5)]
    public void Impossible_parameters_are_refused(double p0, double p1, double alpha, double beta) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequentialRecoveryTest(p0, p1, alpha, beta, 0));

    [Fact]
    public void Adding_traces_allocates_nothing()
    {
        var test = new SequentialRecoveryTest(0.05, 0.25, 0.001, 0.001, minTraces: 1_000_000);
        test.Add(bad: false);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            test.Add(bad: i % 20 == 0);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
