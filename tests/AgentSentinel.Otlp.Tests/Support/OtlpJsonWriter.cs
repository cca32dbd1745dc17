using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>Which OTLP/JSON dialect to write: pdata's canonical form, or the variants seen in the wild.</summary>
internal sealed record JsonDialect
{
    public static readonly JsonDialect Canonical = new();

    public bool UpperCaseHex { get; init; }

    public bool Int64AsNumbers { get; init; }

    public bool EnumNames { get; init; }

    public bool SnakeCaseNames { get; init; }

    public bool IntegralDoublesAsIntegers { get; init; }

    public bool ValueBeforeKey { get; init; }

    public bool UnknownFields { get; init; }

    public bool LegacyInstrumentationLibrary { get; init; }

    public bool Indented { get; init; }

    public static JsonDialect Random(Random random) => new()
    {
        UpperCaseHex = random.Next(2) == 0,
        Int64AsNumbers = random.Next(2) == 0,
        EnumNames = random.Next(2) == 0,
        SnakeCaseNames = random.Next(4) == 0,
        IntegralDoublesAsIntegers = random.Next(2) == 0,
        ValueBeforeKey = random.Next(3) == 0,
        UnknownFields = random.Next(2) == 0,
        LegacyInstrumentationLibrary = random.Next(5) == 0,
        Indented = random.Next(3) == 0,
    };
}

