using AgentSentinel.Detection.Baselines;

namespace AgentSentinel.Detection.Tests.Baselines;

public sealed class RobustBaselineTests
{
    private static (double Median, double Mad) Naive(IReadOnlyList<double> values)
    {
        static double MedianOf(List<double> v)
        {
            v.Sort();
            var n = v.Count;
            return n % 2 == 1 ? v[n / 2] : (v[(n / 2) - 1] + v[n / 2]) / 2;
        }

        var median = MedianOf([.. values]);
        var mad = MedianOf([.. values.Select(v => Math.Abs(v - median))]);
        return (median, mad);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(16, 2)]
    [InlineData(17, 3)]
    [InlineData(256, 4)]
    public void Median_and_mad_match_a_naive_computation_on_random_data(int window, int seed)
    {
        var random = new Random(seed);
        var baseline = new RobustBaseline(window, 1, 0, 1e-9, double.PositiveInfinity);
        var recent = new List<double>();
        for (var i = 0; i < (window * 3) + 7; i++)
        {
            // Heavy ties on purpose: rounded values, a few repeated outliers.
            var value = i % 11 == 0 ? 1e6 : Math.Round(random.NextDouble() * 50, i % 3);
            baseline.Add(value);
            recent.Add(value);
            if (recent.Count > window)
            {
                recent.RemoveAt(0);
            }

            var (median, mad) = Naive(recent);
            Assert.Equal(median, baseline.Median);
            Assert.Equal(mad, baseline.Mad);
            Assert.Equal(recent.Count, baseline.Count);
        }

        var sorted = new double[window];
        Assert.Equal(window, baseline.CopySortedTo(sorted));
        Assert.Equal(recent.Order(), sorted);
    }

    [Fact]
    public void Median_and_mad_of_small_odd_and_even_windows()
    {
        var baseline = new RobustBaseline(8, 1, 0, 1e-9, double.PositiveInfinity);
        foreach (var v in new double[] { 1, 2, 3, 4, 100 })
        {
            baseline.Add(v);
        }

        Assert.Equal(3, baseline.Median);
        Assert.Equal(1, baseline.Mad); // deviations 2,1,0,1,97

        baseline.Add(5);
        Assert.Equal(3.5, baseline.Median);
        Assert.Equal(1.5, baseline.Mad); // deviations 2.5,1.5,0.5,0.5,96.5,1.5
    }

    [Fact]
    public void Is_not_warm_until_the_warmup_samples_have_been_seen()
    {
        var baseline = new RobustBaseline(16, 5, 0.05, 1, 3);
        for (var i = 0; i < 4; i++)
        {
            baseline.Add(10);
            Assert.False(baseline.IsWarm);
        }

        baseline.Add(10);
        Assert.True(baseline.IsWarm);
        Assert.Equal(5, baseline.TotalSamples);
    }

    [Fact]
    public void A_constant_series_gets_the_relative_floor_as_spread()
    {
        var baseline = new RobustBaseline(32, 5, 0.05, 1, 3);
        for (var i = 0; i < 32; i++)
        {
            baseline.Add(1000);
        }

        Assert.Equal(0, baseline.Mad);
        Assert.Equal(50, baseline.Spread);
        Assert.Equal(2, baseline.Distance(1100));
    }

    [Fact]
    public void A_constant_series_near_zero_gets_the_absolute_floor_as_spread()
    {
        var baseline = new RobustBaseline(32, 5, 0.05, 10, 3);
        for (var i = 0; i < 32; i++)
        {
            baseline.Add(0);
        }

        Assert.Equal(10, baseline.Spread);
        Assert.True(double.IsFinite(baseline.Distance(1)));
    }

    [Fact]
    public void Spread_is_scaled_mad_when_above_the_floors()
    {
        var baseline = new RobustBaseline(32, 5, 0.01, 1, 3);
        foreach (var v in new double[] { 80, 90, 100, 110, 120 })
        {
            baseline.Add(v);
        }

        Assert.Equal(10, baseline.Mad);
        Assert.Equal(14.826, baseline.Spread, 12);
    }

