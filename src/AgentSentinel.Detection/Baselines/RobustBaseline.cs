namespace AgentSentinel.Detection.Baselines;

/// <summary>
/// A rolling window of one feature's recent values with robust location and scale: the median and the
/// median absolute deviation (MAD). The window is kept twice, in arrival order (a ring) and sorted, so an
/// update costs O(window) element moves and no allocation, and the median and MAD are read off the sorted copy.
/// </summary>
/// <remarks>
/// <para>
/// The spread used to judge a value is <c>max(1.4826·MAD, relativeFloor·|median|, absoluteFloor)</c>. 1.4826·MAD
/// estimates the standard deviation of normal data; the floors keep a constant (or nearly constant) series from
/// producing a zero spread and so an infinite distance for the smallest change.
/// </para>
/// <para>
/// Once warm, updates are winsorised: a value is clipped to <c>median ± k·spread</c> before it enters the window.
/// A spike therefore enters at most k spreads from the median and cannot drag the baseline, while a true level shift
/// is still absorbed: the clipped values pile up on one side, the median moves towards them, the clip limit moves
/// with it, and after a few half-windows the baseline sits at the new level. Clipping keeps each value on its side of
/// the median, so on a stationary series it changes neither the median nor (for k ≥ 1) the MAD.
/// </para>
/// <para>Not thread-safe: one instance belongs to one actor. Deterministic: the same values in the same order give the same statistics, bit for bit.</para>
/// </remarks>
public sealed class RobustBaseline
{
    /// <summary>Scales the MAD to a standard deviation for normally distributed data.</summary>
    public const double MadToSigma = 1.4826;

    private readonly double[] _ring;
    private readonly double[] _sorted;
    private readonly double _relativeFloor;
    private readonly double _absoluteFloor;
    private readonly double _winsorizeSpreads;
    private int _count;
    private int _next;
    private bool _dirty;
    private double _median;
    private double _mad;

