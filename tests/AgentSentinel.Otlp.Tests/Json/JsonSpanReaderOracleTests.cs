using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;

namespace AgentSentinel.Otlp.Tests.Json;

/// <summary>The JSON reader against the generated types: the same random requests, written in random OTLP/JSON dialects.</summary>
public sealed class JsonSpanReaderOracleTests
{
    private const int RequestsPerSeed = 25;

    public static TheoryData<int> Seeds => [11, 12, 13, 14, 15, 16, 17, 18];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_requests_in_any_dialect_decode_to_the_same_spans_as_the_generated_types(int seed)
    {
        var generator = new RandomRequests(seed);
        var random = new Random(seed);
        var decoder = new OtlpJsonDecoder();
        var batch = new SpanBatch();
        for (var i = 0; i < RequestsPerSeed; i++)
        {
            var request = generator.Next();
            var dialect = JsonDialect.Random(random);
            var json = OtlpJsonWriter.Write(request, dialect);

            Assert.True(decoder.TryDecode(json, batch, out var failure), $"seed {seed} #{i} {dialect}: {failure}");
            SpanAssert.Equal(ReferenceMapper.Map(request), batch.ToArray());
        }
    }

    [Fact]
    public void Both_decoders_agree_on_random_requests()
    {
        var generator = new RandomRequests(99);
        var proto = new OtlpProtoDecoder();
        var json = new OtlpJsonDecoder();
        var fromProto = new SpanBatch();
        var fromJson = new SpanBatch();
        for (var i = 0; i < 40; i++)
        {
            var request = generator.Next();
            Assert.True(proto.TryDecode(Google.Protobuf.MessageExtensions.ToByteArray(request), fromProto, out _));
            Assert.True(json.TryDecode(OtlpJsonWriter.Write(request), fromJson, out _));
            SpanAssert.Equal(fromProto.ToArray(), fromJson.ToArray());
        }
    }
}
