using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>
/// Seeded random <see cref="ExportTraceServiceRequest"/>s built with the generated types: many resources, scopes and
/// spans; attributes of every AnyValue kind (nested arrays and kvlists, negative ints, NaN, bytes, non-ASCII and
/// JSON-hostile strings) drawn from the convention keys the normaliser knows and from noise; events, links, status;
/// and unknown fields of every wire type at several levels.
/// </summary>
internal sealed class RandomRequests(int seed)
{
    private static readonly string[] KnownKeys =
    [
        "gen_ai.operation.name", "traceloop.span.kind", "llm.request.type", "openinference.span.kind", "ai.operationId",
        "langsmith.span.kind", "langfuse.observation.type", "gen_ai.provider.name", "gen_ai.system", "llm.provider",
        "llm.system", "ai.model.provider", "langsmith.metadata.ls_provider", "gen_ai.request.model", "ai.model.id",
        "langsmith.metadata.ls_model_name", "llm.invocation_parameters", "gen_ai.response.model", "llm.model_name",
        "ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
        "ai.usage.inputTokens", "ai.usage.promptTokens", "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
        "llm.token_count.completion", "ai.usage.outputTokens", "ai.usage.completionTokens", "gen_ai.usage.total_tokens",
        "llm.usage.total_tokens", "llm.token_count.total", "ai.usage.totalTokens", "ai.usage.tokens",
        "gen_ai.usage.cache_read.input_tokens", "llm.token_count.prompt_details.cache_read", "ai.usage.cachedInputTokens",
        "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning",
        "gen_ai.usage.cost", "llm.cost.total", "operation.cost", "gen_ai.response.finish_reasons", "gen_ai.completion.0.finish_reason",
        "llm.finish_reason", "ai.response.finishReason", "gen_ai.tool.name", "traceloop.entity.name", "tool.name",
        "ai.toolCall.name", "gen_ai.tool.call.arguments", "traceloop.entity.input", "input.value", "ai.toolCall.args",
        "tool_arguments", "gen_ai.prompt", "gen_ai.tool.call.result", "traceloop.entity.output", "output.value",
        "ai.toolCall.result", "tool_response", "gen_ai.completion", "error.type", "otel.status_code", "exception.type",
        "gen_ai.agent.name", "gen_ai.agent.id", "agent.name", "agent_name", "ai.telemetry.functionId", "graph.node.id",
        "gen_ai.agent.role", "service.name",
    ];

    private static readonly string[] Words =
    [
        "chat", "LLM", "TOOL", "AGENT", "CHAIN", "agent", "tool", "workflow", "task", "embedding", "execute_tool",
        "invoke_agent", "create_agent", "ai.generateText.doGenerate", "ai.streamText", "ai.toolCall", "llm", "retriever",
        "stop", "STOP", "end_turn", "length", "max_tokens", "MAX_TOKENS", "tool_calls", "tool-calls", "content_filter",
        "SAFETY", "error", "weird", "ERROR", "OpenAI", "anthropic", "gpt-4o", "claude-3-5", "gemini-2.5-flash",
        "unknown_service", "unknown_service:python", "billing-agent", "planner", "TimeoutError", "123", "-4", "3.5",
        "{\"model\": \"gpt-4o-mini\", \"stop\": [\"\\n\"]}", "générer «texte» 😀", "quote\" back\\slash\nnewline\ttab", "",
    ];

    private static readonly string[] SpanNames =
    [
        "chat gpt-4o", "chat", "chat with support", "text_completion llama", "embeddings text-embedding-3-small",
        "execute_tool get_weather", "invoke_agent Travel Planner", "create_agent billing", "invoke_workflow nightly",
        "running tool: search", "agent run", "qa_agent run", "agent_run [hello]", "GET /v1/items", "POST", "openai.chat",
        "ai.generateText.doGenerate", "Agent workflow", "", "é\"\\ name",
    ];

    private readonly Random _random = new(seed);

