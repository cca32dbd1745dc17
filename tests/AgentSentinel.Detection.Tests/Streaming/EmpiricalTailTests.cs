using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Detection.Tests.Streaming;

public sealed class EmpiricalTailTests
{
    [Fact]
    public void Below_the_tail_the_surprise_is_the_empirical_rank()
    {
        var tail = new EmpiricalTail(1000, 0.02, 8);
        for (var i = 1; i <= 999; i++)
        {
            tail.Add(i);
        }

        // 500 of 999 values are ≥ 500: p = (500 + 1)/(999 + 1).
        Assert.Equal(Math.Log10(1000.0 / 501.0), tail.Surprise(500), 12);
        Assert.Equal(0.0, tail.Surprise(0.5), 12);
    }

    [Fact]
    public void Beyond_the_tail_the_surprise_grows_linearly_with_the_excess_over_the_mean_excess()
    {
        var tail = new EmpiricalTail(1000, 0.02, 8);
        for (var i = 1; i <= 999; i++)
        {
            tail.Add(i);
        }

        var near = tail.Surprise(1_000);
        var far = tail.Surprise(1_100);
        var farther = tail.Surprise(1_200);
        Assert.True(near > Math.Log10(1000.0 / 21.0));
        Assert.Equal(far - near, farther - far, 9);
        Assert.True(farther > 3);
    }

    [Fact]
    public void A_history_too_short_to_have_a_tail_gives_no_surprise()
    {
        var tail = new EmpiricalTail(100, 0.02, 8);
        for (var i = 0; i < 8; i++)
        {
            tail.Add(i);
        }

        Assert.Equal(0.0, tail.Surprise(1e9));
    }

    [Fact]
    public void A_spiky_history_makes_a_spike_of_the_usual_size_unsurprising()
    {
        var quiet = new EmpiricalTail(2000, 0.02, 8);
        var spiky = new EmpiricalTail(2000, 0.02, 8);
        var random = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            var noise = Math.Abs(random.NextDouble() - 0.5);
            quiet.Add(noise);
            spiky.Add(i % 100 == 0 ? 20 : noise);
        }

        Assert.True(quiet.Surprise(20) > 10);
        Assert.True(spiky.Surprise(20) < 3, $"{spiky.Surprise(20)}");
    }
}
