using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace AgentSentinel.Benchmarks;

/// <summary>
/// One realistic 50-span Kafka record (<see cref="OtlpBenchmarkPayloads"/>): the generated Google.Protobuf parser (object
/// graph only, before any mapping) against the hand-written readers, which also normalise every span.
/// Spans/s per core = 50 / mean. Run: see results/OtlpDecodeBenchmarks.md.
/// </summary>
[MemoryDiagnoser]
public class OtlpDecodeBenchmarks
{
    private readonly OtlpProtoDecoder _proto = new();
    private readonly OtlpJsonDecoder _json = new();
    private readonly SpanBatch _batch = new(64);
    private byte[] _protoPayload = [];
    private byte[] _jsonPayload = [];

    /// <summary>"content": messages captured (OpenInference default); "metadata": content capture off (OTel default).</summary>
    [Params("content", "metadata")]
    public string Payload { get; set; } = "content";

    [GlobalSetup]
    public void Setup()
    {
        var request = OtlpBenchmarkPayloads.Request(content: Payload == "content");
        _protoPayload = request.ToByteArray();
        _jsonPayload = OtlpBenchmarkPayloads.ToOtlpJson(request);
        if (!_proto.TryDecode(_protoPayload, _batch, out var failure) || _batch.Count != OtlpBenchmarkPayloads.SpanCount
            || !_json.TryDecode(_jsonPayload, _batch, out failure) || _batch.Count != OtlpBenchmarkPayloads.SpanCount)
        {
            throw new InvalidOperationException("benchmark payload does not decode: " + failure);
        }
    }

    [Benchmark(Baseline = true, Description = "Google.Protobuf ParseFrom (no mapping)")]
    public int GeneratedParser() => ExportTraceServiceRequest.Parser.ParseFrom(_protoPayload).ResourceSpans.Count;

    [Benchmark(Description = "OtlpProtoDecoder.TryDecode")]
    public int ProtoDecoder()
    {
        _proto.TryDecode(_protoPayload, _batch, out _);
        return _batch.Count;
    }

    [Benchmark(Description = "OtlpJsonDecoder.TryDecode")]
    public int JsonDecoder()
    {
        _json.TryDecode(_jsonPayload, _batch, out _);
        return _batch.Count;
    }
}
