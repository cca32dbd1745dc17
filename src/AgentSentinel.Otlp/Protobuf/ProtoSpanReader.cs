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
/// Positions are absolute offsets in the payload so that string values can be kept as slices until the end of the span.
/// </summary>
internal ref struct ProtoSpanReader
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;
    private const int MaxGroupDepth = 64;

    // Tags (field << 3 | wire type) of the fields we read.
    private const uint TagField1Length = 0x0A;
    private const uint TagField2Length = 0x12;
    private const uint TagField3Length = 0x1A;

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
        var pos = 0;
        var end = _data.Length;
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag == TagField1Length)
            {
                if (!ReadLength(ref pos, end, out var length) || !ReadResourceSpans(pos, pos + length))
                {
                    return false;
                }

                pos += length;
            }
            else if (!Unexpected(tag, 1, "request: wrong wire type for resource_spans", ref pos, end))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>ResourceSpans: 1 resource, 2 scope_spans, 3 schema_url; 1000 is the pre-1.0 instrumentation_library_spans (same layout).</summary>
    private bool ReadResourceSpans(int pos, int end)
    {
        _normalizer.BeginResourceSpans();
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            switch (tag)
            {
                case TagField1Length:
                    if (!ReadLength(ref pos, end, out var length) || !ReadResource(pos, pos + length))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case TagField2Length:
                case (1000 << 3) | WireLength:
                    if (!ReadLength(ref pos, end, out length) || !ReadScopeSpans(pos, pos + length))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                default:
                    if (!Unexpected(tag, 3, "resource_spans: wrong wire type for a known field", ref pos, end, expected: tag == TagField3Length))
                    {
                        return false;
                    }

                    break;
            }
        }

        _normalizer.EndResourceSpans();
        return true;
    }

    /// <summary>Resource: 1 attributes, 2 dropped_attributes_count, 3 entity_refs.</summary>
    private bool ReadResource(int pos, int end)
    {
        var count = 0;
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag == TagField1Length)
            {
                if (++count > _maxAttributes)
                {
                    return Fail(DecodeErrorKind.LimitExceeded, "resource: too many attributes");
                }

                if (!ReadLength(ref pos, end, out var length) || !ReadKeyValue(pos, pos + length, AttributeTarget.Resource))
                {
                    return false;
                }

                pos += length;
            }
            else if (!Unexpected(tag, 3, "resource: wrong wire type for a known field", ref pos, end, expected: tag == ((2 << 3) | WireVarint) || tag == TagField3Length))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>ScopeSpans: 1 scope (skipped), 2 spans, 3 schema_url.</summary>
    private bool ReadScopeSpans(int pos, int end)
    {
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag == TagField2Length)
            {
                if (++_spans > _maxSpans)
                {
                    return Fail(DecodeErrorKind.LimitExceeded, "record: too many spans");
                }

                if (!ReadLength(ref pos, end, out var length) || !ReadSpan(pos, pos + length))
                {
                    return false;
                }

                pos += length;
            }
            else if (!Unexpected(tag, 3, "scope_spans: wrong wire type for a known field", ref pos, end, expected: tag is TagField1Length or TagField3Length))
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadSpan(int pos, int end)
    {
        var n = _normalizer;
        n.BeginSpan();
        var attributes = 0;
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            int length;
            switch (tag)
            {
                case (1 << 3) | WireLength: // trace_id
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    if (length == 16)
                    {
                        n.SetTraceId(TraceId.FromBytes(_data.Slice(pos, 16)));
                    }
                    else if (length != 0)
                    {
                        return Fail(DecodeErrorKind.Malformed, "span: trace_id must be 16 bytes");
                    }

                    pos += length;
                    break;
                case (2 << 3) | WireLength: // span_id
                case (4 << 3) | WireLength: // parent_span_id
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    if (length is not 8 and not 0)
                    {
                        return Fail(DecodeErrorKind.Malformed, "span: span_id and parent_span_id must be 8 bytes");
                    }

                    var id = length == 8 ? new SpanId(BinaryPrimitives.ReadUInt64BigEndian(_data.Slice(pos, 8))) : default;
                    if (tag == ((2 << 3) | WireLength))
                    {
                        n.SetSpanId(id);
                    }
                    else
                    {
                        n.SetParentSpanId(id);
                    }

                    pos += length;
                    break;
                case (5 << 3) | WireLength: // name
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    n.SetSpanName(_data.Slice(pos, length));
                    pos += length;
                    break;
                case (7 << 3) | WireFixed64: // start_time_unix_nano
                case (8 << 3) | WireFixed64: // end_time_unix_nano
                    if (end - pos < 8)
                    {
                        return Fail(DecodeErrorKind.Truncated, "span: timestamp runs past the message");
                    }

                    var time = BinaryPrimitives.ReadInt64LittleEndian(_data.Slice(pos, 8));
                    if (tag == ((7 << 3) | WireFixed64))
                    {
                        n.SetStartTime(time);
                    }
                    else
                    {
                        n.SetEndTime(time);
                    }

                    pos += 8;
                    break;
                case (9 << 3) | WireLength: // attributes
                    if (++attributes > _maxAttributes)
                    {
                        return Fail(DecodeErrorKind.LimitExceeded, "span: too many attributes");
                    }

                    if (!ReadLength(ref pos, end, out length) || !ReadKeyValue(pos, pos + length, AttributeTarget.Span))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (11 << 3) | WireLength: // events
                    if (!ReadLength(ref pos, end, out length) || !ReadEvent(pos, pos + length))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (15 << 3) | WireLength: // status
                    if (!ReadLength(ref pos, end, out length) || !ReadStatus(pos, pos + length))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (3 << 3) | WireLength: // trace_state
                case (13 << 3) | WireLength: // links
                case (6 << 3) | WireVarint: // kind
                case (10 << 3) | WireVarint: // dropped_attributes_count
                case (12 << 3) | WireVarint: // dropped_events_count
                case (14 << 3) | WireVarint: // dropped_links_count
                case (16 << 3) | WireFixed32: // flags
                    if (!SkipField(ref pos, end, tag, 0))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!Unexpected(tag, 16, "span: wrong wire type for a known field", ref pos, end))
                    {
                        return false;
                    }

                    break;
            }
        }

        n.EndSpan(_data);
        return true;
    }

    /// <summary>Span.Event: 1 time_unix_nano, 2 name, 3 attributes, 4 dropped_attributes_count.</summary>
    private bool ReadEvent(int pos, int end)
    {
        var n = _normalizer;
        n.BeginEvent();
        var attributes = 0;
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            int length;
            switch (tag)
            {
                case TagField2Length:
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    n.SetEventName(_data.Slice(pos, length));
                    pos += length;
                    break;
                case TagField3Length:
                    if (++attributes > _maxAttributes)
                    {
                        return Fail(DecodeErrorKind.LimitExceeded, "span event: too many attributes");
                    }

                    if (!ReadLength(ref pos, end, out length) || !ReadKeyValue(pos, pos + length, AttributeTarget.Event))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                default:
                    if (!Unexpected(tag, 4, "span event: wrong wire type for a known field", ref pos, end, expected: tag is ((1 << 3) | WireFixed64) or ((4 << 3) | WireVarint)))
                    {
                        return false;
                    }

                    break;
            }
        }

        n.EndEvent();
        return true;
    }

    /// <summary>Status: 2 message (never kept), 3 code. Field 1 is the reserved deprecated_code.</summary>
    private bool ReadStatus(int pos, int end)
    {
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag == ((3 << 3) | WireVarint))
            {
                if (!ReadVarint(ref pos, end, out var code))
                {
                    return false;
                }

                _normalizer.SetStatusCode((long)code);
            }
            else if (!Unexpected(tag, 3, "status: wrong wire type for a known field", ref pos, end, expected: tag is TagField2Length or ((1 << 3) | WireVarint)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>KeyValue: 1 key, 2 value, 3 key_strindex (ignored). The whole message is read before the value is used.</summary>
    private bool ReadKeyValue(int pos, int end, AttributeTarget target)
    {
        int keyStart = pos, keyLength = 0, valueStart = -1, valueEnd = -1;
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            int length;
            switch (tag)
            {
                case TagField1Length:
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    keyStart = pos;
                    keyLength = length;
                    pos += length;
                    break;
                case TagField2Length:
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    valueStart = pos;
                    valueEnd = pos + length;
                    pos += length;
                    break;
                default:
                    if (!Unexpected(tag, 3, "attribute: wrong wire type for a known field", ref pos, end, expected: tag == ((3 << 3) | WireVarint)))
                    {
                        return false;
                    }

                    break;
            }
        }

        var key = _keys.Lookup(_data.Slice(keyStart, keyLength));
        if (!ScanAnyValue(valueStart, valueEnd, 0, validate: true, out var value))
        {
            return false;
        }

        if (!key.IsWanted)
        {
            return true;
        }

        if (value.Field == 5 && key.WantsArrayElements)
        {
            return DeliverElements(value, key, target);
        }

        var hash = 0UL;
        if (value.Field is 5 or 6 && key.WantsStructureHash)
        {
            var fnv = Fnv1a64.Create();
            AppendStructure(ref fnv, value);
            hash = fnv.Value;
        }

        _normalizer.OnAttribute(target, key, ToAttributeValue(value, hash));
        return true;
    }

    private bool DeliverElements(in ValueRef array, AttributeKey key, AttributeTarget target)
    {
        var pos = array.Start;
        var end = array.Start + array.Length;
        while (pos < end)
        {
            // Already validated: the reads below cannot fail.
            if (!ReadTag(ref pos, end, out var tag) || !ReadLength(ref pos, end, out var length))
            {
                return false;
            }

            if (tag == TagField1Length && ScanAnyValue(pos, pos + length, 0, validate: false, out var element) && element.Field is not (5 or 6))
            {
                _normalizer.OnAttribute(target, key, ToAttributeValue(element, 0));
            }

            pos += length;
        }

        return true;
    }

    private readonly AttributeValue ToAttributeValue(in ValueRef value, ulong structureHash) => value.Field switch
    {
        1 => AttributeValue.String(_data.Slice(value.Start, value.Length), value.Start),
        2 => AttributeValue.FromBool(value.Scalar != 0),
        3 => AttributeValue.FromInt((long)value.Scalar),
        4 => AttributeValue.FromDouble(BitConverter.Int64BitsToDouble((long)value.Scalar)),
        5 => AttributeValue.Structure(AnyValueKind.Array, structureHash),
        6 => AttributeValue.Structure(AnyValueKind.KeyValueList, structureHash),
        7 => AttributeValue.FromBytes(_data.Slice(value.Start, value.Length)),
        _ => AttributeValue.Empty,
    };

    /// <summary>
    /// Reads an AnyValue (oneof: the last case on the wire wins, as in protobuf). With <paramref name="validate"/>, nested
    /// arrays and key-value lists are walked to check their structure and the nesting limit. <paramref name="start"/> &lt; 0 is an absent value.
    /// </summary>
    private bool ScanAnyValue(int start, int end, int depth, bool validate, out ValueRef value)
    {
        value = default;
        var pos = start;
        if (start < 0)
        {
            return true;
        }

        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            int length;
            switch (tag)
            {
                case (1 << 3) | WireLength: // string_value
                case (7 << 3) | WireLength: // bytes_value
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    value = new ValueRef((int)(tag >> 3), pos, length, 0);
                    pos += length;
                    break;
                case (2 << 3) | WireVarint: // bool_value
                case (3 << 3) | WireVarint: // int_value
                case (8 << 3) | WireVarint: // string_value_strindex (profiles only: an empty value for us)
                    if (!ReadVarint(ref pos, end, out var scalar))
                    {
                        return false;
                    }

                    value = new ValueRef((int)(tag >> 3), 0, 0, scalar);
                    break;
                case (4 << 3) | WireFixed64: // double_value
                    if (end - pos < 8)
                    {
                        return Fail(DecodeErrorKind.Truncated, "attribute: double runs past the value");
                    }

                    value = new ValueRef(4, 0, 0, BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(pos, 8)));
                    pos += 8;
                    break;
                case (5 << 3) | WireLength: // array_value
                case (6 << 3) | WireLength: // kvlist_value
                    if (!ReadLength(ref pos, end, out length))
                    {
                        return false;
                    }

                    if (validate && !ValidateContainer(pos, pos + length, depth + 1, isArray: tag == ((5 << 3) | WireLength)))
                    {
                        return false;
                    }

                    value = new ValueRef((int)(tag >> 3), pos, length, 0);
                    pos += length;
                    break;
                default:
                    if (!Unexpected(tag, 8, "attribute value: wrong wire type for a known field", ref pos, end))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    /// <summary>ArrayValue (1 values: AnyValue) or KeyValueList (1 values: KeyValue) at nesting <paramref name="depth"/>.</summary>
    private bool ValidateContainer(int pos, int end, int depth, bool isArray)
    {
        if (depth > _maxDepth)
        {
            return Fail(DecodeErrorKind.LimitExceeded, "attribute value: arrays/kvlists nested too deeply");
        }

        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag != TagField1Length)
            {
                if (!Unexpected(tag, 1, "attribute value: wrong wire type in array/kvlist", ref pos, end))
                {
                    return false;
                }

                continue;
            }

            if (!ReadLength(ref pos, end, out var length))
            {
                return false;
            }

            var ok = isArray
                ? ScanAnyValue(pos, pos + length, depth, validate: true, out _)
                : ValidateNestedKeyValue(pos, pos + length, depth);
            if (!ok)
            {
                return false;
            }

            pos += length;
        }

        return true;
    }

    private bool ValidateNestedKeyValue(int pos, int end, int depth)
    {
        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if (tag == TagField2Length)
            {
                if (!ReadLength(ref pos, end, out var length) || !ScanAnyValue(pos, pos + length, depth, validate: true, out _))
                {
                    return false;
                }

                pos += length;
            }
            else if (!Unexpected(tag, 3, "attribute: wrong wire type for a known field", ref pos, end, expected: tag is TagField1Length or ((3 << 3) | WireVarint)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Appends the canonical encoding (see <see cref="StructureHash"/>) of an already validated value.</summary>
    private readonly void AppendStructure(ref Fnv1a64 hash, in ValueRef value)
    {
        switch (value.Field)
        {
            case 1:
                hash.AppendBlock(StructureHash.StringTag, _data.Slice(value.Start, value.Length));
                break;
            case 7:
                hash.AppendBlock(StructureHash.BytesTag, _data.Slice(value.Start, value.Length));
                break;
            case 2:
                hash.Append(StructureHash.BoolTag);
                hash.Append(value.Scalar != 0 ? (byte)1 : (byte)0);
                break;
            case 3:
                hash.Append(StructureHash.IntTag);
                hash.AppendInt64((long)value.Scalar);
                break;
            case 4:
                hash.Append(StructureHash.DoubleTag);
                hash.AppendInt64((long)value.Scalar);
                break;
            case 5:
                hash.Append(StructureHash.ArrayStart);
                ForEachChild(ref hash, value, isArray: true);
                hash.Append(StructureHash.ArrayEnd);
                break;
            case 6:
                hash.Append(StructureHash.ListStart);
                ForEachChild(ref hash, value, isArray: false);
                hash.Append(StructureHash.ListEnd);
                break;
            default:
                hash.Append(StructureHash.EmptyTag);
                break;
        }
    }

    private readonly void ForEachChild(ref Fnv1a64 hash, in ValueRef container, bool isArray)
    {
        var reader = this; // a copy: the walk is over validated bytes and reports nothing
        var pos = container.Start;
        var end = container.Start + container.Length;
        while (pos < end && reader.ReadTag(ref pos, end, out var tag) && reader.ReadLength(ref pos, end, out var length))
        {
            if (tag == TagField1Length)
            {
                if (isArray)
                {
                    if (reader.ScanAnyValue(pos, pos + length, 0, validate: false, out var element))
                    {
                        AppendStructure(ref hash, element);
                    }
                }
                else
                {
                    reader.AppendKeyValue(ref hash, pos, pos + length);
                }
            }

            pos += length;
        }
    }

    private void AppendKeyValue(ref Fnv1a64 hash, int pos, int end)
    {
        int keyStart = pos, keyLength = 0, valueStart = -1, valueEnd = -1;
        while (pos < end && ReadTag(ref pos, end, out var tag))
        {
            if (tag == TagField1Length || tag == TagField2Length)
            {
                if (!ReadLength(ref pos, end, out var length))
                {
                    return;
                }

                if (tag == TagField1Length)
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
            else if (!SkipField(ref pos, end, tag, 0))
            {
                return;
            }
        }

        hash.AppendBlock(StructureHash.KeyTag, _data.Slice(keyStart, keyLength));
        if (ScanAnyValue(valueStart, valueEnd, 0, validate: false, out var value))
        {
            AppendStructure(ref hash, value);
        }
    }

    // ---------------------------------------------------------------- wire primitives

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadTag(ref int pos, int end, out uint tag)
    {
        if (pos < end)
        {
            uint b = _data[pos];
            if (b < 0x80)
            {
                pos++;
                tag = b;
                return b >= 8 || Fail(DecodeErrorKind.Malformed, "field number 0");
            }
        }

        return ReadTagSlow(ref pos, end, out tag);
    }

    private bool ReadTagSlow(ref int pos, int end, out uint tag)
    {
        tag = 0;
        if (!ReadVarint(ref pos, end, out var value))
        {
            return false;
        }

        if (value > uint.MaxValue || value < 8)
        {
            return Fail(DecodeErrorKind.Malformed, "invalid field tag");
        }

        tag = (uint)value;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadVarint(ref int pos, int end, out ulong value)
    {
        if (pos < end)
        {
            ulong b = _data[pos];
            if (b < 0x80)
            {
                pos++;
                value = b;
                return true;
            }
        }

        return ReadVarintSlow(ref pos, end, out value);
    }

    private bool ReadVarintSlow(ref int pos, int end, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (pos >= end)
            {
                return Fail(DecodeErrorKind.Truncated, "varint runs past the message");
            }

            ulong b = _data[pos++];
            if (shift == 63 && b > 1)
            {
                return Fail(DecodeErrorKind.Malformed, "varint longer than 64 bits");
            }

            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return Fail(DecodeErrorKind.Malformed, "varint longer than 10 bytes");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadLength(ref int pos, int end, out int length)
    {
        if (!ReadVarint(ref pos, end, out var value))
        {
            length = 0;
            return false;
        }

        if (value > (ulong)(end - pos))
        {
            length = 0;
            return Fail(DecodeErrorKind.Truncated, "length runs past the message");
        }

        length = (int)value;
        return true;
    }

    /// <summary>
    /// A field the message does not read: a known field number (&lt;= <paramref name="maxKnownField"/>) must have its
    /// declared wire type (<paramref name="expected"/>), an unknown one is skipped whatever its wire type.
    /// </summary>
    private bool Unexpected(uint tag, int maxKnownField, string reason, ref int pos, int end, bool expected = false)
    {
        if (!expected && (tag >> 3) <= (uint)maxKnownField)
        {
            return Fail(DecodeErrorKind.Malformed, reason);
        }

        return SkipField(ref pos, end, tag, 0);
    }

    private bool SkipField(ref int pos, int end, uint tag, int groupDepth)
    {
        switch ((int)(tag & 7))
        {
            case WireVarint:
                return ReadVarint(ref pos, end, out _);
            case WireFixed64:
                if (end - pos < 8)
                {
                    return Fail(DecodeErrorKind.Truncated, "fixed64 runs past the message");
                }

                pos += 8;
                return true;
            case WireLength:
                if (!ReadLength(ref pos, end, out var length))
                {
                    return false;
                }

                pos += length;
                return true;
            case WireFixed32:
                if (end - pos < 4)
                {
                    return Fail(DecodeErrorKind.Truncated, "fixed32 runs past the message");
                }

                pos += 4;
                return true;
            case WireStartGroup:
                return SkipGroup(ref pos, end, tag >> 3, groupDepth + 1);
            case WireEndGroup:
                return Fail(DecodeErrorKind.Malformed, "unexpected end-group tag");
            default:
                return Fail(DecodeErrorKind.Malformed, "invalid wire type");
        }
    }

    private bool SkipGroup(ref int pos, int end, uint field, int depth)
    {
        if (depth > MaxGroupDepth)
        {
            return Fail(DecodeErrorKind.Malformed, "groups nested too deeply");
        }

        while (pos < end)
        {
            if (!ReadTag(ref pos, end, out var tag))
            {
                return false;
            }

            if ((tag & 7) == WireEndGroup)
            {
                return (tag >> 3) == field || Fail(DecodeErrorKind.Malformed, "mismatched end-group tag");
            }

            if (!SkipField(ref pos, end, tag, depth))
            {
                return false;
            }
        }

        return Fail(DecodeErrorKind.Truncated, "group runs past the message");
    }

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
