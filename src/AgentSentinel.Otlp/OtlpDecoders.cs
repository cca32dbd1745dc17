using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp;

/// <summary>Creates the decoder for a topic's encoding.</summary>
public static class OtlpDecoders
{
    /// <summary>
    /// A decoder for <paramref name="encoding"/>. Decoders are thread-safe and allocation-free in steady state; share one
    /// per encoding. Throws <see cref="ArgumentException"/> if <paramref name="options"/> are invalid.
    /// </summary>
    public static ISpanDecoder Create(OtlpEncoding encoding, OtlpDecoderOptions? options = null) => encoding switch
    {
        OtlpEncoding.OtlpProto => new OtlpProtoDecoder(options),
        OtlpEncoding.OtlpJson => new OtlpJsonDecoder(options),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown OTLP encoding"),
    };
}
