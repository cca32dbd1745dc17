using AgentSentinel.Detection.Detectors.Patterns;

namespace AgentSentinel.Detection.Tests.Detectors.Patterns;

public sealed class CountTailTests
{
    /// <summary>
    /// The definition by sorting: the smallest v with at most floor(share × n) of the window above it is the
    /// (floor(share × n) + 1)-th largest value (0 when the window is empty).
    /// </summary>
    private static int Reference(IEnumerable<int> window, double share)
    {
        var descending = window.OrderDescending().ToArray();
        var allowed = (int)Math.Floor(share * descending.Length);
        return allowed < descending.Length ? descending[allowed] : 0;
    }

    [Theory]
    [InlineData(50, 16, 0.002, 1)]
    [InlineData(50, 16, 0.1, 2)]
    [InlineData(200, 1024, 0.002, 3)]
    [InlineData(200, 1024, 0.05, 4)]
    public void Upper_quantile_matches_the_window_sorted_as_values_come_and_go(int windowSize, int cap, double share, int seed)
    {
        var random = new Random(seed);
        var tail = new CountTail(windowSize, cap);
        var window = new Queue<int>();
        Assert.Equal(0, tail.UpperQuantile(share));

        for (var n = 0; n < 3000; n++)
        {
            // Mostly small counts, bursts of large ones (beyond the cap too) and negatives: the maximum rises, then
            // leaves the window and must come down to the next largest value.
            var value = (n / 400 % 3) switch
            {
                0 => random.Next(0, 6),
                1 => random.Next(100) < 5 ? random.Next(0, cap * 2) : random.Next(-2, 4),
                _ => random.Next(0, 3),
            };
            tail.Add(value);
            window.Enqueue(Math.Clamp(value, 0, cap));
            if (window.Count > windowSize)
            {
                window.Dequeue();
            }

            Assert.Equal(window.Count, tail.Count);
            Assert.Equal(Reference(window, share), tail.UpperQuantile(share));
            Assert.Equal(window.Max(), tail.UpperQuantile(0));
        }
    }
}
