namespace AgentSentinel.Kafka;

/// <summary>
/// Lets one line through per interval and counts the rest, so that a failure repeated for every record
/// (a dead-letter topic that is down) logs a few lines a minute instead of one per record. Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeSpan interval)
{
    private readonly long _intervalMs = (long)interval.TotalMilliseconds;
    private long _nextAllowedMs = long.MinValue;
    private int _suppressed;

    /// <summary>True if this occurrence should be logged; <paramref name="suppressed"/> is how many were dropped since the last one.</summary>
    public bool ShouldLog(out int suppressed)
    {
        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref _nextAllowedMs);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowedMs, now + _intervalMs, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
