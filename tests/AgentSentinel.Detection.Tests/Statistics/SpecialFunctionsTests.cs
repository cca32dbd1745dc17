using AgentSentinel.Detection.Statistics;

namespace AgentSentinel.Detection.Tests.Statistics;

public sealed class SpecialFunctionsTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(5, 3.1780538303479458)] // ln 24
    [InlineData(0.5, 0.57236494292470008)] // ln √π
    [InlineData(100, 359.13420536957540)]
    public void Log_gamma_matches_known_values(double x, double expected) =>
        Assert.Equal(expected, SpecialFunctions.LogGamma(x), 10);

    [Fact]
    public void The_beta_binomial_tail_equals_the_sum_of_its_terms()
    {
        const int n = 30;
        const double a = 2.5, b = 40.5;
        for (var x = 0; x <= n; x++)
        {
            var brute = 0d;
            for (var k = x; k <= n; k++)
            {
                brute += Math.Exp(SpecialFunctions.LogChoose(n, k) + SpecialFunctions.LogBeta(k + a, n - k + b) - SpecialFunctions.LogBeta(a, b));
            }

            Assert.Equal(Math.Min(1, brute), SpecialFunctions.BetaBinomialUpperTail(x, n, a, b), 12);
        }
    }

    [Fact]
    public void With_a_large_certain_baseline_the_tail_approaches_the_binomial_tail()
    {
        // p = 0.02 known from 1e7 trials: P(X ≥ 5 | n = 50) for Binomial(50, 0.02) is 0.0032.
        var tail = SpecialFunctions.BetaBinomialUpperTail(5, 50, 0.02 * 1e7, 0.98 * 1e7);

        Assert.Equal(0.00320, tail, 4);
    }

    [Fact]
    public void An_uncertain_baseline_asks_for_more_evidence()
    {
        var certain = SpecialFunctions.BetaBinomialUpperTail(6, 50, 0.02 * 1e6, 0.98 * 1e6);
        var uncertain = SpecialFunctions.BetaBinomialUpperTail(6, 50, 0.02 * 100, 0.98 * 100);

        Assert.True(uncertain > certain);
    }
}

public sealed class CusumTests
{
    [Fact]
    public void The_sum_accumulates_excess_over_the_allowance_and_never_goes_negative()
    {
        var cusum = new Cusum(k: 0.5, h: 4, clip: 3);

        Assert.False(cusum.Add(-2));
        Assert.Equal(0, cusum.Sum);
        Assert.False(cusum.Add(1.5));
        Assert.False(cusum.Add(1.5));
        Assert.False(cusum.Add(1.5));
        Assert.True(cusum.Add(1.5));
        Assert.Equal(4, cusum.Sum, 12);
        Assert.Equal(4, cusum.Run);
    }

    [Fact]
    public void One_wild_value_is_clipped()
    {
        var cusum = new Cusum(k: 0.25, h: 10, clip: 3);

        Assert.False(cusum.Add(1000));
        Assert.Equal(2.75, cusum.Sum, 12);
    }
}
