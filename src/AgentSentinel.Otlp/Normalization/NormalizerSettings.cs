using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>Everything a <see cref="SpanNormalizer"/> needs from the decoder's options; built once per decoder.</summary>
internal sealed class NormalizerSettings
{
    public NormalizerSettings(OtlpDecoderOptions options, Utf8StringCache? strings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Keys = new AttributeKeyTable([.. options.EffectiveSpanAgentAttributes], [.. options.EffectiveResourceAgentAttributes]);
        Strings = strings ?? new Utf8StringCache(options.StringCacheSize);
        Resources = new ResourceAttributesCache(Strings, options.ResourceCacheSize);
        InferFromSpanNames = options.InferFromSpanNames;
    }

    public AttributeKeyTable Keys { get; }

    public Utf8StringCache Strings { get; }

    /// <summary>Shared resource attribute sets, interned across records.</summary>
    public ResourceAttributesCache Resources { get; }

    public bool InferFromSpanNames { get; }
}
