using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace AgentSentinel.Otlp.Tests;

/// <summary>The shared stream fixture: 21 real records, as OTLP/JSON lines and as protobuf files, in the same order.</summary>
public sealed class OtlpDecodersStreamTests
{
    public static TheoryData<int> RecordIndexes => [.. Enumerable.Range(0, 21)];

    [Fact]
    public void The_stream_holds_21_records_in_both_encodings()
    {
        Assert.Equal(21, StreamRecords.Json.Count);
        Assert.Equal(21, StreamRecords.Proto.Count);
    }

    [Theory]
    [MemberData(nameof(RecordIndexes))]
    public void Every_record_decodes_to_the_same_spans_in_both_encodings(int index)
    {
        var fromJson = new SpanBatch();
        var fromProto = new SpanBatch();
        Assert.True(OtlpDecoders.Create(OtlpEncoding.OtlpJson).TryDecode(StreamRecords.Json[index], fromJson, out var jsonFailure), jsonFailure.ToString());
        Assert.True(OtlpDecoders.Create(OtlpEncoding.OtlpProto).TryDecode(StreamRecords.Proto[index], fromProto, out var protoFailure), protoFailure.ToString());

        Assert.NotEqual(0, fromJson.Count);
        SpanAssert.Equal(fromJson.ToArray(), fromProto.ToArray());
    }

    [Theory]
    [MemberData(nameof(RecordIndexes))]
    public void Every_protobuf_record_decodes_like_the_generated_parser(int index)
    {
        var batch = new SpanBatch();
        Assert.True(new OtlpProtoDecoder().TryDecode(StreamRecords.Proto[index], batch, out _));
        SpanAssert.Equal(ReferenceMapper.Map(ExportTraceServiceRequest.Parser.ParseFrom(StreamRecords.Proto[index])), batch.ToArray());
    }

    [Fact]
    public void The_stream_totals_148_spans_in_both_encodings()
    {
        var json = new OtlpJsonDecoder();
        var proto = new OtlpProtoDecoder();
        var batch = new SpanBatch();
        int jsonSpans = 0, protoSpans = 0;
        for (var i = 0; i < StreamRecords.Json.Count; i++)
        {
            Assert.True(json.TryDecode(StreamRecords.Json[i], batch, out _));
            jsonSpans += batch.Count;
            Assert.True(proto.TryDecode(StreamRecords.Proto[i], batch, out _));
            protoSpans += batch.Count;
        }

        Assert.Equal(148, jsonSpans);
        Assert.Equal(148, protoSpans);
    }

    [Fact]
    public void Format_detection_recognises_every_stream_record()
    {
        Assert.All(StreamRecords.Json, record => Assert.Equal(OtlpEncoding.OtlpJson, OtlpFormatDetector.Detect(record)));
        Assert.All(StreamRecords.Proto, record => Assert.Equal(OtlpEncoding.OtlpProto, OtlpFormatDetector.Detect(record)));
    }

    [Fact]
    public void Decoding_the_stream_in_steady_state_allocates_nothing()
    {
        var proto = new OtlpProtoDecoder();
        var json = new OtlpJsonDecoder();
        var batch = new SpanBatch(256);
        DecodeAll(); // warm up: intern table, batch capacity, scratch buffers, JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 5; round++)
        {
            DecodeAll();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void DecodeAll()
        {
            for (var i = 0; i < StreamRecords.Proto.Count; i++)
            {
                proto.TryDecode(StreamRecords.Proto[i], batch, out _);
                json.TryDecode(StreamRecords.Json[i], batch, out _);
            }
        }
    }
}
