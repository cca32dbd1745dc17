using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Benchmarks;

/// <summary>
/// A realistic Kafka record for the decode benchmarks: 50 spans of three agent services (three resources), shaped like
/// what the instrumentations in shared/data/genai-spans emit: OTel GenAI chat spans (request parameters, response ids,
/// finish reasons), OpenInference LLM spans, tool spans with arguments and results, agent spans, and plain HTTP spans.
/// With <c>content</c>, a third of the chat spans carry their messages and the OpenInference spans their flattened
/// messages (OpenInference's default); without, only metadata (the OTel GenAI default: content capture off).
/// </summary>
internal static class OtlpBenchmarkPayloads
{
    public const int SpanCount = 50;

    public static ExportTraceServiceRequest Request(bool content = true)
    {
        var random = new Random(2024);
        var request = new ExportTraceServiceRequest();
        string[] services = ["billing-agent", "support-agent", "research-agent"];
        var spanIndex = 0;
        for (var r = 0; r < services.Length; r++)
        {
            var resource = new Resource();
            Add(resource.Attributes, "service.name", services[r]);
            Add(resource.Attributes, "service.version", "1.4.2");
            Add(resource.Attributes, "service.instance.id", "pod-" + r);
            Add(resource.Attributes, "deployment.environment.name", "production");
            Add(resource.Attributes, "telemetry.sdk.name", "opentelemetry");
            Add(resource.Attributes, "telemetry.sdk.language", "python");
            Add(resource.Attributes, "telemetry.sdk.version", "1.37.0");
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "opentelemetry.instrumentation.openai_v2", Version = "2.1b0" } };
            var count = r < 2 ? 17 : SpanCount - 34;
            for (var i = 0; i < count; i++, spanIndex++)
            {
                scope.Spans.Add(Span(spanIndex, services[r], random, content));
            }

