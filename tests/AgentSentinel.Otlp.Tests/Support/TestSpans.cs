using AgentSentinel.Core.Spans;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>
/// Builds one-span requests with the generated types and decodes them through BOTH decoders (protobuf and OTLP/JSON),
/// asserting they agree, so every normaliser test also checks the two readers.
/// </summary>
internal static class TestSpans
{
    public static AgentSpan Decode(string name, params (string Key, object? Value)[] attributes) =>
        Decode(new Span { Name = name }, attributes);

    public static AgentSpan Decode(Span span, (string Key, object? Value)[] attributes, OtlpDecoderOptions? options = null, (string Key, object? Value)[]? resource = null)
    {
        foreach (var (key, value) in attributes)
        {
            span.Attributes.Add(new KeyValue { Key = key, Value = ToAnyValue(value) });
        }

        var request = new ExportTraceServiceRequest();
        var resourceSpans = new ResourceSpans { Resource = new Resource() };
        foreach (var (key, value) in resource ?? [])
        {
            resourceSpans.Resource.Attributes.Add(new KeyValue { Key = key, Value = ToAnyValue(value) });
        }

        resourceSpans.ScopeSpans.Add(new ScopeSpans { Spans = { span } });
        request.ResourceSpans.Add(resourceSpans);
        return Decode(request, options).Single();
    }

    public static AgentSpan[] Decode(ExportTraceServiceRequest request, OtlpDecoderOptions? options = null)
    {
        var fromProto = new SpanBatch();
        var fromJson = new SpanBatch();
        Assert.True(new OtlpProtoDecoder(options).TryDecode(request.ToByteArray(), fromProto, out var protoFailure), protoFailure.ToString());
        Assert.True(new OtlpJsonDecoder(options).TryDecode(OtlpJsonWriter.Write(request), fromJson, out var jsonFailure), jsonFailure.ToString());
        SpanAssert.Equal(fromProto.ToArray(), fromJson.ToArray());
        SpanAssert.Equal(ReferenceMapper.Map(request, options), fromProto.ToArray());
        return fromProto.ToArray();
    }

    public static Span.Types.Event Event(string name, params (string Key, object? Value)[] attributes)
    {
        var e = new Span.Types.Event { Name = name };
        foreach (var (key, value) in attributes)
        {
            e.Attributes.Add(new KeyValue { Key = key, Value = ToAnyValue(value) });
        }

        return e;
    }

    public static AnyValue? ToAnyValue(object? value) => value switch
    {
        null => null,
        AnyValue any => any,
        string s => new AnyValue { StringValue = s },
        bool b => new AnyValue { BoolValue = b },
        int i => new AnyValue { IntValue = i },
        long l => new AnyValue { IntValue = l },
        double d => new AnyValue { DoubleValue = d },
        byte[] bytes => new AnyValue { BytesValue = ByteString.CopyFrom(bytes) },
        string[] strings => new AnyValue { ArrayValue = new ArrayValue { Values = { strings.Select(x => new AnyValue { StringValue = x }) } } },
        IEnumerable<(string Key, object? Value)> list => new AnyValue
        {
            KvlistValue = new KeyValueList { Values = { list.Select(kv => new KeyValue { Key = kv.Key, Value = ToAnyValue(kv.Value) }) } },
        },
        _ => throw new ArgumentException("unsupported test value " + value.GetType()),
    };
}
