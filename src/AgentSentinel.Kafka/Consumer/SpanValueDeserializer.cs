using AgentSentinel.Core.Spans;
using Confluent.Kafka;

namespace AgentSentinel.Kafka.Consumer;

/// <summary>
/// A record value after decoding: the spans on success; on failure the reason and a copy of the original
/// bytes for the dead-letter topic. A struct, so that decoding adds no allocation beyond the span array.
/// </summary>
internal readonly struct DecodedValue
{
    private DecodedValue(AgentSpan[]? spans, DecodeFailure failure, byte[]? rawValue, OtlpEncoding encoding)
    {
        Spans = spans;
        Failure = failure;
        RawValue = rawValue;
        Encoding = encoding;
    }

    /// <summary>The decoded spans; null when decoding failed.</summary>
    public AgentSpan[]? Spans { get; }

    public DecodeFailure Failure { get; }

    /// <summary>The original value (null for a null value); set only when decoding failed.</summary>
    public byte[]? RawValue { get; }

    public OtlpEncoding Encoding { get; }

    public static DecodedValue Decoded(AgentSpan[] spans, OtlpEncoding encoding) => new(spans, DecodeFailure.None, null, encoding);

    public static DecodedValue Failed(DecodeFailure failure, byte[]? rawValue, OtlpEncoding encoding) => new(null, failure, rawValue, encoding);
}

/// <summary>
/// Decodes straight from librdkafka's buffer (no intermediate copy of the value) with the decoder of the
/// record's topic. Called only on the consume thread, so the decoders and their reusable batches need no locking.
/// Never throws: a bad payload becomes a failed <see cref="DecodedValue"/>.
/// </summary>
internal sealed class SpanValueDeserializer : IDeserializer<DecodedValue>
{
    private readonly Dictionary<string, Binding> _byTopic;

    public SpanValueDeserializer(IReadOnlyDictionary<string, OtlpEncoding> topics, Func<OtlpEncoding, ISpanDecoder> decoderFactory)
    {
        var byEncoding = new Dictionary<OtlpEncoding, Binding>();
        _byTopic = new Dictionary<string, Binding>(StringComparer.Ordinal);
        foreach (var (topic, encoding) in topics)
        {
            if (!byEncoding.TryGetValue(encoding, out var binding))
            {
                var decoder = decoderFactory(encoding)
                    ?? throw new InvalidOperationException($"The decoder factory returned null for {encoding}.");
                binding = new Binding(decoder, new SpanBatch(), encoding);
                byEncoding.Add(encoding, binding);
            }

            _byTopic.Add(topic, binding);
        }
    }

    public DecodedValue Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (!_byTopic.TryGetValue(context.Topic, out var binding))
        {
            return DecodedValue.Failed(new DecodeFailure(DecodeErrorKind.Malformed, "no decoder configured for the topic"), isNull ? null : data.ToArray(), default);
        }

        if (isNull)
        {
            return DecodedValue.Failed(new DecodeFailure(DecodeErrorKind.Empty, "record value is null"), null, binding.Encoding);
        }

        if (data.IsEmpty)
        {
            return DecodedValue.Failed(new DecodeFailure(DecodeErrorKind.Empty, "record value is empty"), [], binding.Encoding);
        }

        var batch = binding.Batch;
        batch.Clear();
        try
        {
            if (binding.Decoder.TryDecode(data, batch, out var failure))
            {
                return DecodedValue.Decoded(batch.Count == 0 ? [] : batch.ToArray(), binding.Encoding);
            }

            if (failure.Kind == DecodeErrorKind.None)
            {
                failure = new DecodeFailure(DecodeErrorKind.Malformed, failure.Reason is { Length: > 0 } r ? r : "decoder rejected the record");
            }

            return DecodedValue.Failed(failure, data.ToArray(), binding.Encoding);
        }
#pragma warning disable CA1031 // The decoder contract is "never throws"; if one does, the record is dead-lettered, not the loop killed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return DecodedValue.Failed(new DecodeFailure(DecodeErrorKind.Malformed, "decoder threw " + e.GetType().Name), data.ToArray(), binding.Encoding);
        }
        finally
        {
            batch.Clear();
        }
    }

    private sealed record Binding(ISpanDecoder Decoder, SpanBatch Batch, OtlpEncoding Encoding);
}

/// <summary>Record keys as bytes, null kept null (the Collector writes null or a 32-character hex trace id).</summary>
internal sealed class NullableBytesDeserializer : IDeserializer<byte[]?>
{
    public static readonly NullableBytesDeserializer Instance = new();

    public byte[]? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? null : data.ToArray();
}
