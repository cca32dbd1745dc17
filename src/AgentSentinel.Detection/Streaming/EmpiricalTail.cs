namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// The tail probability of a non-negative statistic against its own recent history: empirical below a high quantile,
/// and beyond it an exponential tail fitted to the exceedances (peaks over threshold, the generalised Pareto with shape 0).
/// </summary>
/// <remarks>
/// <para>
/// For the last n values (at most the capacity), with the k = max(<c>minExceedances</c>, ⌈<c>tailShare</c>·n⌉) largest
/// above the threshold t: P(X ≥ x) = (#{values ≥ x} + 1)/(n + 1) for x ≤ t, and (k/(n + 1))·e^(−(x − t)/σ) above, σ the
/// mean excess of the k values over t. The tail adapts to each stream: a spiky stream has a long tail, so its usual spikes
/// are not surprising, while a value far beyond anything seen is, in proportion to how far.
/// </para>
/// <para>The history is a <see cref="SortedWindow"/>: O(log n) search plus one block move per value, no allocation.</para>
/// </remarks>
public sealed class EmpiricalTail
{
    private readonly SortedWindow _window;
    private readonly double _tailShare;
    private readonly int _minExceedances;

    /// <param name="capacity">Values of history kept.</param>
    /// <param name="tailShare">Share of the history treated as the tail (e.g. 0.02).</param>
    /// <param name="minExceedances">Fewest values the tail is fitted to.</param>
    public EmpiricalTail(int capacity, double tailShare, int minExceedances)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        if (!(tailShare is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tailShare), tailShare, "must be in (0, 1)");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minExceedances, 1);
        _window = new SortedWindow(capacity);
        _tailShare = tailShare;
        _minExceedances = minExceedances;
    }

    /// <summary>Values of history held.</summary>
    public int Count => _window.Count;

    /// <summary>log10(1/P(X ≥ x)) against the history (0 when the history is too short to have a tail).</summary>
    public double Surprise(double x)
    {
        var n = _window.Count;
        var k = Math.Max(_minExceedances, (int)Math.Ceiling(_tailShare * n));
        if (n <= k)
        {
            return 0.0;
        }

        var threshold = _window[n - k - 1];
        if (x <= threshold)
        {
            var atLeast = _window.CountAtLeast(x);
            return Math.Log10((n + 1.0) / (atLeast + 1.0));
        }

        double excess = 0;
        for (var i = n - k; i < n; i++)
        {
            excess += _window[i] - threshold;
        }

        var sigma = excess / k;
        var log10Share = Math.Log10((n + 1.0) / k);
        if (sigma <= 0)
        {
            // A history whose tail is flat: anything beyond it is as surprising as the history can tell, times ten.
            return log10Share + 1;
        }

        return log10Share + ((x - threshold) / sigma / Math.Log(10));
    }

    /// <summary>Adds <paramref name="x"/> to the history.</summary>
    public void Add(double x) => _window.Add(x);
}
