using System.Buffers.Binary;

namespace AgentSentinel.Otlp.Internal;

/// <summary>
/// 64-bit FNV-1a. Deterministic across processes and machines (unlike <see cref="HashCode"/>, which is
/// randomised per process), so tool argument and result fingerprints can be compared between replicas and replays.
/// </summary>
internal struct Fnv1a64
{
    public const ulong OffsetBasis = 14695981039346656037UL;
    public const ulong Prime = 1099511628211UL;

    private ulong _hash;

    private Fnv1a64(ulong seed) => _hash = seed;

    public static Fnv1a64 Create() => new(OffsetBasis);

    public readonly ulong Value => _hash;

    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        var h = OffsetBasis;
        foreach (var b in bytes)
        {
            h = (h ^ b) * Prime;
        }

        return h;
    }

    public void Append(byte value) => _hash = (_hash ^ value) * Prime;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        var h = _hash;
        foreach (var b in bytes)
        {
            h = (h ^ b) * Prime;
        }

        _hash = h;
    }

    public void AppendInt32(int value)
    {
        Span<byte> tmp = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(tmp, value);
        Append(tmp);
    }

    public void AppendInt64(long value)
    {
        Span<byte> tmp = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(tmp, value);
        Append(tmp);
    }

    /// <summary>A length-prefixed byte string (used by the canonical encoding of structured values).</summary>
    public void AppendBlock(byte tag, ReadOnlySpan<byte> bytes)
    {
        Append(tag);
        AppendInt32(bytes.Length);
        Append(bytes);
    }

    /// <summary>0 means "none reported" in <c>AgentSpan</c>; a real hash of 0 is moved to 1.</summary>
    public static ulong NonZero(ulong hash) => hash == 0 ? 1 : hash;
}
