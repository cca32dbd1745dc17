using System.Buffers.Binary;
using AgentSentinel.Core.Spans;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Cli.Tests.Support;

/// <summary>
/// Builds OTLP records of agent traces with exact values (OTel GenAI current conventions): an invoke_agent root
/// and one chat span per model call. Ids come from a seeded generator, timestamps from the caller.
/// </summary>
internal sealed class OtlpTraceFactory(int seed = 1)
{
    private readonly Random _rng = new(seed);

    /// <summary>A trace ending at <paramref name="endUnixNano"/> with <paramref name="calls"/> model calls of the given tokens and latency.</summary>
    public (TraceId Id, ResourceSpans Spans) Trace(string agent, long endUnixNano, int calls, long inputTokens, long outputTokens, double callLatencyMs = 800)
    {
        var traceId = new TraceId(Next(), Next());
        var traceBytes = new byte[16];
        traceId.WriteBytes(traceBytes);
        var rootId = Next();
        var callNanos = (long)(callLatencyMs * 1_000_000);
        var start = endUnixNano - (calls * callNanos) - 2_000_000;
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test.genai" } };
        for (var i = 0; i < calls; i++)
        {
            var s = start + 1_000_000 + (i * callNanos);
            var chat = NewSpan(traceBytes, Next(), rootId, s, s + callNanos, "chat gpt-4o", Span.Types.SpanKind.Client);
            chat.Attributes.Add(Str("gen_ai.operation.name", "chat"));
            chat.Attributes.Add(Str("gen_ai.provider.name", "openai"));
            chat.Attributes.Add(Str("gen_ai.request.model", "gpt-4o"));
            chat.Attributes.Add(Int("gen_ai.usage.input_tokens", inputTokens));
            chat.Attributes.Add(Int("gen_ai.usage.output_tokens", outputTokens));
            scope.Spans.Add(chat);
        }

        var root = NewSpan(traceBytes, rootId, 0, start, endUnixNano, "invoke_agent " + agent, Span.Types.SpanKind.Internal);
        root.Attributes.Add(Str("gen_ai.operation.name", "invoke_agent"));
        root.Attributes.Add(Str("gen_ai.agent.name", agent));
        scope.Spans.Add(root);

        var resource = new Resource();
        resource.Attributes.Add(Str("service.name", agent + "-service"));
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(scope);
        return (traceId, resourceSpans);
    }

    /// <summary>One Kafka record value holding the given traces.</summary>
    public static byte[] Record(params ResourceSpans[] traces)
    {
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.AddRange(traces);
        return request.ToByteArray();
    }

    /// <summary>
    /// A typical workload: <paramref name="normal"/> traces one second apart with tokens varying ±10% around 1000 in,
    /// 200 out, then <paramref name="spikes"/> traces with <paramref name="spikeFactor"/> times the tokens.
    /// Returns the record values (one trace each) and the spike trace ids.
    /// </summary>
    public (List<byte[]> Records, List<string> SpikeTraceIds) Workload(string agent, long startUnixNano, int normal, int spikes, double spikeFactor = 10)
    {
        var records = new List<byte[]>();
        var spikeIds = new List<string>();
        for (var i = 0; i < normal + spikes; i++)
        {
            var spike = i >= normal;
            var jitter = 0.9 + (0.2 * _rng.NextDouble());
            var factor = spike ? spikeFactor : 1.0;
            var (id, spans) = Trace(agent, startUnixNano + (i * 1_000_000_000L), 2, (long)(1000 * jitter * factor), (long)(200 * jitter * factor));
            records.Add(Record(spans));
            if (spike)
            {
                spikeIds.Add(id.ToString());
            }
        }

        return (records, spikeIds);
    }

    private static Span NewSpan(byte[] traceId, ulong spanId, ulong parentId, long start, long end, string name, Span.Types.SpanKind kind)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = Id(spanId),
            Name = name,
            Kind = kind,
            StartTimeUnixNano = (ulong)start,
            EndTimeUnixNano = (ulong)end,
        };
        if (parentId != 0)
        {
            span.ParentSpanId = Id(parentId);
        }

        return span;
    }

    private ulong Next()
    {
        ulong v;
        do
        {
            v = (ulong)_rng.NextInt64();
        }
        while (v == 0);
        return v;
    }

    private static ByteString Id(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return ByteString.CopyFrom(bytes);
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
