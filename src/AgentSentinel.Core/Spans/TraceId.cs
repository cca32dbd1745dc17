using System.Buffers.Binary;
using System.Globalization;

namespace AgentSentinel.Core.Spans;

/// <summary>A 16-byte W3C trace id held as two big-endian halves; renders as 32 lower-case hex digits.</summary>
public readonly record struct TraceId(ulong High, ulong Low)
{
    public bool IsEmpty => High == 0 && Low == 0;

    /// <summary>Reads the 16 raw bytes of an OTLP trace id; any other length gives <c>default</c>.</summary>
    public static TraceId FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 16
            ? new TraceId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]))
            : default;

    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>Parses 32 hex digits of either case.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out TraceId id)
    {
        id = default;
        if (hex.Length != 32
            || !ulong.TryParse(hex[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !ulong.TryParse(hex[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        id = new TraceId(high, low);
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{High:x16}{Low:x16}");
}

/// <summary>An 8-byte span id; zero means absent (a root span has no parent).</summary>
public readonly record struct SpanId(ulong Value)
{
    public bool IsEmpty => Value == 0;

    public static SpanId FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 8 ? new SpanId(BinaryPrimitives.ReadUInt64BigEndian(bytes)) : default;

    public static bool TryParseHex(ReadOnlySpan<char> hex, out SpanId id)
    {
        id = default;
        if (hex.Length != 16 || !ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        id = new SpanId(value);
        return true;
    }

    public override string ToString() => Value.ToString("x16", CultureInfo.InvariantCulture);
}
