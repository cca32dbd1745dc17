namespace AgentSentinel.Detection.Detectors.Drift;

/// <summary>
/// The level-shift and creep detectors (<c>Detection:Drift</c>): a CUSUM of standardised batch means (blocks of 8
/// traces) of the log-scale z against the agent's robust baseline. With k = 0.5 and h = 8 on standardised block means
/// the average run to a false signal is about 19 000 blocks (150 000 traces) and a shift of 0.8 spreads per trace
/// (≈ +50 % for a log-spread of 0.5) is signalled after about 5 blocks (40 traces).
/// </summary>
public sealed class DriftOptions
{
    /// <summary>Whether token, latency and cost drift are detected.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Allowance k, in log-scale spreads per trace.</summary>
    public double K { get; set; } = 0.5;

    /// <summary>Decision interval h, in log-scale spreads.</summary>
    public double H { get; set; } = 8;

    /// <summary>Traces per batch mean.</summary>
    public int BlockSize { get; set; } = 8;

    /// <summary>Clip of the standardised value entering the sum.</summary>
    public double Clip { get; set; } = 3;

    /// <summary>Smallest log-scale spread (0.05 ≈ 5 %): a near-constant feature does not signal on tiny moves.</summary>
    public double MinLogSpread { get; set; } = 0.05;

    /// <summary>
    /// The smallest relative shift worth a signal: the recent level (EWMA) must be at least this factor above the
    /// baseline median when the sum crosses h.
    /// </summary>
    public double MinRelativeShift { get; set; } = 1.25;

    /// <summary>
    /// After warm-up the reference learns one value in this many: with the 256-value window it then spans about a
    /// thousand traces, so a slow creep cannot carry its own reference along.
    /// </summary>
    public int LearnEvery { get; set; } = 4;

    /// <summary>
    /// Values the reference learns at every trace (after warm-up and after each signal) before it thins to one in
    /// <see cref="LearnEvery"/>; after a signal nothing is judged until the restarted reference holds this many (capped at
    /// <c>Detection:WindowSize</c>). The median of n values has a standard error of about 1.25 spreads/√n: with 128 it is
    /// 0.11 spreads, small against the allowance, where the 30 warm-up values leave 0.23.
    /// </summary>
    public int ReferenceSamples { get; set; } = 128;

    /// <summary>Validation errors, each naming its key.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (!(K is > 0 and <= 5))
        {
            yield return $"{prefix}{nameof(K)} must be in (0, 5] (was {K})";
        }

        if (!(H is >= 1 and <= 1000))
        {
            yield return $"{prefix}{nameof(H)} must be between 1 and 1000 (was {H})";
        }

        if (!(Clip is >= 1 and <= 100))
        {
            yield return $"{prefix}{nameof(Clip)} must be between 1 and 100 (was {Clip})";
        }

        if (!(MinLogSpread is > 0 and <= 10))
        {
            yield return $"{prefix}{nameof(MinLogSpread)} must be in (0, 10] (was {MinLogSpread})";
        }

        if (BlockSize is < 1 or > 1000)
        {
            yield return $"{prefix}{nameof(BlockSize)} must be between 1 and 1000 (was {BlockSize})";
        }

        if (LearnEvery is < 1 or > 1000)
        {
            yield return $"{prefix}{nameof(LearnEvery)} must be between 1 and 1000 (was {LearnEvery})";
        }

        if (ReferenceSamples is < 1 or > 65_536)
        {
            yield return $"{prefix}{nameof(ReferenceSamples)} must be between 1 and 65536 (was {ReferenceSamples})";
        }

        if (!(MinRelativeShift is >= 1 and <= 100))
        {
            yield return $"{prefix}{nameof(MinRelativeShift)} must be between 1 and 100 (was {MinRelativeShift})";
        }
    }
}
