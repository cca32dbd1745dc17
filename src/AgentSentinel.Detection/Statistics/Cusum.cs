namespace AgentSentinel.Detection.Statistics;

/// <summary>
/// A one-sided (upward) tabular CUSUM on standardised values: S ← max(0, S + z − k), signalling when S ≥ h.
/// With z ~ N(0, 1) in control, k = 0.25 and h = 16 the average run to a false signal is about 40 000 values (Siegmund's
/// approximation); a shift of 0.8 standard deviations is signalled after about 30.
/// Standardised values are clipped to ±<see cref="Clip"/> so that one wild value cannot signal on its own
/// (spikes are the spike detectors' business; this one looks for persistence).
/// </summary>
public struct Cusum
{
    /// <summary>Allowance per value (half the shift the chart is tuned for).</summary>
    public double K { get; }

    /// <summary>Decision interval.</summary>
    public double H { get; }

    /// <summary>Largest |z| that enters the sum.</summary>
    public double Clip { get; }

    /// <summary>The current sum.</summary>
    public double Sum { get; private set; }

    /// <summary>Values since the sum last left zero (the run that built it up).</summary>
    public int Run { get; private set; }

    public Cusum(double k, double h, double clip)
    {
        K = k;
        H = h;
        Clip = clip;
        Sum = 0;
        Run = 0;
    }

    /// <summary>Adds one standardised value; returns true when the sum reaches the decision interval.</summary>
    public bool Add(double z)
    {
        if (!double.IsFinite(z))
        {
            return Sum >= H;
        }

        Sum = Math.Max(0, Sum + Math.Clamp(z, -Clip, Clip) - K);
        Run = Sum > 0 ? Run + 1 : 0;
        return Sum >= H;
    }

    /// <summary>Starts again from zero.</summary>
    public void Reset()
    {
        Sum = 0;
        Run = 0;
    }
}
