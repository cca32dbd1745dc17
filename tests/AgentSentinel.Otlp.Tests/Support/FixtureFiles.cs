using System.Text;
using System.Text.Json;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>Turns the flat attribute maps of openinference/genai-attribute-maps into one-span requests.</summary>
internal static class FixtureFiles
{
    public static ExportTraceServiceRequest AttributeMapRequest(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(StreamRecords.FixturePath("openinference", "genai-attribute-maps", fileName)));
        var span = new Span { Name = "fixture" };
        foreach (var property in document.RootElement.EnumerateObject())
        {
            span.Attributes.Add(new KeyValue { Key = property.Name, Value = ToAnyValue(property.Value) });
        }

        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans { Resource = new Resource(), ScopeSpans = { new ScopeSpans { Spans = { span } } } });
        return request;
    }

    public static byte[] Read(params string[] parts) => File.ReadAllBytes(StreamRecords.FixturePath(parts));

    private static AnyValue ToAnyValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => new AnyValue { StringValue = value.GetString() },
        JsonValueKind.Number when value.TryGetInt64(out var l) => new AnyValue { IntValue = l },
        JsonValueKind.Number => new AnyValue { DoubleValue = value.GetDouble() },
        JsonValueKind.True or JsonValueKind.False => new AnyValue { BoolValue = value.GetBoolean() },
        JsonValueKind.Array => new AnyValue { ArrayValue = new ArrayValue { Values = { value.EnumerateArray().Select(ToAnyValue) } } },
        _ => new AnyValue { StringValue = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value.GetRawText())) },
    };
}
