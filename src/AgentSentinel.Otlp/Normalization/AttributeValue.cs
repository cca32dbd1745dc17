using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>The OTLP <c>AnyValue</c> cases.</summary>
internal enum AnyValueKind : byte
{
    Empty = 0,
    String,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    KeyValueList,
}

/// <summary>
/// One attribute value as a reader saw it, without copying: the bytes point into the payload (or a reader's
/// scratch buffer) and are only valid during the call that receives the value.
/// </summary>
internal readonly ref struct AttributeValue
{
    private AttributeValue(AnyValueKind kind, ReadOnlySpan<byte> utf8, long integer, double real, int offset, bool isEscaped, ulong structureHash)
    {
        Kind = kind;
        Utf8 = utf8;
        Int = integer;
        Double = real;
        Offset = offset;
        IsEscaped = isEscaped;
        StructureHash = structureHash;
    }

    public AnyValueKind Kind { get; }

    /// <summary>String (UTF-8) or bytes content. For a raw JSON string (<see cref="IsEscaped"/>) escapes are not processed.</summary>
    public ReadOnlySpan<byte> Utf8 { get; }

    /// <summary>Int value; for Bool, 1 or 0.</summary>
    public long Int { get; }

    public double Double { get; }

    /// <summary>Where <see cref="Utf8"/> starts in the payload, or -1 if it does not point into the payload.</summary>
    public int Offset { get; }

    /// <summary>True when <see cref="Utf8"/> is the raw content of a JSON string that still contains escapes.</summary>
    public bool IsEscaped { get; }

    /// <summary>For an array or key-value list whose key asked for it: the canonical structure hash; else 0.</summary>
    public ulong StructureHash { get; }

    public bool Bool => Int != 0;

    public static AttributeValue Empty => default;

    /// <summary>A decoded string (escapes already processed).</summary>
    public static AttributeValue String(ReadOnlySpan<byte> utf8, int offset = -1) =>
        new(AnyValueKind.String, utf8, 0, 0, offset, false, 0);

    /// <summary>The raw content of a JSON string at <paramref name="offset"/> in the payload (escapes not processed).</summary>
    public static AttributeValue RawJsonString(ReadOnlySpan<byte> raw, int offset, bool isEscaped) =>
        new(AnyValueKind.String, raw, 0, 0, offset, isEscaped, 0);

    public static AttributeValue FromBool(bool value) => new(AnyValueKind.Bool, default, value ? 1 : 0, 0, -1, false, 0);

    public static AttributeValue FromInt(long value) => new(AnyValueKind.Int, default, value, 0, -1, false, 0);

    public static AttributeValue FromDouble(double value) => new(AnyValueKind.Double, default, 0, value, -1, false, 0);

    public static AttributeValue FromBytes(ReadOnlySpan<byte> bytes) => new(AnyValueKind.Bytes, bytes, 0, 0, -1, false, 0);

    public static AttributeValue Structure(AnyValueKind kind, ulong structureHash) => new(kind, default, 0, 0, -1, false, structureHash);

    /// <summary>A non-empty string usable as-is (not a raw escaped JSON string).</summary>
    public bool IsPlainString
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Kind == AnyValueKind.String && !IsEscaped && !Utf8.IsEmpty;
    }

    /// <summary>Reads a count: an int, an integral finite double, or a decimal string (Langfuse-style exports). Negative counts are rejected.</summary>
    public bool TryGetCount(out long value)
    {
        switch (Kind)
        {
            case AnyValueKind.Int:
                value = Int;
                return value >= 0;
            case AnyValueKind.Double when double.IsFinite(Double) && Double >= 0 && Double <= 9.2e18:
                value = (long)Double;
                return true;
            case AnyValueKind.String when !IsEscaped:
                if (Utf8Parser.TryParse(Utf8, out value, out var consumed) && consumed == Utf8.Length)
                {
                    return value >= 0;
                }

                // "123.0" (a float rendered as a string by exporters that stringify every value): integral only.
                value = 0;
                if (Utf8Parser.TryParse(Utf8, out double real, out consumed) && consumed == Utf8.Length
                    && double.IsFinite(real) && real >= 0 && real <= 9.2e18 && real == Math.Floor(real))
                {
                    value = (long)real;
                    return true;
                }

                return false;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Reads a finite number: a double, an int, or a decimal string.</summary>
    public bool TryGetNumber(out double value)
    {
        switch (Kind)
        {
            case AnyValueKind.Double when double.IsFinite(Double):
                value = Double;
                return true;
            case AnyValueKind.Int:
                value = Int;
                return true;
            case AnyValueKind.String when !IsEscaped:
                return Utf8Parser.TryParse(Utf8, out value, out var consumed) && consumed == Utf8.Length && double.IsFinite(value);
            default:
                value = 0;
                return false;
        }
    }
}