            request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope }, SchemaUrl = "https://opentelemetry.io/schemas/1.37.0" });
        }

        return request;
    }

    private static Span Span(int index, string agent, Random random, bool withContent)
    {
        var traceId = new byte[16];
        var spanId = new byte[8];
        random.NextBytes(traceId);
        random.NextBytes(spanId);
        var start = 1_760_000_000_000_000_000UL + ((ulong)index * 1_000_000);
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId),
            ParentSpanId = ByteString.CopyFrom(spanId.Reverse().ToArray()),
            StartTimeUnixNano = start,
            EndTimeUnixNano = start + (ulong)random.Next(1_000_000, 900_000_000),
            Flags = 256,
        };
        var content = withContent && index % 3 == 0;
        switch (index % 5)
        {
            case 0 or 1: // OTel GenAI chat
                span.Name = "chat gpt-4o-mini";
                span.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client;
                Add(span.Attributes, "gen_ai.operation.name", "chat");
                Add(span.Attributes, "gen_ai.provider.name", "openai");
                Add(span.Attributes, "gen_ai.request.model", "gpt-4o-mini");
                Add(span.Attributes, "gen_ai.request.temperature", 0.2);
                Add(span.Attributes, "gen_ai.request.max_tokens", 1024L);
                Add(span.Attributes, "server.address", "api.openai.com");
                Add(span.Attributes, "server.port", 443L);
                Add(span.Attributes, "gen_ai.response.id", "chatcmpl-" + index.ToString("D8", CultureInfo.InvariantCulture));
                Add(span.Attributes, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
                Add(span.Attributes, "gen_ai.response.finish_reasons", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "stop" } } } });
                Add(span.Attributes, "gen_ai.usage.input_tokens", random.Next(100, 4000));
                Add(span.Attributes, "gen_ai.usage.output_tokens", random.Next(10, 800));
                Add(span.Attributes, "gen_ai.agent.name", agent);
                if (content)
                {
                    Add(span.Attributes, "gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"" + new string('q', 600) + "\"}]}]");
                    Add(span.Attributes, "gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"" + new string('a', 400) + "\"}],\"finish_reason\":\"stop\"}]");
                }

                break;
            case 2: // OpenInference LLM span with flattened messages
                span.Name = "ChatOpenAI";
                span.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Internal;
                Add(span.Attributes, "openinference.span.kind", "LLM");
                Add(span.Attributes, "llm.provider", "openai");
                Add(span.Attributes, "llm.system", "openai");
                Add(span.Attributes, "llm.model_name", "gpt-4o-2024-08-06");
                Add(span.Attributes, "llm.invocation_parameters", "{\"model\": \"gpt-4o\", \"temperature\": 0}");
                if (withContent)
                {
                    Add(span.Attributes, "llm.input_messages.0.message.role", "system");
                    Add(span.Attributes, "llm.input_messages.0.message.content", "You are a helpful assistant. " + new string('s', 200));
                    Add(span.Attributes, "llm.input_messages.1.message.role", "user");
                    Add(span.Attributes, "llm.input_messages.1.message.content", "What is the status of order 42?");
                    Add(span.Attributes, "llm.output_messages.0.message.role", "assistant");
                    Add(span.Attributes, "llm.output_messages.0.message.content", "Order 42 shipped yesterday.");
                }

                Add(span.Attributes, "llm.token_count.prompt", random.Next(100, 4000));
                Add(span.Attributes, "llm.token_count.completion", random.Next(10, 800));
                Add(span.Attributes, "llm.token_count.total", random.Next(200, 5000));
                Add(span.Attributes, "session.id", "session-" + (index % 4));
                break;
            case 3: // tool call
                span.Name = "execute_tool lookup_order";
                Add(span.Attributes, "gen_ai.operation.name", "execute_tool");
                Add(span.Attributes, "gen_ai.tool.name", "lookup_order");
                Add(span.Attributes, "gen_ai.tool.type", "function");
                Add(span.Attributes, "gen_ai.tool.call.id", "call_" + index.ToString("D6", CultureInfo.InvariantCulture));
                Add(span.Attributes, "gen_ai.tool.call.arguments", "{\"order_id\": " + (index % 7) + "}");
                Add(span.Attributes, "gen_ai.tool.call.result", "{\"status\": \"shipped\", \"carrier\": \"ups\"}");
                break;
            default: // agent invocation or plain HTTP
                if (index % 2 == 0)
                {
                    span.Name = "invoke_agent " + agent;
                    Add(span.Attributes, "gen_ai.operation.name", "invoke_agent");
                    Add(span.Attributes, "gen_ai.agent.name", agent);
                    Add(span.Attributes, "gen_ai.agent.id", "agt_" + agent);
                    Add(span.Attributes, "gen_ai.conversation.id", "conv-" + (index % 9));
                }
                else
                {
                    span.Name = "POST";
                    span.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client;
                    Add(span.Attributes, "http.request.method", "POST");
                    Add(span.Attributes, "url.full", "https://api.openai.com/v1/chat/completions");
                    Add(span.Attributes, "server.address", "api.openai.com");
                    Add(span.Attributes, "http.response.status_code", 200L);
                }

                break;
        }

        return span;
    }

    private static void Add(Google.Protobuf.Collections.RepeatedField<KeyValue> list, string key, object value) =>
        list.Add(new KeyValue
        {
            Key = key,
            Value = value switch
            {
                AnyValue any => any,
                string s => new AnyValue { StringValue = s },
                int i => new AnyValue { IntValue = i },
                long l => new AnyValue { IntValue = l },
                double d => new AnyValue { DoubleValue = d },
                _ => throw new ArgumentException(value.GetType().Name),
            },
        });

    /// <summary>OTLP/JSON as the Collector's pdata marshaler writes it (hex ids, int64 as strings, enums as numbers).</summary>
    public static byte[] ToOtlpJson(ExportTraceServiceRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("resourceSpans");
            foreach (var rs in request.ResourceSpans)
            {
                w.WriteStartObject();
                w.WriteStartObject("resource");
                Attributes(w, rs.Resource.Attributes);
                w.WriteEndObject();
                w.WriteStartArray("scopeSpans");
                foreach (var ss in rs.ScopeSpans)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("scope");
                    w.WriteString("name", ss.Scope.Name);
                    w.WriteString("version", ss.Scope.Version);
                    w.WriteEndObject();
                    w.WriteStartArray("spans");
                    foreach (var span in ss.Spans)
                    {
                        w.WriteStartObject();
                        w.WriteString("traceId", Convert.ToHexStringLower(span.TraceId.Span));
                        w.WriteString("spanId", Convert.ToHexStringLower(span.SpanId.Span));
                        w.WriteString("parentSpanId", Convert.ToHexStringLower(span.ParentSpanId.Span));
                        w.WriteNumber("flags", span.Flags);
                        w.WriteString("name", span.Name);
                        w.WriteNumber("kind", (int)span.Kind);
                        w.WriteString("startTimeUnixNano", span.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture));
                        w.WriteString("endTimeUnixNano", span.EndTimeUnixNano.ToString(CultureInfo.InvariantCulture));
                        Attributes(w, span.Attributes);
                        w.WriteStartObject("status");
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("schemaUrl", rs.SchemaUrl);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Attributes(Utf8JsonWriter w, IEnumerable<KeyValue> attributes)
    {
        w.WriteStartArray("attributes");
        foreach (var kv in attributes)
        {
            w.WriteStartObject();
            w.WriteString("key", kv.Key);
            w.WritePropertyName("value");
            Value(w, kv.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Value(Utf8JsonWriter w, AnyValue value)
    {
        w.WriteStartObject();
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                w.WriteString("stringValue", value.StringValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                w.WriteString("intValue", value.IntValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                w.WriteNumber("doubleValue", value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                w.WriteStartObject("arrayValue");
                w.WriteStartArray("values");
                foreach (var element in value.ArrayValue.Values)
                {
                    Value(w, element);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
    }
}
