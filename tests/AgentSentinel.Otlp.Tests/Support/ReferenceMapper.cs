using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Normalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>
/// The oracle side of the reader tests: walks a Google.Protobuf-parsed <see cref="ExportTraceServiceRequest"/> object and
/// feeds the same normaliser the wire readers feed. Equal results mean the hand-written readers extract exactly what the
/// generated parser sees. Structure hashes and resource attribute sets are computed here independently from the object model.
/// </summary>
internal static class ReferenceMapper
{
    private static readonly NormalizerSettings DefaultSettings = new(new OtlpDecoderOptions());

    public static AgentSpan[] Map(ExportTraceServiceRequest request, OtlpDecoderOptions? options = null)
    {
        var settings = options is null ? DefaultSettings : new NormalizerSettings(options);
        var batch = new SpanBatch();
        var n = SpanNormalizer.Rent(settings, batch);
        try
        {
            foreach (var resourceSpans in request.ResourceSpans)
            {
                var first = batch.Count;
                n.BeginResourceSpans();
                if (resourceSpans.Resource is not null)
                {
                    foreach (var kv in resourceSpans.Resource.Attributes)
                    {
                        Attribute(n, settings, AttributeTarget.Resource, kv);
                    }
                }

                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    foreach (var span in scopeSpans.Spans)
                    {
                        n.BeginSpan();
                        n.SetTraceId(TraceId.FromBytes(span.TraceId.Span));
                        n.SetSpanId(SpanId.FromBytes(span.SpanId.Span));
                        n.SetParentSpanId(SpanId.FromBytes(span.ParentSpanId.Span));
                        n.SetSpanName(Encoding.UTF8.GetBytes(span.Name));
                        n.SetStartTime((long)span.StartTimeUnixNano);
                        n.SetEndTime((long)span.EndTimeUnixNano);
                        foreach (var kv in span.Attributes)
                        {
                            Attribute(n, settings, AttributeTarget.Span, kv);
                        }

                        foreach (var e in span.Events)
                        {
                            n.BeginEvent();
                            n.SetEventName(Encoding.UTF8.GetBytes(e.Name));
                            foreach (var kv in e.Attributes)
                            {
                                Attribute(n, settings, AttributeTarget.Event, kv);
                            }

                            n.EndEvent();
                        }

                        if (span.Status is not null)
                        {
                            n.SetStatusCode((long)span.Status.Code);
                        }

                        n.EndSpan(default);
                    }
                }

                n.EndResourceSpans();
                var resource = Resource(resourceSpans.Resource);
                for (var i = first; i < batch.Count; i++)
                {
                    batch[i].Resource = resource;
                }
            }
        }
        finally
        {
            SpanNormalizer.Return(n);
        }

        return batch.ToArray();
    }

    /// <summary>
    /// The expected <see cref="ResourceAttributes"/>: scalar attributes as invariant strings (bools lower case), bytes,
    /// arrays, key-value lists and absent values skipped, then <see cref="ResourceAttributes.Create"/>'s bounds.
    /// </summary>
    public static ResourceAttributes Resource(OpenTelemetry.Proto.Resource.V1.Resource? resource)
    {
        var items = new List<KeyValuePair<string, string>>();
        foreach (var kv in resource?.Attributes ?? [])
        {
            string? text = kv.Value?.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => kv.Value.StringValue,
                AnyValue.ValueOneofCase.BoolValue => kv.Value.BoolValue ? "true" : "false",
                AnyValue.ValueOneofCase.IntValue => kv.Value.IntValue.ToString(CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.DoubleValue => kv.Value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text is not null)
            {
                items.Add(new(kv.Key, text));
            }
        }

        return ResourceAttributes.Create(items);
    }

    private static void Attribute(SpanNormalizer n, NormalizerSettings settings, AttributeTarget target, KeyValue kv)
    {
        var key = settings.Keys.Lookup(Encoding.UTF8.GetBytes(kv.Key));
        if (!key.IsWanted || kv.Value is null)
        {
            return;
        }

        var v = kv.Value;
        if (v.ValueCase == AnyValue.ValueOneofCase.ArrayValue && key.WantsArrayElements)
        {
            foreach (var element in v.ArrayValue.Values)
            {
                if (element.ValueCase is not (AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue))
                {
                    Deliver(n, target, key, element, 0);
                }
            }

            return;
        }

        var hash = v.ValueCase is AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue && key.WantsStructureHash
            ? CanonicalHash(v)
            : 0UL;
        Deliver(n, target, key, v, hash);
    }

    private static void Deliver(SpanNormalizer n, AttributeTarget target, AttributeKey key, AnyValue v, ulong hash)
    {
        switch (v.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                n.OnAttribute(target, key, AttributeValue.String(Encoding.UTF8.GetBytes(v.StringValue)));
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                n.OnAttribute(target, key, AttributeValue.FromBool(v.BoolValue));
                break;
            case AnyValue.ValueOneofCase.IntValue:
                n.OnAttribute(target, key, AttributeValue.FromInt(v.IntValue));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                n.OnAttribute(target, key, AttributeValue.FromDouble(v.DoubleValue));
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                n.OnAttribute(target, key, AttributeValue.FromBytes(v.BytesValue.Span));
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                n.OnAttribute(target, key, AttributeValue.Structure(AnyValueKind.Array, hash));
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                n.OnAttribute(target, key, AttributeValue.Structure(AnyValueKind.KeyValueList, hash));
                break;
            default:
                n.OnAttribute(target, key, AttributeValue.Empty);
                break;
        }
    }

    /// <summary>FNV-1a of the canonical encoding documented on StructureHash, written independently from the readers.</summary>
    public static ulong CanonicalHash(AnyValue value)
    {
        var bytes = new List<byte>();
        Encode(bytes, value);
        var h = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>Plain FNV-1a 64 (the documented fingerprint of a string tool argument).</summary>
    public static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var h = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    private static void Encode(List<byte> output, AnyValue? value)
    {
        switch (value?.ValueCase ?? AnyValue.ValueOneofCase.None)
        {
            case AnyValue.ValueOneofCase.StringValue:
                Block(output, (byte)'s', Encoding.UTF8.GetBytes(value!.StringValue));
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                Block(output, (byte)'y', value!.BytesValue.ToByteArray());
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                output.Add((byte)'b');
                output.Add(value!.BoolValue ? (byte)1 : (byte)0);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                output.Add((byte)'i');
                Int64(output, value!.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                output.Add((byte)'d');
                Int64(output, BitConverter.DoubleToInt64Bits(value!.DoubleValue));
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                output.Add((byte)'[');
                foreach (var element in value!.ArrayValue.Values)
                {
                    Encode(output, element);
                }

                output.Add((byte)']');
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                output.Add((byte)'{');
                foreach (var kv in value!.KvlistValue.Values)
                {
                    Block(output, (byte)'k', Encoding.UTF8.GetBytes(kv.Key));
                    Encode(output, kv.Value);
                }

                output.Add((byte)'}');
                break;
            default:
                output.Add((byte)'n');
                break;
        }
    }

    private static void Block(List<byte> output, byte tag, byte[] bytes)
    {
        output.Add(tag);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        output.AddRange(length.ToArray());
        output.AddRange(bytes);
    }

    private static void Int64(List<byte> output, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        output.AddRange(bytes.ToArray());
    }
}
