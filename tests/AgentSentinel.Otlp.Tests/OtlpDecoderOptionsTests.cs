using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Tests;

public sealed class OtlpDecoderOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new OtlpDecoderOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(16 * 1024 * 1024, options.MaxRecordBytes);
        Assert.Equal(["gen_ai.agent.name", "service.name"], options.EffectiveResourceAgentAttributes);
        Assert.Equal("gen_ai.agent.name", options.EffectiveSpanAgentAttributes[0]);
        Assert.True(options.InferFromSpanNames);
    }

    [Fact]
    public void The_options_type_is_sealed_and_names_its_section()
    {
        Assert.True(typeof(OtlpDecoderOptions).IsSealed);
        Assert.Equal("Otlp", OtlpDecoderOptions.SectionName);
    }

    [Theory]
    [InlineData(1023, "Otlp:MaxRecordBytes must be between 1024 and 268435456")]
    [InlineData(268435457, "Otlp:MaxRecordBytes must be between 1024 and 268435456")]
    public void Max_record_bytes_out_of_range_is_reported_with_its_key(int value, string message)
    {
        Assert.Equal([message], new OtlpDecoderOptions { MaxRecordBytes = value }.Validate());
    }

    [Theory]
    [InlineData(15, "Otlp:ResourceCacheSize must be between 16 and 65536")]
    [InlineData(65537, "Otlp:ResourceCacheSize must be between 16 and 65536")]
    public void Resource_cache_size_out_of_range_is_reported_with_its_key(int value, string message)
    {
        Assert.Equal([message], new OtlpDecoderOptions { ResourceCacheSize = value }.Validate());
        Assert.Empty(new OtlpDecoderOptions { ResourceCacheSize = 16 }.Validate());
        Assert.Equal(256, new OtlpDecoderOptions().ResourceCacheSize);
    }

    [Fact]
    public void Each_invalid_limit_is_reported_with_its_key()
    {
        var errors = new OtlpDecoderOptions
        {
            MaxSpansPerRecord = 0,
            MaxAttributesPerSpan = -1,
            MaxAnyValueDepth = 65,
            StringCacheSize = 1,
        }.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Otlp:MaxSpansPerRecord must be between 1 and", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Otlp:MaxAttributesPerSpan must be between 1 and", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Otlp:MaxAnyValueDepth must be between 1 and 64", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Otlp:StringCacheSize must be between", StringComparison.Ordinal));
    }

    [Fact]
    public void Agent_key_lists_reject_empty_repeated_and_missing_keys()
    {
        var errors = new OtlpDecoderOptions
        {
            SpanAgentAttributes = ["gen_ai.agent.name", "", "gen_ai.agent.name"],
            ResourceAgentAttributes = null!,
        }.Validate();

        Assert.Equal(
            [
                "Otlp:SpanAgentAttributes:1 must be a non-empty attribute key of at most 256 characters",
                "Otlp:SpanAgentAttributes:2 repeats 'gen_ai.agent.name'",
                "Otlp:ResourceAgentAttributes must be set (it may be empty)",
            ],
            errors);
    }

    [Fact]
    public void Decoders_refuse_invalid_options_at_construction()
    {
        var invalid = new OtlpDecoderOptions { MaxRecordBytes = 0 };
        var error = Assert.Throws<ArgumentException>(() => new OtlpProtoDecoder(invalid));
        Assert.Contains("Otlp:MaxRecordBytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new OtlpJsonDecoder(invalid));
        Assert.Throws<ArgumentException>(() => OtlpDecoders.Create(OtlpEncoding.OtlpProto, invalid));
    }

    [Fact]
    public void The_factory_returns_the_decoder_of_each_encoding()
    {
        Assert.IsType<OtlpProtoDecoder>(OtlpDecoders.Create(OtlpEncoding.OtlpProto));
        Assert.IsType<OtlpJsonDecoder>(OtlpDecoders.Create(OtlpEncoding.OtlpJson, new OtlpDecoderOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => OtlpDecoders.Create((OtlpEncoding)42));
    }
}
