namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>The few statistics the scenarios need: a normal quantile, percentiles and a Poisson upper bound.</summary>
internal static class Statistics
{
    /// <summary>The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (p is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "must lie strictly between 0 and 1");
        }

        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double Low = 0.02425;
        if (p < Low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((((c[0] * q) + c[1]) * q) + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((((d[0] * q) + d[1]) * q) + d[2]) * q + d[3]) * q + 1);
        }

        if (p > 1 - Low)
        {
            return -NormalQuantile(1 - p);
        }

        var r = p - 0.5;
        var s = r * r;
        return (((((((a[0] * s) + a[1]) * s) + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r
            / (((((((b[0] * s) + b[1]) * s) + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }

    /// <summary>The <paramref name="q"/> quantile (0..1) of the values, by the nearest-rank method; null when empty.</summary>
    public static double? Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// The one-sided upper confidence bound on a Poisson mean after observing <paramref name="count"/> events
    /// (exact: the λ at which P(X ≤ count) = 1 − confidence; 3.0 for zero events at 95 %).
    /// </summary>
    public static double PoissonUpperBound(long count, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var alpha = 1 - confidence;
        double lo = count, hi = count + 10 + (10 * Math.Sqrt(count + 1));
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            if (PoissonCdf(count, mid) > alpha)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return (lo + hi) / 2;
    }

    private static double PoissonCdf(long k, double lambda)
    {
        // Sum of e^-λ λ^i / i! in log space.
        double sum = 0, logTerm = -lambda;
        for (long i = 0; i <= k; i++)
        {
            if (i > 0)
            {
                logTerm += Math.Log(lambda) - Math.Log(i);
            }

            sum += Math.Exp(logTerm);
        }

        return sum;
    }
}
