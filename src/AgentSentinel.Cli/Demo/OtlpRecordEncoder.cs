using AgentSentinel.Core.Spans;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Cli.Demo;

/// <summary>
/// Encodes simulated traces as the Collector's kafka exporter writes them (encoding otlp_proto): one record is one
/// <c>ExportTraceServiceRequest</c> holding a ResourceSpans per agent. Each agent speaks its own convention, so the demo
/// exercises the normaliser as real fleets do.
/// </summary>
internal sealed class OtlpRecordEncoder
{
    private readonly Dictionary<string, ResourceSpans> _byAgent = new(StringComparer.Ordinal);
    private readonly ExportTraceServiceRequest _request = new();

    public bool IsEmpty => _request.ResourceSpans.Count == 0;

    public int SpanCount { get; private set; }

    /// <summary>Adds spans of <paramref name="trace"/> (all, or those <paramref name="filter"/> keeps).</summary>
    public void Add(SimulatedAgent agent, SimulatedTrace trace, Func<SimulatedSpan, bool>? filter = null)
    {
        if (!_byAgent.TryGetValue(agent.Name, out var resourceSpans))
        {
            resourceSpans = NewResourceSpans(agent);
            _byAgent[agent.Name] = resourceSpans;
            _request.ResourceSpans.Add(resourceSpans);
        }

        var spans = resourceSpans.ScopeSpans[0].Spans;
        var traceId = new byte[16];
        trace.TraceId.WriteBytes(traceId);
        var traceIdBytes = ByteString.CopyFrom(traceId);
        foreach (var s in trace.Spans)
        {
            if (filter is null || filter(s))
            {
                spans.Add(Encode(agent, traceIdBytes, s));
                SpanCount++;
            }
        }
    }

    /// <summary>Returns the record value and starts a new, empty record.</summary>
    public byte[] Drain()
    {
        var bytes = _request.ToByteArray();
        _request.ResourceSpans.Clear();
        _byAgent.Clear();
        SpanCount = 0;
        return bytes;
    }

    private static ResourceSpans NewResourceSpans(SimulatedAgent agent)
    {
        var resource = new Resource();
        resource.Attributes.Add(Str("service.name", agent.Name));
        resource.Attributes.Add(Str("service.version", "1.4.2"));
        resource.Attributes.Add(Str("deployment.environment.name", "demo"));
        resource.Attributes.Add(Str("telemetry.sdk.language", "python"));
        var scope = new ScopeSpans
        {
            Scope = new InstrumentationScope
            {
                Name = agent.Convention switch
                {
                    SpanConvention.OpenInference => "openinference.instrumentation.langchain",
                    SpanConvention.OtelGenAiLegacy => "opentelemetry.instrumentation.openai_v2",
                    _ => "opentelemetry.instrumentation.genai",
                },
                Version = "0.9.0",
            },
        };
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(scope);
        return resourceSpans;
    }

    private static void AddArguments(Google.Protobuf.Collections.RepeatedField<KeyValue> a, string key, SimulatedSpan s)
    {
        if (s.ToolArguments is { } arguments)
        {
            a.Add(Str(key, arguments));
        }
    }

    private static Span Encode(SimulatedAgent agent, ByteString traceId, SimulatedSpan s)
    {
        var span = new Span
        {
            TraceId = traceId,
            SpanId = Id(s.SpanId.Value),
            StartTimeUnixNano = (ulong)s.StartUnixNano,
            EndTimeUnixNano = (ulong)s.EndUnixNano,
            Kind = s.Kind == SimulatedSpanKind.LlmCall ? Span.Types.SpanKind.Client : Span.Types.SpanKind.Internal,
        };
        if (!s.ParentSpanId.IsEmpty)
        {
            span.ParentSpanId = Id(s.ParentSpanId.Value);
        }

        var a = span.Attributes;
        switch (agent.Convention)
        {
            case SpanConvention.OpenInference:
                EncodeOpenInference(agent, s, span, a);
                break;
            case SpanConvention.OtelGenAiLegacy:
                EncodeOtelLegacy(agent, s, span, a);
                break;
            default:
                EncodeOtelCurrent(agent, s, span, a);
                break;
        }

        if (s.Route is { } route)
        {
            a.Add(Str("agentsentinel.route", route));
        }

        return span;
    }

