using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Internal;
using AgentSentinel.Otlp.Normalization;

namespace AgentSentinel.Otlp.Protobuf;

/// <summary>
/// A forward-only reader of <c>ExportTraceServiceRequest</c> bytes (no Google.Protobuf): walks the wire format once,
/// descends only into the messages we use (resource attributes, spans, their attributes, events and status), and feeds
/// the <see cref="SpanNormalizer"/>. Unknown fields of every wire type are skipped (groups included); known fields with
/// the wrong wire type are <see cref="DecodeErrorKind.Malformed"/>; a length or varint running past its message is
/// <see cref="DecodeErrorKind.Truncated"/>; span, attribute and nesting limits give <see cref="DecodeErrorKind.LimitExceeded"/>.
/// Positions are absolute offsets in the payload, so string values can stay slices of it until the end of the span,
/// and are threaded through <see cref="ProtoWire"/> by value so that they live in registers.
/// </summary>
internal ref struct ProtoSpanReader
{
    // Tags (field << 3 | wire type).
    private const uint Field1Length = (1 << 3) | ProtoWire.LengthDelimited;
    private const uint Field2Length = (2 << 3) | ProtoWire.LengthDelimited;
    private const uint Field3Length = (3 << 3) | ProtoWire.LengthDelimited;

    private readonly ReadOnlySpan<byte> _data;
    private readonly SpanNormalizer _normalizer;
    private readonly AttributeKeyTable _keys;
    private readonly int _maxSpans;
    private readonly int _maxAttributes;
    private readonly int _maxDepth;
    private int _spans;
    private DecodeErrorKind _errorKind;
    private string _errorReason;

    public ProtoSpanReader(ReadOnlySpan<byte> data, SpanNormalizer normalizer, AttributeKeyTable keys, int maxSpans, int maxAttributes, int maxDepth)
    {
        _data = data;
        _normalizer = normalizer;
        _keys = keys;
        _maxSpans = maxSpans;
        _maxAttributes = maxAttributes;
        _maxDepth = maxDepth;
        _spans = 0;
        _errorKind = DecodeErrorKind.None;
        _errorReason = string.Empty;
    }

    public readonly DecodeFailure Failure => new(_errorKind, _errorReason);

    /// <summary>ExportTraceServiceRequest / TracesData: 1 resource_spans.</summary>
    public bool ReadRequest()
    {
        var data = _data;
        var pos = 0;
        var end = data.Length;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (tag == Field1Length && pos >= 0)
            {
                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0 || !ReadResourceSpans(pos, pos + length))
                {
                    return pos < 0 ? Fail(pos) : false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 1, false, "request: wrong wire type for resource_spans");
            }

            if (pos < 0)
            {
                return Fail(pos);
            }
        }

        return true;
    }

    /// <summary>ResourceSpans: 1 resource, 2 scope_spans, 3 schema_url; 1000 is the pre-1.0 instrumentation_library_spans (same layout).</summary>
    private bool ReadResourceSpans(int pos, int end)
    {
        var data = _data;
        _normalizer.BeginResourceSpans();
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag is Field1Length or Field2Length or ((1000 << 3) | ProtoWire.LengthDelimited))
            {
                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0)
                {
                    return Fail(pos);
                }

                if (!(tag == Field1Length ? ReadResource(pos, pos + length) : ReadScopeSpans(pos, pos + length)))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 3, tag == Field3Length, "resource_spans: wrong wire type for a known field");
                if (pos < 0)
                {
                    return Fail(pos);
                }
            }
        }

        _normalizer.EndResourceSpans();
        return true;
    }

    /// <summary>Resource: 1 attributes, 2 dropped_attributes_count, 3 entity_refs.</summary>
    private bool ReadResource(int pos, int end)
    {
        var data = _data;
        var count = 0;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag == Field1Length)
            {
                if (++count > _maxAttributes)
                {
                    return Fail(DecodeErrorKind.LimitExceeded, "resource: too many attributes");
                }

                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0)
                {
                    return Fail(pos);
                }

                // The general path: every resource attribute is delivered (a few per record, never per span).
                if (!ReadKeyValueGeneral(data, pos, pos + length, AttributeTarget.Resource))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 3, tag is ((2 << 3) | ProtoWire.Varint) or Field3Length, "resource: wrong wire type for a known field");
                if (pos < 0)
                {
                    return Fail(pos);
                }
            }
        }

        return true;
    }

    /// <summary>ScopeSpans: 1 scope (skipped), 2 spans, 3 schema_url.</summary>
    private bool ReadScopeSpans(int pos, int end)
    {
        var data = _data;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag == Field2Length)
            {
                if (++_spans > _maxSpans)
                {
                    return Fail(DecodeErrorKind.LimitExceeded, "record: too many spans");
                }

                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0)
                {
                    return Fail(pos);
                }

                if (!ReadSpan(data, pos, pos + length))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 3, tag is Field1Length or Field3Length, "scope_spans: wrong wire type for a known field");
                if (pos < 0)
                {
                    return Fail(pos);
                }
            }
        }

        return true;
    }

    private bool ReadSpan(ReadOnlySpan<byte> data, int pos, int end)
    {
        var n = _normalizer;
        n.BeginSpan();
        var attributes = 0;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            int length;
            switch (tag)
            {
                case (9 << 3) | ProtoWire.LengthDelimited: // attributes
                    if (++attributes > _maxAttributes)
                    {
                        return Fail(DecodeErrorKind.LimitExceeded, "span: too many attributes");
                    }

                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    if (!ReadKeyValue(data, pos, pos + length, AttributeTarget.Span))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (1 << 3) | ProtoWire.LengthDelimited: // trace_id
                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    if (length == 16)
                    {
                        n.SetTraceId(TraceId.FromBytes(data.Slice(pos, 16)));
                    }
                    else if (length != 0)
                    {
                        return Fail(DecodeErrorKind.Malformed, "span: trace_id must be 16 bytes");
                    }

                    pos += length;
                    break;
                case (2 << 3) | ProtoWire.LengthDelimited: // span_id
                case (4 << 3) | ProtoWire.LengthDelimited: // parent_span_id
                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    if (length is not 8 and not 0)
                    {
                        return Fail(DecodeErrorKind.Malformed, "span: span_id and parent_span_id must be 8 bytes");
                    }

                    var id = length == 8 ? new SpanId(BinaryPrimitives.ReadUInt64BigEndian(data.Slice(pos, 8))) : default;
                    if (tag == ((2 << 3) | ProtoWire.LengthDelimited))
                    {
                        n.SetSpanId(id);
                    }
                    else
                    {
                        n.SetParentSpanId(id);
                    }

                    pos += length;
                    break;
                case (5 << 3) | ProtoWire.LengthDelimited: // name
                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    n.SetSpanName(data.Slice(pos, length));
                    pos += length;
                    break;
                case (7 << 3) | ProtoWire.Fixed64: // start_time_unix_nano
                case (8 << 3) | ProtoWire.Fixed64: // end_time_unix_nano
                    var next = ProtoWire.ReadFixed64(data, pos, end, out var time);
                    if (next < 0)
                    {
                        return Fail(next);
                    }

                    if (tag == ((7 << 3) | ProtoWire.Fixed64))
                    {
                        n.SetStartTime((long)time);
                    }
                    else
                    {
                        n.SetEndTime((long)time);
                    }

                    pos = next;
                    break;
                case (11 << 3) | ProtoWire.LengthDelimited: // events
                case (15 << 3) | ProtoWire.LengthDelimited: // status
                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    if (!(tag == ((11 << 3) | ProtoWire.LengthDelimited) ? ReadEvent(data, pos, pos + length) : ReadStatus(data, pos, pos + length)))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (3 << 3) | ProtoWire.LengthDelimited: // trace_state
                case (13 << 3) | ProtoWire.LengthDelimited: // links
                    pos = ProtoWire.ReadLength(data, pos, end, out length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    pos += length;
                    break;
                case (6 << 3) | ProtoWire.Varint: // kind
                case (10 << 3) | ProtoWire.Varint: // dropped_attributes_count
                case (12 << 3) | ProtoWire.Varint: // dropped_events_count
                case (14 << 3) | ProtoWire.Varint: // dropped_links_count
                    pos = ProtoWire.ReadVarint(data, pos, end, out _);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    break;
                case (16 << 3) | ProtoWire.Fixed32: // flags
                    if (end - pos < 4)
                    {
                        return Fail(WireError.FixedPastEnd);
                    }

                    pos += 4;
                    break;
                default:
                    pos = Other(data, pos, end, tag, 16, false, "span: wrong wire type for a known field");
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    break;
            }
        }

        n.EndSpan(data);
        return true;
    }

    /// <summary>Span.Event: 1 time_unix_nano, 2 name, 3 attributes, 4 dropped_attributes_count.</summary>
    private bool ReadEvent(ReadOnlySpan<byte> data, int pos, int end)
    {
        var n = _normalizer;
        n.BeginEvent();
        var attributes = 0;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag is Field2Length or Field3Length)
            {
                if (tag == Field3Length && ++attributes > _maxAttributes)
                {
                    return Fail(DecodeErrorKind.LimitExceeded, "span event: too many attributes");
                }

                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0)
                {
                    return Fail(pos);
                }

                if (tag == Field2Length)
                {
                    n.SetEventName(data.Slice(pos, length));
                }
                else if (!ReadKeyValue(data, pos, pos + length, AttributeTarget.Event))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 4, tag is ((1 << 3) | ProtoWire.Fixed64) or ((4 << 3) | ProtoWire.Varint), "span event: wrong wire type for a known field");
                if (pos < 0)
                {
                    return Fail(pos);
                }
            }
        }

        n.EndEvent();
        return true;
    }

    /// <summary>Status: 2 message (never kept), 3 code. Field 1 is the reserved deprecated_code.</summary>
    private bool ReadStatus(ReadOnlySpan<byte> data, int pos, int end)
    {
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos >= 0)
            {
                if (tag == ((3 << 3) | ProtoWire.Varint))
                {
                    pos = ProtoWire.ReadVarint(data, pos, end, out var code);
                    _normalizer.SetStatusCode((long)code);
                }
                else
                {
                    pos = Other(data, pos, end, tag, 3, tag is Field2Length or ((1 << 3) | ProtoWire.Varint), "status: wrong wire type for a known field");
                }
            }

            if (pos < 0)
            {
                return Fail(pos);
            }
        }

        return true;
    }

    /// <summary>KeyValue: 1 key, 2 value, 3 key_strindex (ignored). The whole message is read before the value is used.</summary>
    private bool ReadKeyValue(ReadOnlySpan<byte> data, int pos, int end, AttributeTarget target)
    {
        // Fast path, almost every attribute: the canonical layout (key of < 128 bytes, then the value, nothing else)
        // with a string, int or double value filling the AnyValue. Worked on a slice of the KeyValue so that the JIT can
        // drop most bounds checks; anything else (including every malformed input) takes the general path below, which
        // reaches the same result for these inputs.
        if ((uint)pos <= (uint)end && (uint)end <= (uint)data.Length)
        {
            var kv = data[pos..end];
            if (kv.Length >= 6 && kv[0] == Field1Length && kv[1] < 0x80)
            {
                var keyLength = (int)kv[1];
                var valueTag = keyLength + 2;
                if ((uint)(valueTag + 3) < (uint)kv.Length && kv[valueTag] == Field2Length)
                {
                    var valueStart = ProtoWire.ReadLength(kv, valueTag + 1, kv.Length, out var valueLength);
                    if (valueStart >= 0 && valueStart + valueLength == kv.Length && valueLength >= 2)
                    {
                        var any = kv.Slice(valueStart);
                        ValueRef value;
                        var tag = any[0];
                        if (tag == ((1 << 3) | ProtoWire.LengthDelimited))
                        {
                            var next = ProtoWire.ReadLength(any, 1, any.Length, out var length);
                            if (next < 0 || next + length != any.Length)
                            {
                                return ReadKeyValueGeneral(data, pos, end, target);
                            }

                            value = new ValueRef(1, pos + valueStart + next, length, 0);
                        }
                        else if (tag == ((3 << 3) | ProtoWire.Varint))
                        {
                            if (ProtoWire.ReadVarint(any, 1, any.Length, out var scalar) != any.Length)
                            {
                                return ReadKeyValueGeneral(data, pos, end, target);
                            }

                            value = new ValueRef(3, 0, 0, scalar);
                        }
                        else if (tag == ((4 << 3) | ProtoWire.Fixed64) && any.Length == 9)
                        {
                            value = new ValueRef(4, 0, 0, BinaryPrimitives.ReadUInt64LittleEndian(any.Slice(1)));
                        }
                        else if (tag == ((5 << 3) | ProtoWire.LengthDelimited) && _maxDepth >= 1)
                        {
                            return ReadStringArray(data, pos + valueStart, any, kv.Slice(2, keyLength), target)
                                || ReadKeyValueGeneral(data, pos, end, target);
                        }
                        else
                        {
                            return ReadKeyValueGeneral(data, pos, end, target);
                        }

                        var key = _keys.Lookup(kv.Slice(2, keyLength));
                        if (key.IsWanted)
                        {
                            _normalizer.OnAttribute(target, key, ToAttributeValue(data, value, 0));
                        }

                        return true;
                    }
                }
            }
        }

        return ReadKeyValueGeneral(data, pos, end, target);
    }

    /// <summary>
    /// Fast path for an AnyValue holding an array of short strings only (finish reasons), each element in the canonical
    /// one-byte-length layout and the array filling the value. Returns false, having delivered nothing, for any other
    /// shape; the general path then handles it (and every error).
    /// </summary>
    private bool ReadStringArray(ReadOnlySpan<byte> data, int anyStart, ReadOnlySpan<byte> any, ReadOnlySpan<byte> keyBytes, AttributeTarget target)
    {
        var bodyStart = ProtoWire.ReadLength(any, 1, any.Length, out var bodyLength);
        if (bodyStart < 0 || bodyStart + bodyLength != any.Length)
        {
            return false;
        }

        // Check the whole array first: elements 0A n (0A m <m bytes>) with n = m + 2, all lengths < 128.
        var body = any.Slice(bodyStart);
        var at = 0;
        while (at < body.Length)
        {
            if ((uint)(at + 3) >= (uint)body.Length || body[at] != Field1Length || body[at + 2] != Field1Length)
            {
                return false;
            }

            int elementLength = body[at + 1], stringLength = body[at + 3];
            if (elementLength >= 0x80 || stringLength + 2 != elementLength || at + 2 + elementLength > body.Length)
            {
                return false;
            }

            at += 2 + elementLength;
        }

        var key = _keys.Lookup(keyBytes);
        if (!key.IsWanted)
        {
            return true;
        }

        if (!key.WantsArrayElements)
        {
            return false; // structure hash or an array where a scalar was expected: the general path knows
        }

        var bodyOffset = anyStart + bodyStart;
        for (at = 0; at < body.Length; at += 2 + body[at + 1])
        {
            _normalizer.OnAttribute(target, key, AttributeValue.String(data.Slice(bodyOffset + at + 4, body[at + 3]), bodyOffset + at + 4));
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ReadKeyValueGeneral(ReadOnlySpan<byte> data, int pos, int end, AttributeTarget target)
    {
        int keyStart = pos, keyLength = 0, valueStart = -1, valueEnd = -1;

        // Fast path for the canonical layout every SDK writes: key (1) then value (2), nothing else.
        if (end - pos >= 4 && data[pos] == Field1Length && data[pos + 1] < 0x80)
        {
            var afterKey = pos + 2 + data[pos + 1];
            if (afterKey + 2 <= end && data[afterKey] == Field2Length)
            {
                var next = ProtoWire.ReadLength(data, afterKey + 1, end, out var length);
                if (next + length == end && next >= 0)
                {
                    keyStart = pos + 2;
                    keyLength = data[pos + 1];
                    valueStart = next;
                    valueEnd = end;
                    pos = end;
                }
            }
        }

        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos >= 0)
            {
                if (tag is Field1Length or Field2Length)
                {
                    pos = ProtoWire.ReadLength(data, pos, end, out var length);
                    if (tag == Field1Length)
                    {
                        keyStart = pos;
                        keyLength = length;
                    }
                    else
                    {
                        valueStart = pos;
                        valueEnd = pos + length;
                    }

                    pos += length;
                }
                else
                {
                    pos = Other(data, pos, end, tag, 3, tag == ((3 << 3) | ProtoWire.Varint), "attribute: wrong wire type for a known field");
                }
            }

            if (pos < 0)
            {
                return Fail(pos);
            }
        }

        var key = _keys.Lookup(data.Slice(keyStart, keyLength));
        if (!ScanAnyValue(data, valueStart, valueEnd, 0, validate: true, out var value))
        {
            return false;
        }

        if (target == AttributeTarget.Resource)
        {
            _normalizer.OnResourceEntry(data.Slice(keyStart, keyLength), ToAttributeValue(data, value, 0));
        }

        if (!key.IsWanted)
        {
            return true;
        }

        if (value.Field == 5 && key.WantsArrayElements)
        {
            DeliverElements(data, value, key, target);
            return true;
        }

        var hash = 0UL;
        if (value.Field is 5 or 6 && key.WantsStructureHash)
        {
            var fnv = Fnv1a64.Create();
            AppendStructure(data, ref fnv, value);
            hash = fnv.Value;
        }

        _normalizer.OnAttribute(target, key, ToAttributeValue(data, value, hash));
        return true;
    }

    /// <summary>Delivers the scalar elements of an already validated array one by one.</summary>
    private readonly void DeliverElements(ReadOnlySpan<byte> data, in ValueRef array, AttributeKey key, AttributeTarget target)
    {
        var pos = array.Start;
        var end = array.Start + array.Length;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            pos = ProtoWire.ReadLength(data, pos, end, out var length);
            if (pos < 0)
            {
                return;
            }

            if (tag == Field1Length)
            {
                var element = Scan(data, pos, pos + length);
                if (element.Field is not (5 or 6))
                {
                    _normalizer.OnAttribute(target, key, ToAttributeValue(data, element, 0));
                }
            }

            pos += length;
        }
    }

    private static AttributeValue ToAttributeValue(ReadOnlySpan<byte> data, in ValueRef value, ulong structureHash) => value.Field switch
    {
        1 => AttributeValue.String(data.Slice(value.Start, value.Length), value.Start),
        3 => AttributeValue.FromInt((long)value.Scalar),
        4 => AttributeValue.FromDouble(BitConverter.Int64BitsToDouble((long)value.Scalar)),
        2 => AttributeValue.FromBool(value.Scalar != 0),
        5 => AttributeValue.Structure(AnyValueKind.Array, structureHash),
        6 => AttributeValue.Structure(AnyValueKind.KeyValueList, structureHash),
        7 => AttributeValue.FromBytes(data.Slice(value.Start, value.Length)),
        _ => AttributeValue.Empty,
    };

    /// <summary>
    /// Reads an AnyValue (oneof: the last case on the wire wins, as in protobuf). With <paramref name="validate"/>, nested
    /// arrays and key-value lists are walked to check their structure and the nesting limit. <paramref name="start"/> &lt; 0 is an absent value.
    /// </summary>
    private bool ScanAnyValue(ReadOnlySpan<byte> data, int start, int end, int depth, bool validate, out ValueRef value)
    {
        value = default;
        var pos = start;
        if (start < 0)
        {
            return true;
        }

        // Fast path: one string, int or double case filling the whole message (the usual attribute value).
        if (end - pos >= 2)
        {
            var tag = data[pos];
            if (tag == ((1 << 3) | ProtoWire.LengthDelimited))
            {
                var next = ProtoWire.ReadLength(data, pos + 1, end, out var length);
                if (next >= 0 && next + length == end)
                {
                    value = new ValueRef(1, next, length, 0);
                    return true;
                }
            }
            else if (tag == ((3 << 3) | ProtoWire.Varint))
            {
                var next = ProtoWire.ReadVarint(data, pos + 1, end, out var scalar);
                if (next == end)
                {
                    value = new ValueRef(3, 0, 0, scalar);
                    return true;
                }
            }
            else if (tag == ((4 << 3) | ProtoWire.Fixed64) && end - pos == 9)
            {
                value = new ValueRef(4, 0, 0, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(pos + 1, 8)));
                return true;
            }
        }

        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            switch (tag)
            {
                case (1 << 3) | ProtoWire.LengthDelimited: // string_value
                case (7 << 3) | ProtoWire.LengthDelimited: // bytes_value
                case (5 << 3) | ProtoWire.LengthDelimited: // array_value
                case (6 << 3) | ProtoWire.LengthDelimited: // kvlist_value
                    pos = ProtoWire.ReadLength(data, pos, end, out var length);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    if (validate && tag is ((5 << 3) | ProtoWire.LengthDelimited) or ((6 << 3) | ProtoWire.LengthDelimited)
                        && !ValidateContainer(data, pos, pos + length, depth + 1, isArray: tag == ((5 << 3) | ProtoWire.LengthDelimited)))
                    {
                        return false;
                    }

                    value = new ValueRef((int)(tag >> 3), pos, length, 0);
                    pos += length;
                    break;
                case (2 << 3) | ProtoWire.Varint: // bool_value
                case (3 << 3) | ProtoWire.Varint: // int_value
                case (8 << 3) | ProtoWire.Varint: // string_value_strindex (profiles only: an empty value for us)
                    pos = ProtoWire.ReadVarint(data, pos, end, out var scalar);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    value = new ValueRef((int)(tag >> 3), 0, 0, scalar);
                    break;
                case (4 << 3) | ProtoWire.Fixed64: // double_value
                    pos = ProtoWire.ReadFixed64(data, pos, end, out var bits);
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    value = new ValueRef(4, 0, 0, bits);
                    break;
                default:
                    pos = Other(data, pos, end, tag, 8, false, "attribute value: wrong wire type for a known field");
                    if (pos < 0)
                    {
                        return Fail(pos);
                    }

                    break;
            }
        }

        return true;
    }

    /// <summary>ArrayValue (1 values: AnyValue) or KeyValueList (1 values: KeyValue) at nesting <paramref name="depth"/>.</summary>
    private bool ValidateContainer(ReadOnlySpan<byte> data, int pos, int end, int depth, bool isArray)
    {
        if (depth > _maxDepth)
        {
            return Fail(DecodeErrorKind.LimitExceeded, "attribute value: arrays/kvlists nested too deeply");
        }

        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag != Field1Length)
            {
                pos = Other(data, pos, end, tag, 1, false, "attribute value: wrong wire type in array/kvlist");
                if (pos < 0)
                {
                    return Fail(pos);
                }

                continue;
            }

            pos = ProtoWire.ReadLength(data, pos, end, out var length);
            if (pos < 0)
            {
                return Fail(pos);
            }

            var ok = isArray
                ? ScanAnyValue(data, pos, pos + length, depth, validate: true, out _)
                : ValidateNestedKeyValue(data, pos, pos + length, depth);
            if (!ok)
            {
                return false;
            }

            pos += length;
        }

        return true;
    }

    private bool ValidateNestedKeyValue(ReadOnlySpan<byte> data, int pos, int end, int depth)
    {
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                return Fail(pos);
            }

            if (tag == Field2Length)
            {
                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (pos < 0)
                {
                    return Fail(pos);
                }

                if (!ScanAnyValue(data, pos, pos + length, depth, validate: true, out _))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                pos = Other(data, pos, end, tag, 3, tag is Field1Length or ((3 << 3) | ProtoWire.Varint), "attribute: wrong wire type for a known field");
                if (pos < 0)
                {
                    return Fail(pos);
                }
            }
        }

        return true;
    }

    // ---------------------------------------------------------------- walks over validated bytes (cannot fail)

    /// <summary>The final case of an already validated AnyValue.</summary>
    private static ValueRef Scan(ReadOnlySpan<byte> data, int pos, int end)
    {
        var value = default(ValueRef);
        if (pos < 0)
        {
            return value;
        }

        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                break;
            }

            switch ((int)(tag & 7))
            {
                case ProtoWire.LengthDelimited:
                    pos = ProtoWire.ReadLength(data, pos, end, out var length);
                    value = new ValueRef((int)(tag >> 3), pos, length, 0);
                    pos += length;
                    break;
                case ProtoWire.Varint:
                    pos = ProtoWire.ReadVarint(data, pos, end, out var scalar);
                    value = new ValueRef((int)(tag >> 3), 0, 0, scalar);
                    break;
                case ProtoWire.Fixed64:
                    pos = ProtoWire.ReadFixed64(data, pos, end, out var bits);
                    value = new ValueRef((int)(tag >> 3), 0, 0, bits);
                    break;
                default:
                    pos = ProtoWire.SkipField(data, pos, end, tag);
                    break;
            }

            if (pos < 0)
            {
                break;
            }
        }

        return value.Field is >= 1 and <= 8 ? value : default;
    }

    /// <summary>Appends the canonical encoding (see <see cref="StructureHash"/>) of an already validated value.</summary>
    private static void AppendStructure(ReadOnlySpan<byte> data, ref Fnv1a64 hash, in ValueRef value)
    {
        switch (value.Field)
        {
            case 1:
                hash.AppendBlock(StructureHash.StringTag, data.Slice(value.Start, value.Length));
                break;
            case 7:
                hash.AppendBlock(StructureHash.BytesTag, data.Slice(value.Start, value.Length));
                break;
            case 2:
                hash.Append(StructureHash.BoolTag);
                hash.Append(value.Scalar != 0 ? (byte)1 : (byte)0);
                break;
            case 3:
            case 4:
                hash.Append(value.Field == 3 ? StructureHash.IntTag : StructureHash.DoubleTag);
                hash.AppendInt64((long)value.Scalar);
                break;
            case 5:
            case 6:
                var isArray = value.Field == 5;
                hash.Append(isArray ? StructureHash.ArrayStart : StructureHash.ListStart);
                var pos = value.Start;
                var end = value.Start + value.Length;
                while (pos < end)
                {
                    pos = ProtoWire.ReadTag(data, pos, end, out var tag);
                    pos = ProtoWire.ReadLength(data, pos, end, out var length);
                    if (pos < 0)
                    {
                        break;
                    }

                    if (tag == Field1Length)
                    {
                        if (isArray)
                        {
                            AppendStructure(data, ref hash, Scan(data, pos, pos + length));
                        }
                        else
                        {
                            AppendKeyValue(data, ref hash, pos, pos + length);
                        }
                    }

                    pos += length;
                }

                hash.Append(isArray ? StructureHash.ArrayEnd : StructureHash.ListEnd);
                break;
            default:
                hash.Append(StructureHash.EmptyTag);
                break;
        }
    }

    private static void AppendKeyValue(ReadOnlySpan<byte> data, ref Fnv1a64 hash, int pos, int end)
    {
        int keyStart = pos, keyLength = 0, valueStart = -1, valueEnd = -1;
        while (pos < end)
        {
            pos = ProtoWire.ReadTag(data, pos, end, out var tag);
            if (pos < 0)
            {
                break;
            }

            if (tag is Field1Length or Field2Length)
            {
                pos = ProtoWire.ReadLength(data, pos, end, out var length);
                if (tag == Field1Length)
                {
                    keyStart = pos;
                    keyLength = length;
                }
                else
                {
                    valueStart = pos;
                    valueEnd = pos + length;
                }

                pos += length;
            }
            else
            {
                pos = ProtoWire.SkipField(data, pos, end, tag);
            }

            if (pos < 0)
            {
                break;
            }
        }

        hash.AppendBlock(StructureHash.KeyTag, data.Slice(keyStart, keyLength));
        AppendStructure(data, ref hash, Scan(data, valueStart, valueEnd));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// A field the message does not read: a known field number (&lt;= <paramref name="maxKnownField"/>) must have its
    /// declared wire type (<paramref name="expected"/>); an unknown one is skipped whatever its wire type.
    /// Returns the next position, or a negative <see cref="WireError"/> (or -100 after recording a malformed field).
    /// </summary>
    private int Other(ReadOnlySpan<byte> data, int pos, int end, uint tag, int maxKnownField, bool expected, string reason)
    {
        if (pos < 0)
        {
            return pos;
        }

        if (!expected && (tag >> 3) <= (uint)maxKnownField)
        {
            Fail(DecodeErrorKind.Malformed, reason);
            return AlreadyFailed;
        }

        return ProtoWire.SkipField(data, pos, end, tag);
    }

    private const int AlreadyFailed = -100;

    private bool Fail(int wireError) =>
        wireError == AlreadyFailed ? false : Fail(WireError.Kind(wireError), WireError.Reason(wireError));

    private bool Fail(DecodeErrorKind kind, string reason)
    {
        if (_errorKind == DecodeErrorKind.None)
        {
            _errorKind = kind;
            _errorReason = reason;
        }

        return false;
    }

    /// <summary>Where one AnyValue case is: field number, slice for LEN cases, or the raw scalar bits.</summary>
    private readonly record struct ValueRef(int Field, int Start, int Length, ulong Scalar);
}
