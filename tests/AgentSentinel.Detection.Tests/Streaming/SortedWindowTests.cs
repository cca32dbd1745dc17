using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Detection.Tests.Streaming;

public sealed class SortedWindowTests
{
    [Fact]
    public void The_median_and_counts_match_a_brute_force_window_over_random_values()
    {
        var random = new Random(5);
        var window = new SortedWindow(37);
        var recent = new List<double>();
        for (var i = 0; i < 2_000; i++)
        {
            var value = Math.Round(random.NextDouble() * 20, 1); // repeats on purpose
            window.Add(value);
            recent.Add(value);
            if (recent.Count > 37)
            {
                recent.RemoveAt(0);
            }

            var sorted = recent.Order().ToList();
            var expectedMedian = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : 0.5 * (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]);
            Assert.Equal(expectedMedian, window.Median);
            Assert.Equal(sorted[0], window[0]);
            Assert.Equal(sorted.Count(v => v >= 10.0), window.CountAtLeast(10.0));
        }
    }

    [Fact]
    public void A_non_finite_value_is_rejected()
    {
        var window = new SortedWindow(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Add(double.NaN));
        Assert.True(double.IsNaN(window.Median));
    }
}
