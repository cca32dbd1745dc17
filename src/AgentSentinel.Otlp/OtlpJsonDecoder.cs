using System.Text.Json;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Json;
using AgentSentinel.Otlp.Normalization;

namespace AgentSentinel.Otlp;

/// <summary>
/// Decodes an <c>otlp_json</c> record value (OTLP/JSON <c>ExportTraceServiceRequest</c>) into normalised spans with a
/// forward-only <see cref="Utf8JsonReader"/>: no DOM, no allocation per attribute or span in steady state.
/// Accepts the OTLP/JSON quirks seen in the wild (see docs/wire-formats.md §2.3). Thread-safe: share one instance.
/// Never throws on bad input: returns false with a <see cref="DecodeFailure"/> and leaves the batch empty.
/// </summary>
public sealed class OtlpJsonDecoder : ISpanDecoder
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static readonly DecodeFailure EmptyFailure = new(DecodeErrorKind.Empty, "record value is empty");
    private static readonly DecodeFailure TooLargeFailure = new(DecodeErrorKind.TooLarge, "record exceeds Otlp:MaxRecordBytes");
    private static readonly DecodeFailure InvalidJsonFailure = new(DecodeErrorKind.Malformed, "invalid JSON");

    private readonly NormalizerSettings _settings;
    private readonly int _maxRecordBytes;
    private readonly int _maxSpans;
    private readonly int _maxAttributes;
    private readonly int _maxDepth;
    private readonly JsonReaderOptions _readerOptions;

    /// <summary>Creates a decoder; throws <see cref="ArgumentException"/> if <paramref name="options"/> are invalid.</summary>
    public OtlpJsonDecoder(OtlpDecoderOptions? options = null)
    {
        options ??= new OtlpDecoderOptions();
        options.ThrowIfInvalid();
        _settings = new NormalizerSettings(options);
        _maxRecordBytes = options.MaxRecordBytes;
        _maxSpans = options.MaxSpansPerRecord;
        _maxAttributes = options.MaxAttributesPerSpan;
        _maxDepth = options.MaxAnyValueDepth;

        // Each level of AnyValue nesting costs three JSON levels ({"arrayValue":{"values":[...); the envelope about ten.
        _readerOptions = new JsonReaderOptions
        {
            MaxDepth = (3 * options.MaxAnyValueDepth) + 16,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        };
    }

    /// <summary>
    /// Clears <paramref name="into"/> and fills it with the spans of <paramref name="payload"/>. On failure the batch is left
    /// empty and <paramref name="failure"/> says why (a bounded kind and a short reason without content).
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> payload, SpanBatch into, out DecodeFailure failure)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (payload.StartsWith(Utf8Bom))
        {
            payload = payload[Utf8Bom.Length..];
        }

        if (payload.IsEmpty || payload.IndexOfAnyExcept(" \t\r\n"u8) < 0)
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
            // Not the final block: running out of input makes Read() return false (Truncated) instead of throwing.
            var reader = new Utf8JsonReader(payload, isFinalBlock: false, new JsonReaderState(_readerOptions));
            var spans = new JsonSpanReader(payload, normalizer, _settings.Keys, _maxSpans, _maxAttributes, _maxDepth);
            if (spans.ReadRequest(ref reader))
            {
                failure = DecodeFailure.None;
                return true;
            }

            failure = spans.Failure;
        }
        catch (JsonException)
        {
            failure = InvalidJsonFailure;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader reports invalid UTF-8 inside strings this way when a value is unescaped.
            failure = InvalidJsonFailure;
        }
        finally
        {
            SpanNormalizer.Return(normalizer);
        }

        into.Clear();
        return false;
    }
}
