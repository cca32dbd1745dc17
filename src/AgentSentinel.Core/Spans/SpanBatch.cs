namespace AgentSentinel.Core.Spans;

/// <summary>
/// A reusable, growable buffer of spans that a decoder fills. Not thread-safe: one per decoding thread.
/// <see cref="ToArray"/> copies the spans out when they must outlive the next decode.
/// </summary>
public sealed class SpanBatch
{
    private AgentSpan[] _items;

    public SpanBatch(int initialCapacity = 64) => _items = new AgentSpan[Math.Max(1, initialCapacity)];

    public int Count { get; private set; }

    public ReadOnlySpan<AgentSpan> Spans => _items.AsSpan(0, Count);

    public ref AgentSpan this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return ref _items[index];
        }
    }

    public void Clear()
    {
        Array.Clear(_items, 0, Count);
        Count = 0;
    }

    /// <summary>Appends a zeroed span and returns a reference to fill it in place.</summary>
    public ref AgentSpan Add()
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        return ref _items[Count++];
    }

    /// <summary>Drops the last span (a decoder abandoning a span it started).</summary>
    public void RemoveLast()
    {
        if (Count > 0)
        {
            _items[--Count] = default;
        }
    }

    public AgentSpan[] ToArray() => Spans.ToArray();
}
