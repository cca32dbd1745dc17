using AgentSentinel.Core.Spans;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>
/// The allocation check of the decoders' hot path: a request decoded by both wire readers once to warm up (intern table,
/// batch capacity, scratch buffers, JIT), then <c>rounds</c> more times, counting the bytes this thread allocated.
/// </summary>
internal static class SteadyStateDecode
{
    /// <summary>Bytes allocated by the measured rounds; <paramref name="batch"/> holds the last (JSON) decode afterwards.</summary>
    public static long AllocatedBytes(ExportTraceServiceRequest request, SpanBatch batch, int rounds = 20)
    {
        var protoBytes = request.ToByteArray();
        var jsonBytes = OtlpJsonWriter.Write(request);
        var proto = new OtlpProtoDecoder();
        var json = new OtlpJsonDecoder();
        DecodeBoth();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < rounds; round++)
        {
            DecodeBoth();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;

        void DecodeBoth()
        {
            batch.Clear();
            Assert.True(proto.TryDecode(protoBytes, batch, out _));
            batch.Clear();
            Assert.True(json.TryDecode(jsonBytes, batch, out _));
        }
    }
}
