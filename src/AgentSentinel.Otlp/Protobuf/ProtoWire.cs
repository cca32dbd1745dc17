using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Protobuf;

/// <summary>
/// Protobuf wire primitives in a register-friendly style: every read takes the position and returns the next one
/// (negative = an <see cref="WireError"/>), so the callers' position never has its address taken and stays in a register.
/// The one-byte cases (almost every tag and most lengths in OTLP) are inlined; longer varints take the slow path.
/// </summary>
internal static class ProtoWire
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    private const int MaxGroupDepth = 64;

    /// <summary>Reads a tag; field number 0 and tags beyond 32 bits are malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadTag(ReadOnlySpan<byte> data, int pos, int end, out uint tag)
    {
        if ((uint)pos < (uint)end && (uint)pos < (uint)data.Length)
        {
            uint b = data[pos];
            if (b < 0x80)
            {
                tag = b;
                return b >= 8 ? pos + 1 : WireError.FieldZero;
            }
        }

        (var value, pos) = ReadVarintSlow(data, pos, end);
        tag = (uint)value;
        return pos < 0 ? pos : value is < 8 or > uint.MaxValue ? WireError.InvalidTag : pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarint(ReadOnlySpan<byte> data, int pos, int end, out ulong value)
    {
        if ((uint)pos < (uint)end && (uint)pos < (uint)data.Length)
        {
            ulong b = data[pos];
            if (b < 0x80)
            {
                value = b;
                return pos + 1;
            }

            // Two bytes: lengths of 128..16383 (most spans and content strings).
            if ((uint)(pos + 1) < (uint)end && (uint)(pos + 1) < (uint)data.Length)
            {
                ulong b2 = data[pos + 1];
                if (b2 < 0x80)
                {
                    value = (b & 0x7F) | (b2 << 7);
                    return pos + 2;
                }
            }
        }

        (value, pos) = ReadVarintSlow(data, pos, end);
        return pos;
    }

    /// <summary>Reads a length prefix and checks that the content fits before <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadLength(ReadOnlySpan<byte> data, int pos, int end, out int length)
    {
        pos = ReadVarint(data, pos, end, out var value);
        if (pos < 0)
        {
            length = 0;
            return pos;
        }

        if (value > (ulong)(end - pos))
        {
            length = 0;
            return WireError.LengthPastEnd;
        }

        length = (int)value;
        return pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadFixed64(ReadOnlySpan<byte> data, int pos, int end, out ulong value)
    {
        if (end - pos < 8)
        {
            value = 0;
            return WireError.FixedPastEnd;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(pos, 8));
        return pos + 8;
    }

    /// <summary>Skips one field of any wire type (groups included, nested up to 64 deep).</summary>
    public static int SkipField(ReadOnlySpan<byte> data, int pos, int end, uint tag) => SkipField(data, pos, end, tag, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (ulong Value, int Pos) ReadVarintSlow(ReadOnlySpan<byte> data, int pos, int end)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= end || (uint)pos >= (uint)data.Length)
            {
                return (0, WireError.VarintPastEnd);
            }

            ulong b = data[pos++];
            if (shift == 63 && b > 1)
            {
                return (0, WireError.VarintTooLong);
            }

            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (value, pos);
            }
        }

        return (0, WireError.VarintTooLong);
    }

    private static int SkipField(ReadOnlySpan<byte> data, int pos, int end, uint tag, int groupDepth)
    {
        switch ((int)(tag & 7))
        {
            case Varint:
                return ReadVarint(data, pos, end, out _);
            case Fixed64:
                return end - pos < 8 ? WireError.FixedPastEnd : pos + 8;
            case LengthDelimited:
                pos = ReadLength(data, pos, end, out var length);
                return pos < 0 ? pos : pos + length;
            case Fixed32:
                return end - pos < 4 ? WireError.FixedPastEnd : pos + 4;
            case StartGroup:
                return SkipGroup(data, pos, end, tag >> 3, groupDepth + 1);
            case EndGroup:
                return WireError.UnexpectedEndGroup;
            default:
                return WireError.InvalidWireType;
        }
    }

    private static int SkipGroup(ReadOnlySpan<byte> data, int pos, int end, uint field, int depth)
    {
        if (depth > MaxGroupDepth)
        {
            return WireError.GroupTooDeep;
        }

        while (pos < end)
        {
            pos = ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return pos;
            }

            if ((tag & 7) == EndGroup)
            {
                return (tag >> 3) == field ? pos : WireError.UnexpectedEndGroup;
            }

            pos = SkipField(data, pos, end, tag, depth);
            if (pos < 0)
            {
                return pos;
            }
        }

        return WireError.GroupPastEnd;
    }
}

/// <summary>Negative positions returned by <see cref="ProtoWire"/>, and what they mean.</summary>
internal static class WireError
{
    public const int VarintPastEnd = -1;
    public const int LengthPastEnd = -2;
    public const int FixedPastEnd = -3;
    public const int GroupPastEnd = -4;
    public const int VarintTooLong = -10;
    public const int FieldZero = -11;
    public const int InvalidTag = -12;
    public const int InvalidWireType = -13;
    public const int UnexpectedEndGroup = -14;
    public const int GroupTooDeep = -15;

    public static DecodeErrorKind Kind(int error) => error >= GroupPastEnd ? DecodeErrorKind.Truncated : DecodeErrorKind.Malformed;

    public static string Reason(int error) => error switch
    {
        VarintPastEnd => "varint runs past the message",
        LengthPastEnd => "length runs past the message",
        FixedPastEnd => "fixed-size field runs past the message",
        GroupPastEnd => "group runs past the message",
        VarintTooLong => "varint longer than 64 bits",
        FieldZero => "field number 0",
        InvalidTag => "invalid field tag",
        InvalidWireType => "invalid wire type",
        UnexpectedEndGroup => "unexpected or mismatched end-group tag",
        GroupTooDeep => "groups nested too deeply",
        _ => "invalid protobuf",
    };
}