    [Fact]
    public void Once_warm_a_spike_enters_clipped_to_k_spreads_and_does_not_move_the_median()
    {
        var baseline = new RobustBaseline(64, 10, 0.05, 1, 3);
        for (var i = 0; i < 40; i++)
        {
            baseline.Add((i % 4) switch { 0 => 990, 2 => 1010, _ => 1000 });
        }

        var median = baseline.Median;
        var spread = baseline.Spread;
        var entered = baseline.Add(1_000_000);
        Assert.Equal(median + (3 * spread), entered);
        Assert.Equal(median, baseline.Median);
        Assert.Equal(-entered + (2 * median), baseline.Add(-1_000_000)); // symmetric
    }

    [Fact]
    public void A_batch_is_clipped_against_the_baseline_before_it_and_its_order_does_not_matter()
    {
        RobustBaseline Warm()
        {
            var b = new RobustBaseline(64, 10, 0.05, 1, 3);
            for (var i = 0; i < 40; i++)
            {
                b.Add(1000);
            }

            return b;
        }

        var forward = Warm();
        var backward = Warm();
        forward.AddRange([5000, 1000, 900, -7]);
        backward.AddRange([-7, 900, 1000, 5000]);

        var a = new double[64];
        var b = new double[64];
        forward.CopySortedTo(a);
        backward.CopySortedTo(b);
        Assert.Equal(a, b);
        Assert.Equal(1150, a[43]); // 1000 + 3 × 50
        Assert.Equal(850, a[0]);
        Assert.Equal(44, forward.TotalSamples);
    }

    [Fact]
    public void Values_during_warmup_are_not_clipped()
    {
        var baseline = new RobustBaseline(64, 10, 0.05, 1, 3);
        for (var i = 0; i < 5; i++)
        {
            baseline.Add(1000);
        }

        Assert.Equal(1_000_000, baseline.Add(1_000_000));
    }

    [Fact]
    public void A_sustained_level_shift_is_absorbed_within_a_few_windows()
    {
        var baseline = new RobustBaseline(256, 30, 0.05, 10, 3);
        var random = new Random(7);
        for (var i = 0; i < 256; i++)
        {
            baseline.Add(1000 + (random.NextDouble() * 100));
        }

        var samples = 0;
        while (baseline.Median < 2900 && samples < 10_000)
        {
            baseline.Add(3000 + (random.NextDouble() * 300));
            samples++;
        }

        // A 3x shift: winsorised values pile up above the median and pull it along (measured: well under 4 windows).
        Assert.InRange(samples, 128, 4 * 256);
    }

    [Fact]
    public void Non_finite_values_are_ignored()
    {
        var baseline = new RobustBaseline(16, 1, 0.05, 1, 3);
        baseline.Add(5);
        Assert.True(double.IsNaN(baseline.Add(double.NaN)));
        Assert.True(double.IsNaN(baseline.Add(double.PositiveInfinity)));
        Assert.Equal(1, baseline.Count);
        Assert.Equal(5, baseline.Median);
    }

    [Fact]
    public void Updates_and_reads_allocate_nothing()
    {
        var baseline = new RobustBaseline(256, 30, 0.05, 10, 3);
        var random = new Random(3);
        for (var i = 0; i < 300; i++)
        {
            baseline.Add(random.NextDouble());
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0.0;
        for (var i = 0; i < 10_000; i++)
        {
            baseline.Add(i % 97);
            sum += baseline.Distance(i % 13) + baseline.Median + baseline.Spread;
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(double.IsFinite(sum));
    }

    [Fact]
    public void Rejects_invalid_construction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustBaseline(2, 1, 0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustBaseline(16, 17, 0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustBaseline(16, 5, 0, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustBaseline(16, 5, double.NaN, 1, 3));
    }
}
