namespace AgentSentinel.Detection.Statistics;

/// <summary>The few special functions the tests need, in double precision, allocation-free.</summary>
public static class SpecialFunctions
{
    // A span over the assembly's data, not a static array: no type initialiser to allocate it on the first call.
    private static ReadOnlySpan<double> Lanczos =>
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9: about 15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0");
        }

        if (x < 0.5)
        {
            // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        x -= 1;
        var a = Lanczos[0];
        var t = x + 7.5;
        for (var i = 1; i < Lanczos.Length; i++)
        {
            a += Lanczos[i] / (x + i);
        }

        return 0.5 * Math.Log(2 * Math.PI) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(a);
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>ln C(n, k).</summary>
    public static double LogChoose(int n, int k) => LogGamma(n + 1) - LogGamma(k + 1) - LogGamma(n - k + 1);

    /// <summary>
    /// P(X ≥ <paramref name="x"/>) for X ~ BetaBinomial(n, a, b): the chance of at least x events in n trials when the
    /// event probability is itself uncertain, Beta(a, b). Summed in log space from x up, stopping once terms no longer
    /// matter. Exact for n up to a few thousand; O(n − x).
    /// </summary>
    public static double BetaBinomialUpperTail(int x, int n, double a, double b)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (x <= 0)
        {
            return 1;
        }

        if (x > n)
        {
            return 0;
        }

        if (!(a > 0) || !(b > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), "Beta parameters must be > 0");
        }

        var logBetaAb = LogBeta(a, b);

        // log pmf(k) = ln C(n,k) + ln B(k + a, n − k + b) − ln B(a, b); successive terms by the ratio
        // pmf(k+1)/pmf(k) = (n − k)(k + a) / ((k + 1)(n − k − 1 + b)).
        var logTerm = LogChoose(n, x) + LogBeta(x + a, n - x + b) - logBetaAb;
        var term = Math.Exp(logTerm);
        var sum = term;
        for (var k = x; k < n; k++)
        {
            term *= (n - k) * (k + a) / ((k + 1) * (n - k - 1 + b));
            sum += term;
            if (term < sum * 1e-17)
            {
                break;
            }
        }

        return Math.Min(1, sum);
    }
}
