using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests;

/// <summary>Bad input for the protobuf decoder: it must never throw, and must say why with the right kind.</summary>
public sealed class OtlpProtoDecoderTests
{
    private static readonly OtlpProtoDecoder Decoder = new();

    [Fact]
    public void An_empty_record_is_rejected_as_empty()
    {
        AssertRejected([], DecodeErrorKind.Empty);
    }

    [Fact]
    public void An_oversized_record_is_rejected_before_parsing()
    {
        var decoder = new OtlpProtoDecoder(new OtlpDecoderOptions { MaxRecordBytes = 1024 });
        var garbage = Enumerable.Repeat((byte)0xFF, 2048).ToArray();
        var batch = Filled();
        Assert.False(decoder.TryDecode(garbage, batch, out var failure));
        Assert.Equal(DecodeErrorKind.TooLarge, failure.Kind);
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void Every_truncation_point_fails_as_truncated_exactly_when_the_generated_parser_fails()
    {
        foreach (var record in SmallRecords())
        {
            for (var cut = 1; cut < record.Length; cut++)
            {
                var prefix = record.AsSpan(0, cut).ToArray();
                var batch = Filled();
                var ok = Decoder.TryDecode(prefix, batch, out var failure);
                var oracleOk = TryParse(prefix, out var oracle);
                Assert.Equal(oracleOk, ok);
                if (ok)
                {
                    SpanAssert.Equal(ReferenceMapper.Map(oracle!), batch.ToArray());
                }
                else
                {
                    Assert.Equal(DecodeErrorKind.Truncated, failure.Kind);
                    Assert.Equal(0, batch.Count);
                }
            }
        }
    }

    [Fact]
    public void Random_byte_flips_never_throw_and_agree_with_the_generated_parser_when_both_accept()
    {
        var random = new Random(7);
        var records = StreamRecords.Proto.Where(r => r.Length < 20_000).Concat(Enumerable.Range(0, 10).Select(i => new RandomRequests(100 + i).Next().ToByteArray())).ToArray();
        var batch = new SpanBatch();
        var accepted = 0;
        for (var i = 0; i < 1500; i++)
        {
            var mutated = (byte[])records[random.Next(records.Length)].Clone();
            if (mutated.Length == 0)
            {
                continue;
            }

            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var ok = Decoder.TryDecode(mutated, batch, out var failure);
            if (!ok)
            {
                Assert.Equal(0, batch.Count);
                Assert.NotEqual(DecodeErrorKind.None, failure.Kind);
                Assert.DoesNotContain("unexpected input state", failure.Reason, StringComparison.Ordinal);
                continue;
            }

            accepted++;
            if (TryParse(mutated, out var oracle))
            {
                SpanAssert.Equal(ReferenceMapper.Map(oracle!), batch.ToArray());
            }
        }

        Assert.InRange(accepted, 1, 1499);
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_including_groups_are_skipped()
    {
        var request = OneSpanRequest();
        var known = request.ToByteArray();

        // Field 5000 as varint, fixed64, fixed32, length-delimited and a group nesting another group, at top level.
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(5000, WireFormat.WireType.Varint);
        output.WriteUInt64(ulong.MaxValue);
        output.WriteTag(5000, WireFormat.WireType.Fixed64);
        output.WriteFixed64(1);
        output.WriteTag(5000, WireFormat.WireType.Fixed32);
        output.WriteFixed32(1);
        output.WriteTag(5000, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFromUtf8("junk"));
        output.WriteTag(5001, WireFormat.WireType.StartGroup);
        output.WriteTag(5002, WireFormat.WireType.StartGroup);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteUInt32(3);
        output.WriteTag(5002, WireFormat.WireType.EndGroup);
        output.WriteTag(5001, WireFormat.WireType.EndGroup);
        output.Flush();

        var batch = new SpanBatch();
        Assert.True(Decoder.TryDecode([.. known, .. stream.ToArray()], batch, out var failure), failure.ToString());
        Assert.Equal("gpt-4o", Assert.Single(batch.Spans.ToArray()).RequestModel);
    }

    [Theory]
    [InlineData(new byte[] { 0x0B, 0x0C }, "mismatched end group")]
    [InlineData(new byte[] { 0x0C }, "end group without start")]
    [InlineData(new byte[] { 0x0E, 0x00 }, "wire type 6")]
    [InlineData(new byte[] { 0x0F, 0x00 }, "wire type 7")]
    [InlineData(new byte[] { 0x02, 0x00 }, "field number 0")]
    [InlineData(new byte[] { 0x08, 0x01 }, "resource_spans as varint")]
    [InlineData(new byte[] { 0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "varint of 11 bytes")]
    public void Structurally_invalid_protobuf_is_malformed(byte[] payload, string because)
    {
        AssertRejected(payload, DecodeErrorKind.Malformed, because);
    }

    [Fact]
    public void A_known_field_with_the_wrong_wire_type_is_malformed()
    {
        // Span.name (5) written as a varint.
        var span = new byte[] { 0x28, 0x01 };
        AssertRejected(Wrap(span), DecodeErrorKind.Malformed);
    }

    [Fact]
    public void Ids_of_the_wrong_length_are_malformed()
    {
        var request = OneSpanRequest();
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId = ByteString.CopyFrom(new byte[15]);
        AssertRejected(request.ToByteArray(), DecodeErrorKind.Malformed);

        request = OneSpanRequest();
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].SpanId = ByteString.CopyFrom(new byte[9]);
        AssertRejected(request.ToByteArray(), DecodeErrorKind.Malformed);
    }

    [Fact]
    public void A_length_past_the_end_is_truncated()
    {
        AssertRejected([0x0A, 0x05, 0x12, 0x00], DecodeErrorKind.Truncated);
    }

    [Fact]
    public void Too_many_spans_exceed_the_limit()
    {
        var request = OneSpanRequest();
        request.ResourceSpans[0].ScopeSpans[0].Spans.Add(new Span { Name = "b" });
        request.ResourceSpans[0].ScopeSpans[0].Spans.Add(new Span { Name = "c" });
        var decoder = new OtlpProtoDecoder(new OtlpDecoderOptions { MaxSpansPerRecord = 2 });
        AssertRejected(request.ToByteArray(), DecodeErrorKind.LimitExceeded, decoder: decoder);
        Assert.True(new OtlpProtoDecoder(new OtlpDecoderOptions { MaxSpansPerRecord = 3 }).TryDecode(request.ToByteArray(), new SpanBatch(), out _));
    }

    [Fact]
    public void Too_many_attributes_exceed_the_limit()
    {
        var request = OneSpanRequest();
        for (var i = 0; i < 10; i++)
        {
            request.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.Add(new KeyValue { Key = "k" + i, Value = new AnyValue { IntValue = i } });
        }

        AssertRejected(request.ToByteArray(), DecodeErrorKind.LimitExceeded, decoder: new OtlpProtoDecoder(new OtlpDecoderOptions { MaxAttributesPerSpan = 10 }));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected_even_under_an_unknown_key()
    {
        var value = new AnyValue { StringValue = "leaf" };
        for (var i = 0; i < 5; i++)
        {
            value = new AnyValue { ArrayValue = new ArrayValue { Values = { value } } };
        }

        var request = OneSpanRequest();
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.Add(new KeyValue { Key = "noise", Value = value });
        AssertRejected(request.ToByteArray(), DecodeErrorKind.LimitExceeded, decoder: new OtlpProtoDecoder(new OtlpDecoderOptions { MaxAnyValueDepth = 4 }));
        Assert.True(new OtlpProtoDecoder(new OtlpDecoderOptions { MaxAnyValueDepth = 5 }).TryDecode(request.ToByteArray(), new SpanBatch(), out _));
    }

    [Fact]
    public void A_failed_decode_clears_a_batch_that_held_spans_from_the_previous_record()
    {
        var batch = new SpanBatch();
        Assert.True(Decoder.TryDecode(OneSpanRequest().ToByteArray(), batch, out _));
        Assert.Equal(1, batch.Count);
        Assert.False(Decoder.TryDecode([0x0A, 0x05], batch, out _));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void The_pre_1_0_instrumentation_library_spans_field_is_read_as_scope_spans()
    {
        var legacyScope = new ScopeSpans { Spans = { new Span { Name = "chat gpt-4o" } } };
        using var inner = new MemoryStream();
        var output = new CodedOutputStream(inner);
        output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(legacyScope);
        output.Flush();
        var batch = new SpanBatch();
        Assert.True(Decoder.TryDecode(Wrap(inner.ToArray(), level: 1), batch, out _));
        Assert.Equal(SpanOperation.Chat, Assert.Single(batch.Spans.ToArray()).Operation);
    }

    [Fact]
    public void Decoding_is_safe_from_many_threads_sharing_one_decoder()
    {
        var records = StreamRecords.Proto;
        var expected = records.Select(r =>
        {
            var b = new SpanBatch();
            Decoder.TryDecode(r, b, out _);
            return b.ToArray();
        }).ToArray();

        Parallel.For(0, 4, worker =>
        {
            var batch = new SpanBatch();
            for (var round = 0; round < 20; round++)
            {
                for (var i = 0; i < records.Count; i++)
                {
                    Assert.True(Decoder.TryDecode(records[i], batch, out _));
                    SpanAssert.Equal(expected[i], batch.ToArray());
                }
            }
        });
    }

    internal static ExportTraceServiceRequest OneSpanRequest()
    {
        var span = new Span
        {
            Name = "chat gpt-4o",
            TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
            SpanId = ByteString.CopyFrom(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray()),
        };
        span.Attributes.Add(new KeyValue { Key = "gen_ai.operation.name", Value = new AnyValue { StringValue = "chat" } });
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } });
        return request;
    }

    private static IEnumerable<byte[]> SmallRecords()
    {
        yield return OneSpanRequest().ToByteArray();
        foreach (var record in StreamRecords.Proto.Where(r => r.Length < 4000))
        {
            yield return record;
        }

        yield return new RandomRequests(5).Next().ToByteArray();
    }

    /// <summary>Wraps span bytes (level 3), scope-spans content (level 2) or resource-spans content (level 1) into a request.</summary>
    private static byte[] Wrap(byte[] content, int level = 3)
    {
        var bytes = content;
        for (var i = level; i >= 1; i--)
        {
            var field = i == 3 ? 2 : i == 2 ? 2 : 1; // span in ScopeSpans.spans(2), ScopeSpans in ResourceSpans.scope_spans(2), ResourceSpans in request(1)
            using var stream = new MemoryStream();
            var output = new CodedOutputStream(stream);
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(bytes));
            output.Flush();
            bytes = stream.ToArray();
        }

        return bytes;
    }

    private static void AssertRejected(byte[] payload, DecodeErrorKind kind, string because = "", OtlpProtoDecoder? decoder = null)
    {
        var batch = Filled();
        Assert.False((decoder ?? Decoder).TryDecode(payload, batch, out var failure), because);
        Assert.Equal(kind, failure.Kind);
        Assert.False(string.IsNullOrEmpty(failure.Reason));
        Assert.Equal(0, batch.Count);
    }

    private static SpanBatch Filled()
    {
        var batch = new SpanBatch();
        batch.Add().AgentName = "left over";
        return batch;
    }

    private static bool TryParse(byte[] bytes, out ExportTraceServiceRequest? request)
    {
        try
        {
            request = ExportTraceServiceRequest.Parser.ParseFrom(bytes);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            request = null;
            return false;
        }
    }
}
