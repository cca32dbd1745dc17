namespace AgentSentinel.Detection.Detectors.Patterns;

/// <summary>
/// The recent distribution of a small count (calls per trace, depth, repeats) over a sliding window, as a histogram:
/// O(1) amortised to add, no allocation after construction. Counts above <c>cap</c> are kept as cap. A tail quantile
/// is read from the largest count in the window down (the buckets above it are empty), so it costs the distance from
/// that maximum to the quantile, a few steps for the small counts this holds, instead of <c>cap</c>.
/// </summary>
public sealed class CountTail
{
    private readonly int[] _ring;
    private readonly int[] _histogram;
    private int _size;
    private int _head;
    private int _max; // the largest value in the window (0 when empty); every bucket above it is 0

    public CountTail(int window, int cap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        _ring = new int[window];
        _histogram = new int[cap + 1];
    }

    /// <summary>Values in the window.</summary>
    public int Count => _size;

    /// <summary>Adds one count (negative counts as 0).</summary>
    public void Add(int value)
    {
        value = Math.Clamp(value, 0, _histogram.Length - 1);
        if (_size == _ring.Length)
        {
            _histogram[_ring[_head]]--;
            _ring[_head] = value;
            _head = (_head + 1) % _ring.Length;
        }
        else
        {
            _ring[(_head + _size) % _ring.Length] = value;
            _size++;
        }

        _histogram[value]++;
        if (value >= _max)
        {
            _max = value;
            return;
        }

        // The evicted value may have been the last at the maximum: step down to the next non-empty bucket. The steps
        // down never add up to more than the maximum rose before, so this follows how far the counts move, not cap.
        while (_max > 0 && _histogram[_max] == 0)
        {
            _max--;
        }
    }

    /// <summary>
    /// The smallest v such that at most <paramref name="share"/> of the window lies above v: the agent's "normal
    /// maximum" with that much tolerance (0 when empty).
    /// </summary>
    public int UpperQuantile(double share)
    {
        var allowed = (int)Math.Floor(share * _size);
        var above = 0;
        for (var v = _max; v >= 0; v--)
        {
            if (above + _histogram[v] > allowed)
            {
                return v;
            }

            above += _histogram[v];
        }

        return 0;
    }
}
