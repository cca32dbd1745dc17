namespace AgentSentinel.Detection.Streaming;

/// <summary>
/// The last <c>capacity</c> values, in order: a ring in arrival order plus the same values kept sorted. An update
/// finds the leaving and the arriving value by binary search (O(log n)) and shifts the values between them (one block
/// move, at most <c>capacity</c> doubles); nothing is allocated after construction.
/// </summary>
public sealed class SortedWindow
{
    private readonly double[] _ring;
    private readonly double[] _sorted;
    private int _count;
    private int _next;

    /// <param name="capacity">How many recent values the median is taken over (≥ 1).</param>
    public SortedWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new double[capacity];
        _sorted = new double[capacity];
    }

    /// <summary>How many values are held (at most the capacity).</summary>
    public int Count => _count;

    /// <summary>Whether the window is full.</summary>
    public bool IsFull => _count == _ring.Length;

    /// <summary>The median of the values held (the mean of the two middle ones for an even count); NaN when empty.</summary>
    public double Median
    {
        get
        {
            if (_count == 0)
            {
                return double.NaN;
            }

            var half = _count / 2;
            return (_count & 1) == 1 ? _sorted[half] : 0.5 * (_sorted[half - 1] + _sorted[half]);
        }
    }

    /// <summary>The i-th smallest value held (0-based).</summary>
    public double this[int index] => (uint)index < (uint)_count ? _sorted[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>How many values held are ≥ <paramref name="value"/> (O(log n)).</summary>
    public int CountAtLeast(double value)
    {
        // The first index whose value is ≥ value: binary search for the lower bound.
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return _count - lo;
    }

    /// <summary>Adds <paramref name="value"/> (finite), dropping the oldest value once full.</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "must be finite");
        }

        if (_count < _ring.Length)
        {
            _ring[_count] = value;
            var at = Insertion(value, _count);
            Array.Copy(_sorted, at, _sorted, at + 1, _count - at);
            _sorted[at] = value;
            _count++;
            return;
        }

        var old = _ring[_next];
        _ring[_next] = value;
        _next = (_next + 1) % _ring.Length;
        var from = Array.BinarySearch(_sorted, 0, _count, old);
        var to = Insertion(value, _count);
        if (to > from)
        {
            // Remove at `from`, insert before `to` (which shifts down by one).
            Array.Copy(_sorted, from + 1, _sorted, from, to - 1 - from);
            _sorted[to - 1] = value;
        }
        else
        {
            Array.Copy(_sorted, to, _sorted, to + 1, from - to);
            _sorted[to] = value;
        }
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        _count = 0;
        _next = 0;
    }

    private int Insertion(double value, int count)
    {
        var at = Array.BinarySearch(_sorted, 0, count, value);
        return at < 0 ? ~at : at;
    }
}
