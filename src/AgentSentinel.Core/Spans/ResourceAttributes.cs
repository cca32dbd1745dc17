using System.Collections;

namespace AgentSentinel.Core.Spans;

/// <summary>
/// The string attributes of a span's OTLP resource (<c>service.name</c>, <c>deployment.environment</c>, <c>team</c>…),
/// bounded and immutable: at most <see cref="MaxCount"/> attributes, keys of at most <see cref="MaxKeyLength"/> and values
/// of at most <see cref="MaxValueLength"/> characters (longer ones are dropped, never truncated into a different value).
/// Decoders share one instance among every span of a resource (and intern repeated resources), so it costs nothing per span.
/// Used by remediation policies to select agents; never exported as metric labels.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Named after the OTLP resource it mirrors.")]
public sealed class ResourceAttributes : IReadOnlyCollection<KeyValuePair<string, string>>
{
    public const int MaxCount = 32;
    public const int MaxKeyLength = 128;
    public const int MaxValueLength = 256;

    /// <summary>No attributes.</summary>
    public static readonly ResourceAttributes Empty = new([]);

    private readonly KeyValuePair<string, string>[] _items;

    private ResourceAttributes(KeyValuePair<string, string>[] items) => _items = items;

    /// <summary>Builds a bounded set from <paramref name="attributes"/>: later duplicates of a key win; over-long keys or
    /// values and attributes beyond <see cref="MaxCount"/> are dropped. Ordered by key (ordinal).</summary>
    public static ResourceAttributes Create(IEnumerable<KeyValuePair<string, string>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in attributes)
        {
            if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || value is null || value.Length > MaxValueLength)
            {
                continue;
            }

            if (map.Count < MaxCount || map.ContainsKey(key))
            {
                map[key] = value;
            }
        }

        return map.Count == 0 ? Empty : new ResourceAttributes([.. map]);
    }

    public int Count => _items.Length;

    /// <summary>The value of <paramref name="key"/>, if the resource has it.</summary>
    public bool TryGetValue(string key, out string value)
    {
        var lo = 0;
        var hi = _items.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_items[mid].Key, key);
            if (c == 0)
            {
                value = _items[mid].Value;
                return true;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Whether both hold the same attributes.</summary>
    public bool ContentEquals(ResourceAttributes? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._items.Length != _items.Length)
        {
            return false;
        }

        for (var i = 0; i < _items.Length; i++)
        {
            if (!string.Equals(_items[i].Key, other._items[i].Key, StringComparison.Ordinal)
                || !string.Equals(_items[i].Value, other._items[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
