using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace AgentSentinel.Otlp.Internal;

/// <summary>
/// A bounded intern table from UTF-8 bytes to strings, so that the agent, model, provider, tool and service names
/// that repeat in every record do not allocate. Fixed size, two-way set associative, overwrite on collision: memory is
/// bounded whatever the cardinality of the input, and a miss costs one string (the price of an uncached decode).
/// <para>
/// Thread-safe without locks: entries are immutable and published by a single reference write, so a race can only
/// cost an extra allocation, never a wrong string.
/// </para>
/// </summary>
internal sealed class Utf8StringCache
{
    /// <summary>Longer values are decoded but not cached (names are short; long values are never hot).</summary>
    public const int MaxCachedLength = 256;

    private readonly Entry?[] _entries;
    private readonly int _mask;

    public Utf8StringCache(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _entries = new Entry?[size];
        _mask = size - 2; // even slot index: the pair (i, i + 1) is one set
    }

    public int Capacity => _entries.Length;

    public string GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        return utf8.Length > MaxCachedLength ? Encoding.UTF8.GetString(utf8) : GetOrAddEntry(utf8).Value;
    }

    /// <summary>The cached entry for a non-empty value of at most <see cref="MaxCachedLength"/> bytes.</summary>
    public Entry GetOrAddEntry(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var slot = (int)(hash ^ (hash >> 29)) & _mask;
        var entries = _entries;
        var first = entries[slot];
        if (first is not null && first.Hash == hash && utf8.SequenceEqual(first.Utf8))
        {
            return first;
        }

        var second = entries[slot + 1];
        if (second is not null && second.Hash == hash && utf8.SequenceEqual(second.Utf8))
        {
            return second;
        }

        var entry = new Entry(hash, utf8.ToArray(), Encoding.UTF8.GetString(utf8));

        // Fill an empty way first; otherwise demote the first way and overwrite it (a cheap LRU-ish policy).
        if (first is null)
        {
            entries[slot] = entry;
        }
        else
        {
            entries[slot + 1] = first;
            entries[slot] = entry;
        }

        return entry;
    }

    /// <summary>
    /// Mixes the length and the first, middle and last 8 bytes (short values: all their bytes): constant time whatever
    /// the length. Values that agree on those bytes share a set; correctness never depends on the hash (bytes are compared).
    /// </summary>
    internal static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        ulong first, middle, last;
        var length = bytes.Length;
        if (length >= 8)
        {
            first = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            middle = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice((length - 8) >> 1));
            last = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(length - 8));
        }
        else
        {
            first = 0;
            for (var i = 0; i < length; i++)
            {
                first |= (ulong)bytes[i] << (i * 8);
            }

            middle = last = 0;
        }

        var h = ((ulong)length * 0x9E3779B97F4A7C15UL) ^ (first * 0xC2B2AE3D27D4EB4FUL) ^ (middle * 0x165667B19E3779F9UL) ^ (last * 0xD6E8FEB86659FD93UL);
        h ^= h >> 32;
        h *= 0x9E3779B97F4A7C15UL;
        return h ^ (h >> 29);
    }

    /// <summary>An interned value and its UTF-8 bytes (immutable).</summary>
    internal sealed class Entry(ulong hash, byte[] utf8, string value)
    {
        public ulong Hash { get; } = hash;

        public byte[] Utf8 { get; } = utf8;

        public string Value { get; } = value;
    }
}
