namespace AgentSentinel.Core.Spans;

/// <summary>The encodings the Collector's kafka exporter writes for traces that we read.</summary>
public enum OtlpEncoding
{
    OtlpProto,
    OtlpJson,
}

/// <summary>Why a record could not be decoded. A closed set: it is used as a metric label and a dead-letter header.</summary>
public enum DecodeErrorKind
{
    None = 0,
    /// <summary>The record value was empty or null.</summary>
    Empty,
    /// <summary>The record is larger than the configured limit; it was not parsed.</summary>
    TooLarge,
    /// <summary>The payload ended inside a field.</summary>
    Truncated,
    /// <summary>Not valid protobuf / JSON, or a field has the wrong type.</summary>
    Malformed,
    /// <summary>A configured limit (spans, attributes, nesting depth) was exceeded.</summary>
    LimitExceeded,
}

/// <summary>A rejected record: the kind (bounded) and a short reason for the dead-letter header. Never span content.</summary>
public readonly record struct DecodeFailure(DecodeErrorKind Kind, string Reason)
{
    public static readonly DecodeFailure None = new(DecodeErrorKind.None, string.Empty);

    public static string KindName(DecodeErrorKind kind) => kind switch
    {
        DecodeErrorKind.Empty => "empty",
        DecodeErrorKind.TooLarge => "too_large",
        DecodeErrorKind.Truncated => "truncated",
        DecodeErrorKind.Malformed => "malformed",
        DecodeErrorKind.LimitExceeded => "limit_exceeded",
        _ => "none",
    };
}

/// <summary>
/// Turns one Kafka record value into normalised spans. Never throws on bad input: it returns false
/// with a <see cref="DecodeFailure"/>, and leaves <paramref name="into"/> empty.
/// </summary>
public interface ISpanDecoder
{
    bool TryDecode(ReadOnlySpan<byte> payload, SpanBatch into, out DecodeFailure failure);
}
