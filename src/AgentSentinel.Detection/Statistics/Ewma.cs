namespace AgentSentinel.Detection.Statistics;

/// <summary>An exponentially weighted moving average, x̄ ← x̄ + α (x − x̄); the first value initialises it.</summary>
public struct Ewma
{
    /// <summary>Weight of each new value.</summary>
    public double Alpha { get; }

    /// <summary>The current average (NaN before the first value).</summary>
    public double Value { get; private set; }

    /// <summary>Values seen.</summary>
    public long Count { get; private set; }

    public Ewma(double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alpha);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alpha, 1);
        Alpha = alpha;
        Value = double.NaN;
        Count = 0;
    }

    /// <summary>α for a half-life of <paramref name="values"/> values.</summary>
    public static double AlphaForHalfLife(double values) => 1 - Math.Pow(0.5, 1 / values);

    /// <summary>Adds one value (non-finite values are ignored).</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            return;
        }

        Value = Count++ == 0 ? value : Value + (Alpha * (value - Value));
    }

    /// <summary>Forgets everything.</summary>
    public void Reset()
    {
        Value = double.NaN;
        Count = 0;
    }
}
