namespace AgentSentinel.Detection.Streaming;

/// <summary>Tail probabilities used to turn statistics into comparable surprises; no allocation, deterministic.</summary>
public static class TailProbability
{
    /// <summary>The upper tail of the standard normal, Q(z) = P(Z &gt; z) = erfc(z/√2)/2.</summary>
    public static double NormalUpper(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    /// <summary>The two-sided tail of the standard normal, P(|Z| &gt; |z|).</summary>
    public static double NormalTwoSided(double z) => Math.Min(1.0, Erfc(Math.Abs(z) / Math.Sqrt(2)));

    /// <summary>log10 of the two-sided normal tail P(|Z| &gt; |z|), finite however large |z| is (asymptotic expansion beyond 26σ).</summary>
    public static double Log10NormalTwoSided(double z)
    {
        var x = Math.Abs(z) / Math.Sqrt(2);
        if (x < 26)
        {
            return Math.Log10(Math.Min(1.0, Erfc(x)));
        }

        // erfc(x) ≈ e^(−x²)/(x√π) · (1 − 1/(2x²)) for large x.
        var ln = (-x * x) - Math.Log(x * Math.Sqrt(Math.PI)) + Math.Log(1 - (1 / (2 * x * x)));
        return ln / Math.Log(10);
    }

    /// <summary>The complementary error function to near double precision (a positive series below 3, a continued fraction above).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < 0)
        {
            return 2.0 - Erfc(-x);
        }

        if (x < 3.0)
        {
            // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): all terms positive, no cancellation.
            var term = x;
            var sum = x;
            var x2 = x * x;
            for (var n = 1; n < 200; n++)
            {
                term *= 2 * x2 / ((2 * n) + 1);
                sum += term;
                if (term < sum * 1e-17)
                {
                    break;
                }
            }

            return 1.0 - (2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum);
        }

        if (x > 27.3)
        {
            return 0.0;
        }

        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with the modified Lentz method.
        const double Tiny = 1e-300;
        var f = x;
        var c = x;
        var d = 0.0;
        for (var k = 1; k < 500; k++)
        {
            var a = k / 2.0;
            d = x + (a * d);
            d = d == 0 ? Tiny : 1.0 / d;
            c = x + (a / c);
            if (c == 0)
            {
                c = Tiny;
            }

            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