    private static void EncodeOtelCurrent(SimulatedAgent agent, SimulatedSpan s, Span span, Google.Protobuf.Collections.RepeatedField<KeyValue> a)
    {
        var provider = agent.Archetype.Provider;
        switch (s.Kind)
        {
            case SimulatedSpanKind.Agent:
                span.Name = "invoke_agent " + agent.Name;
                a.Add(Str("gen_ai.operation.name", "invoke_agent"));
                a.Add(Str("gen_ai.agent.name", agent.Name));
                a.Add(Str("gen_ai.provider.name", provider));
                break;
            case SimulatedSpanKind.LlmCall:
                span.Name = "chat " + s.Model;
                a.Add(Str("gen_ai.operation.name", "chat"));
                a.Add(Str("gen_ai.provider.name", provider));
                a.Add(Str("gen_ai.request.model", s.Model!));
                a.Add(Str("gen_ai.response.model", s.Model!));
                a.Add(Int("gen_ai.usage.input_tokens", s.InputTokens));
                a.Add(Int("gen_ai.usage.output_tokens", s.OutputTokens));
                a.Add(StrArray("gen_ai.response.finish_reasons", s.FinishReason!));
                break;
            case SimulatedSpanKind.Tool:
                span.Name = "execute_tool " + s.Tool;
                a.Add(Str("gen_ai.operation.name", "execute_tool"));
                a.Add(Str("gen_ai.tool.name", s.Tool!));
                a.Add(Str("gen_ai.tool.call.id", "call_" + s.SpanId.ToString()[..8]));
                AddArguments(a, "gen_ai.tool.call.arguments", s);
                break;
            case SimulatedSpanKind.Retrieval:
                span.Name = "retrieval kb-main";
                a.Add(Str("gen_ai.operation.name", "retrieval"));
                a.Add(Str("gen_ai.data_source.id", "kb-main"));
                break;
        }
    }

    private static void EncodeOtelLegacy(SimulatedAgent agent, SimulatedSpan s, Span span, Google.Protobuf.Collections.RepeatedField<KeyValue> a)
    {
        var system = agent.Archetype.Provider == "gcp.gemini" ? "gemini" : agent.Archetype.Provider;
        switch (s.Kind)
        {
            case SimulatedSpanKind.Agent:
                span.Name = agent.Name + " run";
                break;
            case SimulatedSpanKind.LlmCall:
                span.Name = "chat " + s.Model;
                a.Add(Str("gen_ai.operation.name", "chat"));
                a.Add(Str("gen_ai.system", system));
                a.Add(Str("gen_ai.request.model", s.Model!));
                a.Add(Int("gen_ai.usage.prompt_tokens", s.InputTokens));
                a.Add(Int("gen_ai.usage.completion_tokens", s.OutputTokens));
                a.Add(StrArray("gen_ai.response.finish_reasons", s.FinishReason!));
                break;
            case SimulatedSpanKind.Tool:
                span.Name = "execute_tool " + s.Tool;
                a.Add(Str("gen_ai.operation.name", "execute_tool"));
                a.Add(Str("gen_ai.tool.name", s.Tool!));
                AddArguments(a, "gen_ai.tool.call.arguments", s);
                break;
            case SimulatedSpanKind.Retrieval:
                span.Name = "vector_search";
                break;
        }
    }

    private static void EncodeOpenInference(SimulatedAgent agent, SimulatedSpan s, Span span, Google.Protobuf.Collections.RepeatedField<KeyValue> a)
    {
        switch (s.Kind)
        {
            case SimulatedSpanKind.Agent:
                span.Name = "AgentExecutor";
                a.Add(Str("openinference.span.kind", "AGENT"));
                a.Add(Str("agent.name", agent.Name));
                break;
            case SimulatedSpanKind.LlmCall:
                span.Name = "ChatOpenAI";
                a.Add(Str("openinference.span.kind", "LLM"));
                a.Add(Str("llm.provider", agent.Archetype.Provider));
                a.Add(Str("llm.model_name", s.Model!));
                a.Add(Int("llm.token_count.prompt", s.InputTokens));
                a.Add(Int("llm.token_count.completion", s.OutputTokens));
                a.Add(Int("llm.token_count.total", s.InputTokens + s.OutputTokens));
                break;
            case SimulatedSpanKind.Tool:
                span.Name = s.Tool!;
                a.Add(Str("openinference.span.kind", "TOOL"));
                a.Add(Str("tool.name", s.Tool!));
                AddArguments(a, "input.value", s);
                break;
            case SimulatedSpanKind.Retrieval:
                span.Name = "VectorStoreRetriever";
                a.Add(Str("openinference.span.kind", "RETRIEVER"));
                break;
        }
    }

    private static ByteString Id(ulong value)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return ByteString.CopyFrom(bytes);
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue StrArray(string key, string value)
    {
        var array = new ArrayValue();
        array.Values.Add(new AnyValue { StringValue = value });
        return new KeyValue { Key = key, Value = new AnyValue { ArrayValue = array } };
    }
}