    public ExportTraceServiceRequest Next()
    {
        var request = new ExportTraceServiceRequest();
        var resources = _random.Next(1, 4);
        for (var r = 0; r < resources; r++)
        {
            request.ResourceSpans.Add(MaybeWithUnknownFields(ResourceSpans(), ResourceSpansParser));
        }

        return MaybeWithUnknownFields(request, ExportTraceServiceRequest.Parser);
    }

    private static readonly MessageParser<ResourceSpans> ResourceSpansParser = OpenTelemetry.Proto.Trace.V1.ResourceSpans.Parser;

    private ResourceSpans ResourceSpans()
    {
        var rs = new ResourceSpans { SchemaUrl = _random.Next(4) == 0 ? "https://opentelemetry.io/schemas/1.26.0" : string.Empty };
        if (_random.Next(6) != 0)
        {
            var resource = new Resource { DroppedAttributesCount = (uint)_random.Next(3) };
            var count = _random.Next(0, 6);
            for (var i = 0; i < count; i++)
            {
                resource.Attributes.Add(Attribute(0));
            }

            rs.Resource = MaybeWithUnknownFields(resource, Resource.Parser);
        }

        var scopes = _random.Next(0, 3);
        for (var s = 0; s < scopes; s++)
        {
            var scopeSpans = new ScopeSpans
            {
                Scope = new InstrumentationScope { Name = Pick(["openinference.instrumentation.x", "ai", "pydantic-ai", "langsmith"]), Version = "1.2.3" },
            };
            scopeSpans.Scope.Attributes.Add(Attribute(0));
            var spans = _random.Next(0, 8);
            for (var i = 0; i < spans; i++)
            {
                scopeSpans.Spans.Add(MaybeWithUnknownFields(Span(), OpenTelemetry.Proto.Trace.V1.Span.Parser));
            }

            rs.ScopeSpans.Add(MaybeWithUnknownFields(scopeSpans, ScopeSpans.Parser));
        }

        return rs;
    }

    private Span Span()
    {
        var span = new Span
        {
            TraceId = _random.Next(10) == 0 ? ByteString.Empty : RandomBytes(16),
            SpanId = _random.Next(10) == 0 ? ByteString.Empty : RandomBytes(8),
            ParentSpanId = _random.Next(3) == 0 ? ByteString.Empty : RandomBytes(8),
            Name = Pick(SpanNames),
            Kind = (Span.Types.SpanKind)_random.Next(0, 6),
            StartTimeUnixNano = (ulong)_random.NextInt64() * (ulong)_random.Next(1, 3),
            EndTimeUnixNano = (ulong)_random.NextInt64(),
            DroppedAttributesCount = (uint)_random.Next(2),
            Flags = (uint)_random.Next(0, 1024),
            TraceState = _random.Next(3) == 0 ? "vendor=x" : string.Empty,
        };
        var attributes = _random.Next(0, 25);
        for (var i = 0; i < attributes; i++)
        {
            span.Attributes.Add(Attribute(0));
        }

        var events = _random.Next(0, 3);
        for (var i = 0; i < events; i++)
        {
            var e = new Span.Types.Event { Name = Pick(["exception", "gen_ai.choice", "ai.stream.firstChunk", "log"]), TimeUnixNano = (ulong)_random.NextInt64() };
            e.Attributes.Add(new KeyValue { Key = "exception.type", Value = new AnyValue { StringValue = Pick(["ValueError", "System.TimeoutException", ""]) } });
            e.Attributes.Add(new KeyValue { Key = "exception.message", Value = new AnyValue { StringValue = "secret content" } });
            e.Attributes.Add(new KeyValue { Key = "finish_reason", Value = new AnyValue { StringValue = Pick(["stop", "length", "tool_use"]) } });
            span.Events.Add(e);
        }

        if (_random.Next(3) == 0)
        {
            var link = new Span.Types.Link { TraceId = RandomBytes(16), SpanId = RandomBytes(8), Flags = 256 };
            link.Attributes.Add(Attribute(0));
            span.Links.Add(link);
        }

        if (_random.Next(2) == 0)
        {
            span.Status = new Status { Code = (Status.Types.StatusCode)_random.Next(0, 3), Message = _random.Next(2) == 0 ? "boom" : string.Empty };
        }

        return span;
    }