    /// <param name="window">How many recent values are kept (at least 3).</param>
    /// <param name="warmupSamples">Values needed before <see cref="IsWarm"/> (at least 1, at most <paramref name="window"/>).</param>
    /// <param name="relativeFloor">Lower bound of the spread as a share of |median| (≥ 0).</param>
    /// <param name="absoluteFloor">Lower bound of the spread in the feature's unit (&gt; 0).</param>
    /// <param name="winsorizeSpreads">Once warm, values are clipped to median ± this many spreads (&gt; 0; infinity disables clipping).</param>
    public RobustBaseline(int window, int warmupSamples, double relativeFloor, double absoluteFloor, double winsorizeSpreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmupSamples, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSamples, window);
        if (!(relativeFloor >= 0) || double.IsInfinity(relativeFloor))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeFloor), relativeFloor, "must be finite and ≥ 0");
        }

        if (!(absoluteFloor > 0) || double.IsInfinity(absoluteFloor))
        {
            throw new ArgumentOutOfRangeException(nameof(absoluteFloor), absoluteFloor, "must be finite and > 0");
        }

        if (!(winsorizeSpreads > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(winsorizeSpreads), winsorizeSpreads, "must be > 0");
        }

        _ring = new double[window];
        _sorted = new double[window];
        WarmupSamples = warmupSamples;
        _relativeFloor = relativeFloor;
        _absoluteFloor = absoluteFloor;
        _winsorizeSpreads = winsorizeSpreads;
    }

    /// <summary>The window size.</summary>
    public int Window => _ring.Length;

    /// <summary>Values needed before the baseline judges anything.</summary>
    public int WarmupSamples { get; }

    /// <summary>Values currently in the window.</summary>
    public int Count => _count;

    /// <summary>Values ever accepted (finite ones), including those that have left the window.</summary>
    public long TotalSamples { get; private set; }

    /// <summary>Whether enough values have been seen to judge new ones.</summary>
    public bool IsWarm => TotalSamples >= WarmupSamples;

    /// <summary>The median of the window (0 when empty).</summary>
    public double Median
    {
        get
        {
            Refresh();
            return _median;
        }
    }

    /// <summary>The median absolute deviation from <see cref="Median"/> (0 when empty).</summary>
    public double Mad
    {
        get
        {
            Refresh();
            return _mad;
        }
    }

    /// <summary>The robust spread: <c>max(1.4826·MAD, relativeFloor·|median|, absoluteFloor)</c>; never zero.</summary>
    public double Spread
    {
        get
        {
            Refresh();
            return Math.Max(MadToSigma * _mad, Math.Max(_relativeFloor * Math.Abs(_median), _absoluteFloor));
        }
    }

    /// <summary>
    /// The spread of the upper side: max(<see cref="Spread"/>, (q90 − median) / 1.2816). Equal to the spread for a
    /// symmetric feature; larger when the agent normally has a heavy upper tail or a second, higher mode (a router that
    /// sometimes calls a dearer model), so that an upward judgement is measured against what the agent normally does.
    /// </summary>
    public double UpperSpread
    {
        get
        {
            var spread = Spread;
            if (_count < 10)
            {
                return spread;
            }

            var q90 = _sorted[Math.Min(_count - 1, (int)Math.Ceiling(0.9 * _count) - 1)];
            return Math.Max(spread, (q90 - _median) / 1.2816);
        }
    }

    /// <summary>Signed distance of <paramref name="value"/> from the median, in spreads (a robust z-score).</summary>
    public double Distance(double value) => (value - Median) / Spread;

    /// <summary>
    /// Adds a value: clipped to median ± k·spread once warm, raw during warm-up. Non-finite values are ignored.
    /// </summary>
    /// <returns>The value that entered the window (after clipping), or NaN when the value was ignored.</returns>
    public double Add(double value)
    {
        if (!double.IsFinite(value))
        {
            return double.NaN;
        }

        if (IsWarm && !double.IsPositiveInfinity(_winsorizeSpreads))
        {
            var median = Median;
            var limit = _winsorizeSpreads * Spread;
            value = Math.Clamp(value, median - limit, median + limit);
        }

        Insert(value);
        TotalSamples++;
        _dirty = true;
        return value;
    }

    /// <summary>
    /// Adds several values observed together (e.g. every model call of one trace), each clipped against the baseline as it
    /// stood before the batch: the order within the batch does not matter, and the statistics are computed once.
    /// </summary>
    public void AddRange(ReadOnlySpan<double> values)
    {
        var clip = IsWarm && !double.IsPositiveInfinity(_winsorizeSpreads);
        double low = double.NegativeInfinity, high = double.PositiveInfinity;
        if (clip)
        {
            var median = Median;
            var limit = _winsorizeSpreads * Spread;
            (low, high) = (median - limit, median + limit);
        }

        foreach (var raw in values)
        {
            if (!double.IsFinite(raw))
            {
                continue;
            }

            Insert(clip ? Math.Clamp(raw, low, high) : raw);
            TotalSamples++;
            _dirty = true;
        }
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        _count = 0;
        _next = 0;
        TotalSamples = 0;
        _median = 0;
        _mad = 0;
        _dirty = false;
    }

    /// <summary>Copies the window, sorted ascending, into <paramref name="destination"/> (for tests and diagnostics).</summary>
    public int CopySortedTo(Span<double> destination)
    {
        _sorted.AsSpan(0, _count).CopyTo(destination);
        return _count;
    }

    private void Insert(double value)
    {
        var sorted = _sorted;
        if (_count < _ring.Length)
        {
            var at = LowerBound(sorted, _count, value);
            Array.Copy(sorted, at, sorted, at + 1, _count - at);
            sorted[at] = value;
            _ring[_next] = value;
            _next = (_next + 1) % _ring.Length;
            _count++;
            return;
        }

        // Full: the oldest value leaves where the new one enters; shift only the elements between the two positions.
        var oldest = _ring[_next];
        var removeAt = Array.BinarySearch(sorted, 0, _count, oldest);
        var insertAt = LowerBound(sorted, _count, value);
        if (insertAt <= removeAt)
        {
            Array.Copy(sorted, insertAt, sorted, insertAt + 1, removeAt - insertAt);
            sorted[insertAt] = value;
        }
        else
        {
            Array.Copy(sorted, removeAt + 1, sorted, removeAt, insertAt - 1 - removeAt);
            sorted[insertAt - 1] = value;
        }

        _ring[_next] = value;
        _next = (_next + 1) % _ring.Length;
    }

    private static int LowerBound(double[] sorted, int count, double value)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void Refresh()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        var n = _count;
        var s = _sorted;
        if (n == 0)
        {
            _median = 0;
            _mad = 0;
            return;
        }

        var median = (n & 1) == 1 ? s[n / 2] : (s[(n / 2) - 1] + s[n / 2]) / 2;

        // The absolute deviations form two ascending runs: leftwards from the middle (median - s[i]) and rightwards
        // (s[j] - median). Merging them up to the middle rank gives the MAD in O(n/2) with no buffer.
        var i = (n - 1) / 2;
        var j = i + 1;
        var lowRank = (n - 1) / 2;
        var highRank = n / 2;
        double lowValue = 0, current = 0;
        for (var rank = 0; rank <= highRank; rank++)
        {
            var left = i >= 0 ? median - s[i] : double.PositiveInfinity;
            var right = j < n ? s[j] - median : double.PositiveInfinity;
            if (left <= right)
            {
                current = left;
                i--;
            }
            else
            {
                current = right;
                j++;
            }

            if (rank == lowRank)
            {
                lowValue = current;
            }
        }

        _median = median;
        _mad = lowRank == highRank ? lowValue : (lowValue + current) / 2;
    }
}
