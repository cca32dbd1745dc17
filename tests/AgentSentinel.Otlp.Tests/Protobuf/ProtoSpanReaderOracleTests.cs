using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Protobuf;

/// <summary>The hand-written protobuf reader against the Google.Protobuf-generated parser as oracle.</summary>
public sealed class ProtoSpanReaderOracleTests
{
    private const int RequestsPerSeed = 25;

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_requests_decode_to_the_same_spans_as_the_generated_parser(int seed)
    {
        var generator = new RandomRequests(seed);
        var decoder = new OtlpProtoDecoder();
        var batch = new SpanBatch();
        for (var i = 0; i < RequestsPerSeed; i++)
        {
            var bytes = generator.Next().ToByteArray();
            var oracle = ExportTraceServiceRequest.Parser.ParseFrom(bytes);

            Assert.True(decoder.TryDecode(bytes, batch, out var failure), $"seed {seed} #{i}: {failure}");
            SpanAssert.Equal(ReferenceMapper.Map(oracle), batch.ToArray());
            AssertWireFieldsMatch(oracle, batch);
        }
    }

    [Fact]
    public void Fields_in_any_order_decode_like_the_generated_parser()
    {
        // Concatenated serialisations of single-field messages merge (protobuf semantics), so a span can be written
        // field by field in any order; the oracle parses the same bytes.
        var random = new Random(42);
        var generator = new RandomRequests(42);
        var decoder = new OtlpProtoDecoder();
        var batch = new SpanBatch();
        for (var i = 0; i < 30; i++)
        {
            var request = generator.Next();
            var shuffled = new ExportTraceServiceRequest();
            foreach (var rs in request.ResourceSpans)
            {
                foreach (var ss in rs.ScopeSpans)
                {
                    var spans = ss.Spans.ToList();
                    ss.Spans.Clear();
                    foreach (var span in spans)
                    {
                        ss.Spans.Add(Span.Parser.ParseFrom(ShuffledFields(span, random)));
                    }
                }
            }

            var bytes = ShuffledRequestBytes(request, random);
            var oracle = ExportTraceServiceRequest.Parser.ParseFrom(bytes);
            Assert.True(decoder.TryDecode(bytes, batch, out var failure), failure.ToString());
            SpanAssert.Equal(ReferenceMapper.Map(oracle), batch.ToArray());
        }
    }

    [Fact]
    public void Span_fields_written_after_the_scope_spans_still_get_the_resource_agent()
    {
        // resource (field 1) after scope_spans (field 2): the agent must still be stamped on the spans.
        var scopeSpans = new ScopeSpans();
        scopeSpans.Spans.Add(new Span { Name = "chat gpt-4o", SpanId = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8) });
        var resource = new OpenTelemetry.Proto.Resource.V1.Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "billing-agent" } });

        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        var inner = new MemoryStream();
        var innerOutput = new CodedOutputStream(inner);
        innerOutput.WriteTag(2, WireFormat.WireType.LengthDelimited);
        innerOutput.WriteMessage(scopeSpans);
        innerOutput.WriteTag(1, WireFormat.WireType.LengthDelimited);
        innerOutput.WriteMessage(resource);
        innerOutput.Flush();
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
        output.Flush();

        var batch = new SpanBatch();
        Assert.True(new OtlpProtoDecoder().TryDecode(stream.ToArray(), batch, out _));
        Assert.Equal("billing-agent", Assert.Single(batch.Spans.ToArray()).ResourceAgent);
    }

    private static void AssertWireFieldsMatch(ExportTraceServiceRequest oracle, SpanBatch batch)
    {
        var spans = oracle.ResourceSpans.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToArray();
        Assert.Equal(spans.Length, batch.Count);
        for (var i = 0; i < spans.Length; i++)
        {
            var decoded = batch[i];
            Assert.Equal(TraceId.FromBytes(spans[i].TraceId.Span), decoded.TraceId);
            Assert.Equal(SpanId.FromBytes(spans[i].SpanId.Span), decoded.SpanId);
            Assert.Equal(SpanId.FromBytes(spans[i].ParentSpanId.Span), decoded.ParentSpanId);
            Assert.Equal(unchecked((long)spans[i].StartTimeUnixNano), decoded.StartUnixNano);
            Assert.Equal(unchecked((long)spans[i].EndTimeUnixNano), decoded.EndUnixNano);
            Assert.Equal(spans[i].Status?.Code == Status.Types.StatusCode.Error, decoded.IsError && spans[i].Status?.Code == Status.Types.StatusCode.Error);
        }
    }

    /// <summary>The span's fields, each serialised alone, in a random order (repeated fields keep their relative order).</summary>
    private static byte[] ShuffledFields(Span span, Random random)
    {
        var parts = new List<(int Order, byte[] Bytes)>();
        void Add(int order, Span single) => parts.Add((order, single.ToByteArray()));
        Add(random.Next(), new Span { TraceId = span.TraceId });
        Add(random.Next(), new Span { SpanId = span.SpanId });
        Add(random.Next(), new Span { ParentSpanId = span.ParentSpanId });
        Add(random.Next(), new Span { Name = span.Name });
        Add(random.Next(), new Span { Kind = span.Kind });
        Add(random.Next(), new Span { StartTimeUnixNano = span.StartTimeUnixNano });
        Add(random.Next(), new Span { EndTimeUnixNano = span.EndTimeUnixNano });
        Add(random.Next(), new Span { Flags = span.Flags });
        if (span.Status is not null)
        {
            Add(random.Next(), new Span { Status = span.Status });
        }

        // Attributes and events keep their order relative to each other but are interleaved with the rest.
        var order = 0;
        foreach (var kv in span.Attributes)
        {
            var single = new Span();
            single.Attributes.Add(kv);
            order += random.Next(1, 1 << 20);
            parts.Add((order, single.ToByteArray()));
        }

        foreach (var e in span.Events)
        {
            var single = new Span();
            single.Events.Add(e);
            parts.Add((random.Next(), single.ToByteArray()));
        }

        var attributeParts = parts.Where(p => p.Order >= 0).ToList();
        return [.. parts.OrderBy(p => p.Order).SelectMany(p => p.Bytes)];
    }

    private static byte[] ShuffledRequestBytes(ExportTraceServiceRequest request, Random random)
    {
        // Each ResourceSpans with its resource written after its scope spans half of the time.
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var rs in request.ResourceSpans)
        {
            var inner = new List<byte[]>();
            foreach (var ss in rs.ScopeSpans)
            {
                var single = new OpenTelemetry.Proto.Trace.V1.ResourceSpans();
                single.ScopeSpans.Add(ss);
                inner.Add(single.ToByteArray());
            }

            if (rs.Resource is not null)
            {
                var resourceOnly = new OpenTelemetry.Proto.Trace.V1.ResourceSpans { Resource = rs.Resource };
                inner.Insert(random.Next(inner.Count + 1), resourceOnly.ToByteArray());
            }

            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom([.. inner.SelectMany(b => b)]));
        }

        output.Flush();
        return stream.ToArray();
    }
}