/// <summary>
/// Writes a generated <see cref="ExportTraceServiceRequest"/> as OTLP/JSON (hex ids, decimal-string int64, base64 bytes,
/// NaN as strings) in a chosen dialect. Test-only: the oracle for the JSON reader.
/// </summary>
internal static class OtlpJsonWriter
{
    public static byte[] Write(ExportTraceServiceRequest request, JsonDialect? dialect = null)
    {
        dialect ??= JsonDialect.Canonical;
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = dialect.Indented }))
        {
            var d = dialect;
            w.WriteStartObject();
            Unknown(w, d, "leading");
            w.WriteStartArray(Name(d, "resourceSpans", "resource_spans"));
            foreach (var rs in request.ResourceSpans)
            {
                w.WriteStartObject();
                if (rs.Resource is not null)
                {
                    w.WriteStartObject("resource");
                    Unknown(w, d, "entityRefs");
                    Attributes(w, d, rs.Resource.Attributes);
                    if (rs.Resource.DroppedAttributesCount != 0)
                    {
                        w.WriteNumber(Name(d, "droppedAttributesCount", "dropped_attributes_count"), rs.Resource.DroppedAttributesCount);
                    }

                    w.WriteEndObject();
                }

                w.WriteStartArray(d.LegacyInstrumentationLibrary ? "instrumentationLibrarySpans" : Name(d, "scopeSpans", "scope_spans"));
                foreach (var ss in rs.ScopeSpans)
                {
                    w.WriteStartObject();
                    if (ss.Scope is not null)
                    {
                        w.WriteStartObject(d.LegacyInstrumentationLibrary ? "instrumentationLibrary" : "scope");
                        w.WriteString("name", ss.Scope.Name);
                        w.WriteString("version", ss.Scope.Version);
                        Attributes(w, d, ss.Scope.Attributes);
                        w.WriteEndObject();
                    }

                    w.WriteStartArray("spans");
                    foreach (var span in ss.Spans)
                    {
                        Span(w, d, span);
                    }

                    w.WriteEndArray();
                    if (ss.SchemaUrl.Length > 0)
                    {
                        w.WriteString(Name(d, "schemaUrl", "schema_url"), ss.SchemaUrl);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (rs.SchemaUrl.Length > 0)
                {
                    w.WriteString(Name(d, "schemaUrl", "schema_url"), rs.SchemaUrl);
                }

                Unknown(w, d, "trailing");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Span(Utf8JsonWriter w, JsonDialect d, Span span)
    {
        w.WriteStartObject();
        Unknown(w, d, "x-vendor");
        Id(w, d, Name(d, "traceId", "trace_id"), span.TraceId);
        Id(w, d, Name(d, "spanId", "span_id"), span.SpanId);
        if (span.TraceState.Length > 0)
        {
            w.WriteString(Name(d, "traceState", "trace_state"), span.TraceState);
        }

        Id(w, d, Name(d, "parentSpanId", "parent_span_id"), span.ParentSpanId);
        if (span.Flags != 0)
        {
            w.WriteNumber("flags", span.Flags);
        }

        w.WriteString("name", span.Name);
        if (span.Kind != 0)
        {
            if (d.EnumNames)
            {
                w.WriteString("kind", "SPAN_KIND_" + span.Kind.ToString().ToUpperInvariant());
            }
            else
            {
                w.WriteNumber("kind", (int)span.Kind);
            }
        }

        UInt64(w, d, Name(d, "startTimeUnixNano", "start_time_unix_nano"), span.StartTimeUnixNano);
        UInt64(w, d, Name(d, "endTimeUnixNano", "end_time_unix_nano"), span.EndTimeUnixNano);
        Attributes(w, d, span.Attributes);
        if (span.Events.Count > 0)
        {
            w.WriteStartArray("events");
            foreach (var e in span.Events)
            {
                w.WriteStartObject();
                UInt64(w, d, Name(d, "timeUnixNano", "time_unix_nano"), e.TimeUnixNano);
                if (d.ValueBeforeKey)
                {
                    Attributes(w, d, e.Attributes);
                    w.WriteString("name", e.Name);
                }
                else
                {
                    w.WriteString("name", e.Name);
                    Attributes(w, d, e.Attributes);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (span.Links.Count > 0)
        {
            w.WriteStartArray("links");
            foreach (var link in span.Links)
            {
                w.WriteStartObject();
                Id(w, d, Name(d, "traceId", "trace_id"), link.TraceId);
                Id(w, d, Name(d, "spanId", "span_id"), link.SpanId);
                Attributes(w, d, link.Attributes);
                w.WriteNumber("flags", link.Flags);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (span.Status is not null)
        {
            w.WriteStartObject("status");
            if (span.Status.Message.Length > 0)
            {
                w.WriteString("message", span.Status.Message);
            }

            if (span.Status.Code != 0)
            {
                if (d.EnumNames)
                {
                    w.WriteString("code", "STATUS_CODE_" + span.Status.Code.ToString().ToUpperInvariant());
                }
                else
                {
                    w.WriteNumber("code", (int)span.Status.Code);
                }
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Attributes(Utf8JsonWriter w, JsonDialect d, IEnumerable<KeyValue> attributes)
    {
        w.WriteStartArray("attributes");
        foreach (var kv in attributes)
        {
            KeyValue(w, d, kv);
        }

        w.WriteEndArray();
    }

    private static void KeyValue(Utf8JsonWriter w, JsonDialect d, KeyValue kv)
    {
        w.WriteStartObject();
        if (!d.ValueBeforeKey)
        {
            w.WriteString("key", kv.Key);
        }

        if (kv.Value is not null)
        {
            w.WritePropertyName("value");
            Value(w, d, kv.Value);
        }

        if (d.ValueBeforeKey)
        {
            w.WriteString("key", kv.Key);
        }

        w.WriteEndObject();
    }

    private static void Value(Utf8JsonWriter w, JsonDialect d, AnyValue value)
    {
        w.WriteStartObject();
        Unknown(w, d, "unknownCase");
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                w.WriteString(Name(d, "stringValue", "string_value"), value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                w.WriteBoolean(Name(d, "boolValue", "bool_value"), value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                if (d.Int64AsNumbers)
                {
                    w.WriteNumber(Name(d, "intValue", "int_value"), value.IntValue);
                }
                else
                {
                    w.WriteString(Name(d, "intValue", "int_value"), value.IntValue.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                var x = value.DoubleValue;
                var name = Name(d, "doubleValue", "double_value");
                if (double.IsNaN(x))
                {
                    w.WriteString(name, "NaN");
                }
                else if (double.IsPositiveInfinity(x))
                {
                    w.WriteString(name, "Infinity");
                }
                else if (double.IsNegativeInfinity(x))
                {
                    w.WriteString(name, "-Infinity");
                }
                else if (d.IntegralDoublesAsIntegers && x == Math.Floor(x) && Math.Abs(x) < 1e15)
                {
                    w.WriteNumber(name, (long)x);
                }
                else
                {
                    w.WriteNumber(name, x);
                }

                break;
            case AnyValue.ValueOneofCase.BytesValue:
                w.WriteString(Name(d, "bytesValue", "bytes_value"), Convert.ToBase64String(value.BytesValue.Span));
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                w.WriteStartObject(Name(d, "arrayValue", "array_value"));
                w.WriteStartArray("values");
                foreach (var element in value.ArrayValue.Values)
                {
                    Value(w, d, element);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                w.WriteStartObject(Name(d, "kvlistValue", "kvlist_value"));
                w.WriteStartArray("values");
                foreach (var kv in value.KvlistValue.Values)
                {
                    KeyValue(w, d, kv);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.StringValueStrindex:
                w.WriteNumber("stringValueStrindex", value.StringValueStrindex);
                break;
        }

        w.WriteEndObject();
    }

    private static void Id(Utf8JsonWriter w, JsonDialect d, string name, ByteString id)
    {
        var hex = Convert.ToHexString(id.Span);
        w.WriteString(name, d.UpperCaseHex ? hex : hex.ToLowerInvariant());
    }

    private static void UInt64(Utf8JsonWriter w, JsonDialect d, string name, ulong value)
    {
        if (d.Int64AsNumbers)
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Unknown fields of every JSON kind, including nested subtrees that look like OTLP.</summary>
    private static void Unknown(Utf8JsonWriter w, JsonDialect d, string name)
    {
        if (!d.UnknownFields)
        {
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("n", -1.5e300);
        w.WriteString("s", "\"}]{[\\");
        w.WriteNull("z");
        w.WriteStartArray("spans");
        w.WriteStartObject();
        w.WriteString("traceId", "not hex at all");
        w.WriteEndObject();
        w.WriteBooleanValue(true);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Name(JsonDialect d, string camel, string snake) => d.SnakeCaseNames ? snake : camel;
}