    private KeyValue Attribute(int depth)
    {
        var key = _random.Next(3) == 0
            ? Pick(["noise.key", "llm.input_messages.0.message.content", "langfuse.export.usage.input", "x", "é.key", "gen_ai.completion.3.finish_reason"])
            : Pick(KnownKeys);
        var kv = new KeyValue { Key = key, Value = _random.Next(20) == 0 ? null : Value(depth) };
        if (_random.Next(10) == 0 && kv.Value is not null)
        {
            kv.Value = MaybeWithUnknownFields(kv.Value, AnyValue.Parser);
        }

        return _random.Next(10) == 0 ? MaybeWithUnknownFields(kv, KeyValue.Parser) : kv;
    }

    private AnyValue Value(int depth)
    {
        var kind = _random.Next(depth >= 3 ? 6 : 9);
        return kind switch
        {
            0 or 1 => new AnyValue { StringValue = Pick(Words) },
            2 => new AnyValue { IntValue = _random.Next(4) == 0 ? -_random.NextInt64() : _random.Next(0, 100_000) },
            3 => new AnyValue { DoubleValue = Pick([0.5, 1e-5, 42.0, -3.25, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 123456789.125]) },
            4 => new AnyValue { BoolValue = _random.Next(2) == 0 },
            5 => new AnyValue { BytesValue = RandomBytes(_random.Next(0, 12)) },
            6 => Array(depth),
            7 => KvList(depth),
            _ => _random.Next(2) == 0 ? new AnyValue() : new AnyValue { StringValueStrindex = 3 },
        };
    }

    private AnyValue Array(int depth)
    {
        var array = new ArrayValue();
        var count = _random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            array.Values.Add(_random.Next(2) == 0 ? new AnyValue { StringValue = Pick(Words) } : Value(depth + 1));
        }

        return new AnyValue { ArrayValue = array };
    }

    private AnyValue KvList(int depth)
    {
        var list = new KeyValueList();
        var count = _random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            list.Values.Add(new KeyValue { Key = Pick(["role", "content", "é", ""]), Value = _random.Next(8) == 0 ? null : Value(depth + 1) });
        }

        return new AnyValue { KvlistValue = list };
    }

    /// <summary>Re-parses the message from its bytes plus unknown fields (every wire type), so they sit in its UnknownFieldSet.</summary>
    private T MaybeWithUnknownFields<T>(T message, MessageParser<T> parser)
        where T : IMessage<T>
    {
        if (_random.Next(3) != 0)
        {
            return message;
        }

        using var stream = new MemoryStream();
        message.WriteTo(stream);
        var output = new CodedOutputStream(stream);
        var fields = _random.Next(1, 4);
        for (var i = 0; i < fields; i++)
        {
            var field = _random.Next(0, 3) switch
            {
                0 => 17 + _random.Next(0, 50),
                1 => _random.Next(2) == 0 ? 999 : 1001, // not 1000: the reader accepts the legacy instrumentation_library_spans there
                _ => 100_000 + _random.Next(0, 1000),
            };
            switch (_random.Next(4))
            {
                case 0:
                    output.WriteTag(field, WireFormat.WireType.Varint);
                    output.WriteInt64(_random.Next(2) == 0 ? -1 : _random.Next());
                    break;
                case 1:
                    output.WriteTag(field, WireFormat.WireType.Fixed64);
                    output.WriteFixed64((ulong)_random.NextInt64());
                    break;
                case 2:
                    output.WriteTag(field, WireFormat.WireType.Fixed32);
                    output.WriteFixed32((uint)_random.Next());
                    break;
                default:
                    output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(RandomBytes(_random.Next(0, 20)));
                    break;
            }
        }

        output.Flush();
        return parser.ParseFrom(stream.ToArray());
    }

    private ByteString RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
