using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Internal;

/// <summary>
/// Interns <see cref="ResourceAttributes"/> across records: the same resource arrives with every batch of an agent, so a
/// repeated resource costs one hash and one byte comparison, and no allocation. Keyed by the resource's decoded content
/// in a compact encoding (see <see cref="TryAppend"/>), so protobuf and JSON records of one resource share an entry.
/// Fixed size, two-way set associative, overwrite on collision: memory stays bounded whatever the number of distinct
/// resources, and a miss costs one new instance (what an uncached decode would cost).
/// <para>
/// Thread-safe without locks, like <see cref="Utf8StringCache"/>: entries are immutable and published by a single
/// reference write, so a race can only cost an extra instance, never a wrong one.
/// </para>
/// </summary>
internal sealed class ResourceAttributesCache
{
    /// <summary>The largest encoded resource; attributes that would take it past this are dropped (bounds memory per entry).</summary>
    public const int MaxEncodedLength = 8 * 1024;

    /// <summary>A key of more UTF-8 bytes has more than <see cref="ResourceAttributes.MaxKeyLength"/> characters.</summary>
    public const int MaxKeyBytes = 3 * ResourceAttributes.MaxKeyLength;

    /// <summary>A value of more UTF-8 bytes has more than <see cref="ResourceAttributes.MaxValueLength"/> characters.</summary>
    public const int MaxValueBytes = 3 * ResourceAttributes.MaxValueLength;

    private readonly Entry?[] _entries;
    private readonly int _mask;
    private readonly Utf8StringCache _keys;

    /// <param name="keys">Intern table for attribute keys (<c>service.name</c> repeats in every resource).</param>
    /// <param name="capacity">Entries (rounded up to a power of two).</param>
    public ResourceAttributesCache(Utf8StringCache keys, int capacity)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _entries = new Entry?[size];
        _mask = size - 2; // even slot index: the pair (i, i + 1) is one set
        _keys = keys;
    }

    public int Capacity => _entries.Length;

    /// <summary>
    /// Appends one attribute (UTF-8 key and value) to an encoded resource: a little-endian 32-bit length and the bytes, for
    /// the key then the value. Keys or values that cannot fit the <see cref="ResourceAttributes"/> bounds, and attributes
    /// past <see cref="MaxEncodedLength"/>, are dropped (false). <paramref name="buffer"/> grows as needed, up to that bound.
    /// </summary>
    public static bool TryAppend(ref byte[] buffer, ref int length, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.IsEmpty || key.Length > MaxKeyBytes || value.Length > MaxValueBytes)
        {
            return false;
        }

        var needed = 8 + key.Length + value.Length;
        if (length + needed > MaxEncodedLength)
        {
            return false;
        }

        if (length + needed > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Min(MaxEncodedLength, Math.Max(length + needed, buffer.Length * 2)));
        }

        var destination = buffer.AsSpan(length, needed);
        BinaryPrimitives.WriteInt32LittleEndian(destination, key.Length);
        key.CopyTo(destination[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(4 + key.Length)..], value.Length);
        value.CopyTo(destination[(8 + key.Length)..]);
        length += needed;
        return true;
    }

    /// <summary>The shared instance for an encoded resource (<see cref="ResourceAttributes.Empty"/> for no attributes).</summary>
    public ResourceAttributes GetOrAdd(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            return ResourceAttributes.Empty;
        }

        var hash = Hash(encoded);
        var slot = (int)(hash ^ (hash >> 32)) & _mask;
        var entries = _entries;
        var first = entries[slot];
        if (first is not null && first.Hash == hash && encoded.SequenceEqual(first.Encoded))
        {
            return first.Value;
        }

        var second = entries[slot + 1];
        if (second is not null && second.Hash == hash && encoded.SequenceEqual(second.Encoded))
        {
            return second.Value;
        }

        var value = Decode(encoded, _keys);

        // Another encoding of the same content (attributes in another order, duplicates, dropped values) in this set:
        // keep one instance per content where it is cheap to see.
        if (first is not null && first.Value.ContentEquals(value))
        {
            value = first.Value;
        }
        else if (second is not null && second.Value.ContentEquals(value))
        {
            value = second.Value;
        }

        var entry = new Entry(hash, encoded.ToArray(), value);
        if (first is null)
        {
            entries[slot] = entry;
        }
        else
        {
            entries[slot + 1] = first;
            entries[slot] = entry;
        }

        return value;
    }

    /// <summary>Builds the attributes of an encoded resource (bounds and duplicate rules of <see cref="ResourceAttributes.Create"/>).</summary>
    internal static ResourceAttributes Decode(ReadOnlySpan<byte> encoded, Utf8StringCache keys)
    {
        var items = new List<KeyValuePair<string, string>>();
        var pos = 0;
        while (pos + 8 <= encoded.Length)
        {
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(encoded[pos..]);
            var key = encoded.Slice(pos + 4, keyLength);
            pos += 4 + keyLength;
            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(encoded[pos..]);
            var value = encoded.Slice(pos + 4, valueLength);
            pos += 4 + valueLength;
            items.Add(new(keys.GetOrAdd(key), Encoding.UTF8.GetString(value)));
        }

        return ResourceAttributes.Create(items);
    }

    /// <summary>A 64-bit hash of every byte, eight at a time (the encoding is a few hundred bytes, hashed once per resource).</summary>
    internal static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        var h = (ulong)bytes.Length * 0x9E3779B97F4A7C15UL;
        var i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            h = BitOperations.RotateLeft(h ^ (BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]) * 0xC2B2AE3D27D4EB4FUL), 31) * 0x165667B19E3779F9UL;
        }

        ulong tail = 0;
        for (var shift = 0; i < bytes.Length; i++, shift += 8)
        {
            tail |= (ulong)bytes[i] << shift;
        }

        h = BitOperations.RotateLeft(h ^ (tail * 0xC2B2AE3D27D4EB4FUL), 31) * 0x165667B19E3779F9UL;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        return h ^ (h >> 33);
    }

    /// <summary>An encoded resource and its shared instance (immutable).</summary>
    private sealed class Entry(ulong hash, byte[] encoded, ResourceAttributes value)
    {
        public ulong Hash { get; } = hash;

        public byte[] Encoded { get; } = encoded;

        public ResourceAttributes Value { get; } = value;
    }
}
