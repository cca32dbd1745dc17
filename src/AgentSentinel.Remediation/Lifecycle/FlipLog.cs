namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>An agent's recent route changes in event time, for the flips-per-hour limit. Bounded.</summary>
internal sealed class FlipLog
{
    public const long HourNanos = 3_600_000_000_000L;
    private const int Capacity = 64;
    private readonly Queue<long> _times = new();

    public IEnumerable<long> Times => _times;

    public void Add(long atUnixNano)
    {
        _times.Enqueue(atUnixNano);
        while (_times.Count > Capacity)
        {
            _times.Dequeue();
        }
    }

    /// <summary>Route changes in the hour up to <paramref name="atUnixNano"/>.</summary>
    public int CountInHour(long atUnixNano)
    {
        var count = 0;
        foreach (var t in _times)
        {
            if (t > atUnixNano - HourNanos && t <= atUnixNano)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Whether one more change at <paramref name="atUnixNano"/> stays within <paramref name="maxPerHour"/>.</summary>
    public bool Allows(long atUnixNano, int maxPerHour) => maxPerHour <= 0 || CountInHour(atUnixNano) < maxPerHour;

    /// <summary>The earliest event time at which one more change is allowed again (the oldest counted change leaves the hour).</summary>
    public long NextAllowed(long atUnixNano, int maxPerHour)
    {
        var inHour = _times.Where(t => t > atUnixNano - HourNanos && t <= atUnixNano).Order().ToArray();
        var excess = inHour.Length - maxPerHour;
        return excess < 0 ? atUnixNano : inHour[excess] + HourNanos + 1;
    }
}

/// <summary>
/// The "N anomalous traces in a window" condition of one policy for one agent: distinct exemplar traces of matching
/// anomalies, in event time. Bounded.
/// </summary>
internal sealed class TriggerWindow
{
    private const int Capacity = 256;
    private readonly List<(string Trace, long At)> _traces = [];

    /// <summary>Adds the anomaly's traces and says whether the window now holds at least <paramref name="needed"/>.</summary>
    public bool Add(IReadOnlyList<string> traceIds, long atUnixNano, TimeSpan window, int needed)
    {
        var oldest = atUnixNano - window.Ticks * 100;
        _traces.RemoveAll(t => t.At < oldest);
        if (traceIds.Count == 0)
        {
            _traces.Add(("@" + atUnixNano.ToString(System.Globalization.CultureInfo.InvariantCulture), atUnixNano));
        }

        foreach (var id in traceIds)
        {
            if (!_traces.Exists(t => string.Equals(t.Trace, id, StringComparison.Ordinal)))
            {
                _traces.Add((id, atUnixNano));
            }
        }

        if (_traces.Count > Capacity)
        {
            _traces.RemoveRange(0, _traces.Count - Capacity);
        }

        if (_traces.Count < needed)
        {
            return false;
        }

        _traces.Clear();
        return true;
    }
}
