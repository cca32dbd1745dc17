using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Normalization;
using AgentSentinel.Otlp.Protobuf;

namespace AgentSentinel.Otlp;

/// <summary>
/// Decodes an <c>otlp_proto</c> record value (raw <c>ExportTraceServiceRequest</c> / <c>TracesData</c> bytes, no framing)
/// into normalised spans, reading the wire format by hand: no Google.Protobuf on this path, no allocation per span or
/// attribute in steady state (names come from a bounded intern table). Thread-safe: share one instance.
/// Never throws on bad input: returns false with a <see cref="DecodeFailure"/> and leaves the batch empty.
/// </summary>
public sealed class OtlpProtoDecoder : ISpanDecoder
{
    private static readonly DecodeFailure EmptyFailure = new(DecodeErrorKind.Empty, "record value is empty");
    private static readonly DecodeFailure TooLargeFailure = new(DecodeErrorKind.TooLarge, "record exceeds Otlp:MaxRecordBytes");
    private static readonly DecodeFailure InternalFailure = new(DecodeErrorKind.Malformed, "decoder rejected an unexpected input state");

    private readonly NormalizerSettings _settings;
    private readonly int _maxRecordBytes;
    private readonly int _maxSpans;
    private readonly int _maxAttributes;
    private readonly int _maxDepth;

    /// <summary>Creates a decoder; throws <see cref="ArgumentException"/> if <paramref name="options"/> are invalid.</summary>
    public OtlpProtoDecoder(OtlpDecoderOptions? options = null)
    {
        options ??= new OtlpDecoderOptions();
        options.ThrowIfInvalid();
        _settings = new NormalizerSettings(options);
        _maxRecordBytes = options.MaxRecordBytes;
        _maxSpans = options.MaxSpansPerRecord;
        _maxAttributes = options.MaxAttributesPerSpan;
        _maxDepth = options.MaxAnyValueDepth;
    }

    /// <summary>
    /// Clears <paramref name="into"/> and fills it with the spans of <paramref name="payload"/>. On failure the batch is left
    /// empty and <paramref name="failure"/> says why (a bounded kind and a short reason without content).
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> payload, SpanBatch into, out DecodeFailure failure)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (payload.IsEmpty)
        {
            failure = EmptyFailure;
            return false;
        }

        if (payload.Length > _maxRecordBytes)
        {
            failure = TooLargeFailure;
            return false;
        }

        var normalizer = SpanNormalizer.Rent(_settings, into);
        try
        {
            var reader = new ProtoSpanReader(payload, normalizer, _settings.Keys, _maxSpans, _maxAttributes, _maxDepth);
            if (reader.ReadRequest())
            {
                failure = DecodeFailure.None;
                return true;
            }

            failure = reader.Failure;
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException)
        {
            // Defence in depth for the "never throw on bad input" contract; the tests assert this is never reached.
            failure = InternalFailure;
        }
        finally
        {
            SpanNormalizer.Return(normalizer);
        }

        into.Clear();
        return false;
    }
}
