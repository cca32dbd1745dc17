using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Internal;
using AgentSentinel.Otlp.Normalization;

namespace AgentSentinel.Otlp.Json;

/// <summary>
/// Reads OTLP/JSON (<c>ExportTraceServiceRequest</c>) with <see cref="Utf8JsonReader"/>, token by token, and feeds the
/// <see cref="SpanNormalizer"/>: no DOM, no string per attribute. Accepts the quirks of OTLP/JSON in the wild: hex ids of
/// either case, 64-bit integers as strings or numbers, doubles as numbers, integers or "NaN"/"Infinity" strings, enum names
/// or numbers, lowerCamelCase or original proto field names, legacy <c>instrumentationLibrarySpans</c>, base64 bytes; unknown
/// fields are skipped whole. The reader runs in non-final-block mode so that running out of input is reported as
/// <see cref="DecodeErrorKind.Truncated"/> rather than thrown; syntax errors surface as <see cref="JsonException"/>, mapped by the decoder.
/// </summary>
internal ref struct JsonSpanReader
{
    /// <summary>Escaped strings longer than this are never needed unescaped eagerly (names, enum words, numbers are short).</summary>
    private const int MaxEagerUnescape = 4096;
    private const int MaxKeyBytes = 256;

    private readonly ReadOnlySpan<byte> _payload;
    private readonly SpanNormalizer _normalizer;
    private readonly AttributeKeyTable _keys;
    private readonly int _maxSpans;
    private readonly int _maxAttributes;
    private readonly int _maxDepth;
    private int _spans;
    private DecodeErrorKind _errorKind;
    private string _errorReason;

    public JsonSpanReader(ReadOnlySpan<byte> payload, SpanNormalizer normalizer, AttributeKeyTable keys, int maxSpans, int maxAttributes, int maxDepth)
    {
        _payload = payload;
        _normalizer = normalizer;
        _keys = keys;
        _maxSpans = maxSpans;
        _maxAttributes = maxAttributes;
        _maxDepth = maxDepth;
        _spans = 0;
        _errorKind = DecodeErrorKind.None;
        _errorReason = string.Empty;
    }

    [Flags]
    private enum ValueMode : byte
    {
        None = 0,

        /// <summary>Produce the value for the normaliser.</summary>
        Deliver = 1,

        /// <summary>Append the canonical encoding of nested values to the hash.</summary>
        Hash = 2,

        /// <summary>Deliver the scalar elements of a top-level array one by one.</summary>
        Elements = 4,

        /// <summary>A top-level string may be delivered raw (escapes unprocessed, resolved later if needed).</summary>
        Raw = 8,
    }

    private enum ValueCase : byte
    {
        Other = 0,
        String,
        Bool,
        Int,
        Double,
        Array,
        KeyValueList,
        Bytes,
    }

    public readonly DecodeFailure Failure => new(_errorKind, _errorReason);

    public bool ReadRequest(ref Utf8JsonReader r)
    {
        if (!Next(ref r))
        {
            return false;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "record is not a JSON object");
        }

        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                var rest = _payload[(int)r.BytesConsumed..];
                return rest.IndexOfAnyExcept(" \t\r\n"u8) < 0 || Fail(DecodeErrorKind.Malformed, "data after the JSON object");
            }

            if (Is(ref r, "resourceSpans"u8, "resource_spans"u8))
            {
                if (!Next(ref r) || !ReadObjects(ref r, ObjectKind.ResourceSpans))
                {
                    return false;
                }
            }
            else if (!SkipPropertyValue(ref r))
            {
                return false;
            }
        }

        return false;
    }

    private enum ObjectKind : byte
    {
        ResourceSpans,
        ScopeSpans,
        Span,
        Event,
        ResourceAttribute,
        SpanAttribute,
        EventAttribute,
    }

    /// <summary>An array of objects (null or absent = empty). <paramref name="r"/> is on the array token.</summary>
    private bool ReadObjects(ref Utf8JsonReader r, ObjectKind kind)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.StartArray)
        {
            return Fail(DecodeErrorKind.Malformed, "expected an array");
        }

        var count = 0;
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (r.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (r.TokenType != JsonTokenType.StartObject)
            {
                return Fail(DecodeErrorKind.Malformed, "expected an object in the array");
            }

            var ok = kind switch
            {
                ObjectKind.ResourceSpans => ReadResourceSpans(ref r),
                ObjectKind.ScopeSpans => ReadScopeSpans(ref r),
                ObjectKind.Span => ++_spans > _maxSpans ? Fail(DecodeErrorKind.LimitExceeded, "record: too many spans") : ReadSpan(ref r),
                ObjectKind.Event => ReadEvent(ref r),
                _ => ++count > _maxAttributes
                    ? Fail(DecodeErrorKind.LimitExceeded, "too many attributes")
                    : ReadKeyValue(ref r, kind == ObjectKind.SpanAttribute ? AttributeTarget.Span : kind == ObjectKind.ResourceAttribute ? AttributeTarget.Resource : AttributeTarget.Event),
            };
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadResourceSpans(ref Utf8JsonReader r)
    {
        _normalizer.BeginResourceSpans();
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                _normalizer.EndResourceSpans();
                return true;
            }

            bool ok;
            if (Is(ref r, "resource"u8, default))
            {
                ok = Next(ref r) && ReadResource(ref r);
            }
            else if (Is(ref r, "scopeSpans"u8, "scope_spans"u8) || Is(ref r, "instrumentationLibrarySpans"u8, "instrumentation_library_spans"u8))
            {
                ok = Next(ref r) && ReadObjects(ref r, ObjectKind.ScopeSpans);
            }
            else
            {
                ok = SkipPropertyValue(ref r);
            }

            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadResource(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "resource is not an object");
        }

        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var ok = Is(ref r, "attributes"u8, default)
                ? Next(ref r) && ReadObjects(ref r, ObjectKind.ResourceAttribute)
                : SkipPropertyValue(ref r);
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadScopeSpans(ref Utf8JsonReader r)
    {
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var ok = Is(ref r, "spans"u8, default)
                ? Next(ref r) && ReadObjects(ref r, ObjectKind.Span)
                : SkipPropertyValue(ref r);
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadSpan(ref Utf8JsonReader r)
    {
        var n = _normalizer;
        n.BeginSpan();
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                n.EndSpan(_payload);
                return true;
            }

            bool ok;
            if (Is(ref r, "attributes"u8, default))
            {
                ok = Next(ref r) && ReadObjects(ref r, ObjectKind.SpanAttribute);
            }
            else if (Is(ref r, "traceId"u8, "trace_id"u8))
            {
                ok = Next(ref r) && ReadTraceId(ref r);
            }
            else if (Is(ref r, "spanId"u8, "span_id"u8))
            {
                if (!Next(ref r) || !ReadSpanId(ref r, out var id))
                {
                    return false;
                }

                n.SetSpanId(id);
                ok = true;
            }
            else if (Is(ref r, "parentSpanId"u8, "parent_span_id"u8))
            {
                if (!Next(ref r) || !ReadSpanId(ref r, out var id))
                {
                    return false;
                }

                n.SetParentSpanId(id);
                ok = true;
            }
            else if (Is(ref r, "name"u8, default))
            {
                ok = Next(ref r) && ReadSpanName(ref r);
            }
            else if (Is(ref r, "startTimeUnixNano"u8, "start_time_unix_nano"u8))
            {
                if (!Next(ref r) || !ReadUInt64(ref r, out var time))
                {
                    return false;
                }

                n.SetStartTime((long)time);
                ok = true;
            }
            else if (Is(ref r, "endTimeUnixNano"u8, "end_time_unix_nano"u8))
            {
                if (!Next(ref r) || !ReadUInt64(ref r, out var time))
                {
                    return false;
                }

                n.SetEndTime((long)time);
                ok = true;
            }
            else if (Is(ref r, "events"u8, default))
            {
                ok = Next(ref r) && ReadObjects(ref r, ObjectKind.Event);
            }
            else if (Is(ref r, "status"u8, default))
            {
                ok = Next(ref r) && ReadStatus(ref r);
            }
            else if (Is(ref r, "kind"u8, default))
            {
                ok = Next(ref r) && ReadEnum(ref r, out _);
            }
            else
            {
                ok = SkipPropertyValue(ref r);
            }

            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadEvent(ref Utf8JsonReader r)
    {
        _normalizer.BeginEvent();
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                _normalizer.EndEvent();
                return true;
            }

            bool ok;
            if (Is(ref r, "name"u8, default))
            {
                if (!Next(ref r) || !ReadSmallString(ref r, out var name))
                {
                    return false;
                }

                _normalizer.SetEventName(name);
                ok = true;
            }
            else if (Is(ref r, "attributes"u8, default))
            {
                ok = Next(ref r) && ReadObjects(ref r, ObjectKind.EventAttribute);
            }
            else
            {
                ok = SkipPropertyValue(ref r);
            }

            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadStatus(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "status is not an object");
        }

        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            bool ok;
            if (Is(ref r, "code"u8, default))
            {
                if (!Next(ref r) || !ReadEnum(ref r, out var code))
                {
                    return false;
                }

                if (code >= 0)
                {
                    _normalizer.SetStatusCode(code);
                }

                ok = true;
            }
            else
            {
                ok = SkipPropertyValue(ref r);
            }

            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// An enum: a number, or a name (<c>SPAN_KIND_CLIENT</c>, <c>STATUS_CODE_ERROR</c>; unknown names are tolerated as -1).
    /// Only status codes are used; they map by suffix (<c>..._UNSET</c>, <c>..._OK</c>, <c>..._ERROR</c>).
    /// </summary>
    private bool ReadEnum(ref Utf8JsonReader r, out long value)
    {
        value = -1;
        switch (r.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number:
                return r.TryGetInt64(out value) || Fail(DecodeErrorKind.Malformed, "enum is not an integer");
            case JsonTokenType.String:
                if (!ReadSmallString(ref r, out var name))
                {
                    return false;
                }

                if (Utf8Parser.TryParse(name, out long number, out var consumed) && consumed == name.Length)
                {
                    value = number;
                }
                else if (name.EndsWith("ERROR"u8))
                {
                    value = 2;
                }
                else if (name.EndsWith("_OK"u8) || name.SequenceEqual("OK"u8))
                {
                    value = 1;
                }
                else if (name.EndsWith("UNSET"u8))
                {
                    value = 0;
                }

                return true;
            default:
                return Fail(DecodeErrorKind.Malformed, "enum is neither a number nor a name");
        }
    }

    private bool ReadTraceId(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (!ReadSmallString(ref r, out var hex))
        {
            return false;
        }

        if (hex.IsEmpty)
        {
            _normalizer.SetTraceId(default);
            return true;
        }

        if (hex.Length != 32 || !TryParseHex(hex[..16], out var high) || !TryParseHex(hex[16..], out var low))
        {
            return Fail(DecodeErrorKind.Malformed, "traceId is not 32 hex digits");
        }

        _normalizer.SetTraceId(new TraceId(high, low));
        return true;
    }

    private bool ReadSpanId(ref Utf8JsonReader r, out SpanId id)
    {
        id = default;
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (!ReadSmallString(ref r, out var hex))
        {
            return false;
        }

        if (hex.IsEmpty)
        {
            return true;
        }

        if (hex.Length != 16 || !TryParseHex(hex, out var value))
        {
            return Fail(DecodeErrorKind.Malformed, "spanId is not 16 hex digits");
        }

        id = new SpanId(value);
        return true;
    }

    private bool ReadSpanName(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.String)
        {
            return Fail(DecodeErrorKind.Malformed, "span name is not a string");
        }

        if (!r.ValueIsEscaped)
        {
            _normalizer.SetSpanName(r.ValueSpan);
            return true;
        }

        var buffer = _normalizer.RentScratch(r.ValueSpan.Length);
        try
        {
            var length = r.CopyString(buffer);
            _normalizer.SetSpanName(buffer.AsSpan(0, length));
        }
        finally
        {
            _normalizer.ReturnScratch(buffer);
        }

        return true;
    }

    /// <summary>A 64-bit unsigned integer as a decimal string or a JSON number.</summary>
    private bool ReadUInt64(ref Utf8JsonReader r, out ulong value)
    {
        value = 0;
        switch (r.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number:
                return r.TryGetUInt64(out value) || Fail(DecodeErrorKind.Malformed, "timestamp is not an unsigned integer");
            case JsonTokenType.String:
                return (!r.ValueIsEscaped && Utf8Parser.TryParse(r.ValueSpan, out value, out var consumed) && consumed == r.ValueSpan.Length)
                    || Fail(DecodeErrorKind.Malformed, "timestamp is not an unsigned integer");
            default:
                return Fail(DecodeErrorKind.Malformed, "timestamp is neither a string nor a number");
        }
    }

    /// <summary>{"key": ..., "value": {AnyValue}} in either order.</summary>
    private bool ReadKeyValue(ref Utf8JsonReader r, AttributeTarget target)
    {
        Span<byte> keyBuffer = stackalloc byte[MaxKeyBytes];
        scoped ReadOnlySpan<byte> keyBytes = default; // resource attributes only: every key is kept
        var key = AttributeKey.Unknown;
        var hasKey = false;
        var pendingValue = false;
        Utf8JsonReader valueReader = default;
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                return !pendingValue || ReadTopLevelValue(ref valueReader, key, target, keyBytes);
            }

            if (Is(ref r, "key"u8, default))
            {
                if (!Next(ref r) || !LookupKey(ref r, keyBuffer, out key))
                {
                    return false;
                }

                if (target == AttributeTarget.Resource && r.TokenType == JsonTokenType.String)
                {
                    // An escaped key longer than the buffer is dropped: keys are short ASCII, and escapes in them are rare.
                    keyBytes = !r.ValueIsEscaped ? r.ValueSpan
                        : r.ValueSpan.Length <= MaxKeyBytes ? keyBuffer[..r.CopyString(keyBuffer)]
                        : default;
                }

                hasKey = true;
            }
            else if (Is(ref r, "value"u8, default))
            {
                if (!Next(ref r))
                {
                    return false;
                }

                if (hasKey)
                {
                    if (!ReadTopLevelValue(ref r, key, target, keyBytes))
                    {
                        return false;
                    }
                }
                else
                {
                    valueReader = r; // the key comes later: read the value again from this copy
                    pendingValue = true;
                    if (!SkipCurrentValue(ref r))
                    {
                        return false;
                    }
                }
            }
            else if (!SkipPropertyValue(ref r))
            {
                return false;
            }
        }

        return false;
    }

    private bool LookupKey(ref Utf8JsonReader r, scoped Span<byte> keyBuffer, out AttributeKey key)
    {
        key = AttributeKey.Unknown;
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.String)
        {
            return Fail(DecodeErrorKind.Malformed, "attribute key is not a string");
        }

        if (!r.ValueIsEscaped)
        {
            key = _keys.Lookup(r.ValueSpan);
        }
        else if (r.ValueSpan.Length <= MaxKeyBytes)
        {
            var length = r.CopyString(keyBuffer);
            key = _keys.Lookup(keyBuffer[..length]);
        }

        return true;
    }

    /// <summary>An attribute's value; <paramref name="resourceKey"/> is the key of a resource attribute (every one is delivered).</summary>
    private bool ReadTopLevelValue(ref Utf8JsonReader r, AttributeKey key, AttributeTarget target, scoped ReadOnlySpan<byte> resourceKey)
    {
        var mode = ValueMode.None;
        if (key.IsWanted)
        {
            mode = ValueMode.Deliver;
            if (key.WantsStructureHash)
            {
                mode |= ValueMode.Hash;
            }

            if (key.WantsArrayElements)
            {
                mode |= ValueMode.Elements;
            }

            if (key.IsDeferred)
            {
                mode |= ValueMode.Raw;
            }
        }

        var resource = target == AttributeTarget.Resource;
        if (resource)
        {
            mode = (mode & ~ValueMode.Raw) | ValueMode.Deliver; // decoded strings, as the protobuf reader gives them
        }

        var hash = Fnv1a64.Create();
        if (!ReadAnyValue(ref r, 0, mode, key, target, ref hash, out var value))
        {
            return false;
        }

        if (resource)
        {
            if (!resourceKey.IsEmpty)
            {
                _normalizer.OnResourceEntry(resourceKey, value);
            }

            if (!key.IsWanted)
            {
                return true;
            }
        }

        if (mode == ValueMode.None || (value.Kind == AnyValueKind.Array && (mode & ValueMode.Elements) != 0))
        {
            return true;
        }

        if (value.Kind is AnyValueKind.Array or AnyValueKind.KeyValueList)
        {
            value = AttributeValue.Structure(value.Kind, key.WantsStructureHash ? hash.Value : 0);
        }

        _normalizer.OnAttribute(target, key, value);
        return true;
    }

    /// <summary>
    /// An AnyValue object at nesting <paramref name="depth"/> (0 = an attribute's value). Validates the whole subtree
    /// (structure, nesting limit), and depending on <paramref name="mode"/> produces the value, hashes nested values
    /// and delivers array elements. <paramref name="r"/> is on the value's first token and ends on its last.
    /// </summary>
    private bool ReadAnyValue(ref Utf8JsonReader r, int depth, ValueMode mode, AttributeKey key, AttributeTarget target, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        var hashing = (mode & ValueMode.Hash) != 0;
        var nestedHash = hashing && depth > 0;
        if (r.TokenType == JsonTokenType.Null)
        {
            if (nestedHash)
            {
                hash.Append(StructureHash.EmptyTag);
            }

            return true;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "attribute value is not an object");
        }

        var cases = 0;
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                if (cases == 0 && nestedHash)
                {
                    hash.Append(StructureHash.EmptyTag);
                }

                return true;
            }

            var valueCase = CaseOf(ref r);
            if (!Next(ref r))
            {
                return false;
            }

            if (valueCase == ValueCase.Other || r.TokenType == JsonTokenType.Null)
            {
                if (!SkipCurrentValue(ref r))
                {
                    return false;
                }

                continue;
            }

            if (++cases > 1)
            {
                return Fail(DecodeErrorKind.Malformed, "attribute value has more than one case");
            }

            var ok = valueCase switch
            {
                ValueCase.String => ReadStringCase(ref r, depth, mode, ref hash, out value),
                ValueCase.Bool => ReadBoolCase(ref r, nestedHash, ref hash, out value),
                ValueCase.Int => ReadIntCase(ref r, nestedHash, ref hash, out value),
                ValueCase.Double => ReadDoubleCase(ref r, nestedHash, ref hash, out value),
                ValueCase.Bytes => ReadBytesCase(ref r, nestedHash, (mode & ValueMode.Deliver) != 0, ref hash, out value),
                _ => ReadContainer(ref r, depth + 1, valueCase == ValueCase.Array, mode, key, target, ref hash, out value),
            };
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private bool ReadStringCase(ref Utf8JsonReader r, int depth, ValueMode mode, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return Fail(DecodeErrorKind.Malformed, "stringValue is not a string");
        }

        var raw = r.ValueSpan;
        var offset = (int)r.TokenStartIndex + 1;
        if (depth > 0 && (mode & ValueMode.Hash) != 0)
        {
            if (!r.ValueIsEscaped)
            {
                hash.AppendBlock(StructureHash.StringTag, raw);
            }
            else
            {
                var buffer = _normalizer.RentScratch(raw.Length);
                try
                {
                    hash.AppendBlock(StructureHash.StringTag, buffer.AsSpan(0, r.CopyString(buffer)));
                }
                finally
                {
                    _normalizer.ReturnScratch(buffer);
                }
            }
        }

        if ((mode & ValueMode.Deliver) == 0)
        {
            return true;
        }

        if (!r.ValueIsEscaped)
        {
            value = AttributeValue.String(raw, offset);
        }
        else if (depth == 0 && (mode & ValueMode.Raw) != 0)
        {
            value = AttributeValue.RawJsonString(raw, offset, isEscaped: true);
        }
        else if (raw.Length <= MaxEagerUnescape)
        {
            var buffer = _normalizer.RentScratch(raw.Length);
            value = AttributeValue.String(buffer.AsSpan(0, r.CopyString(buffer)));
        }
        else
        {
            value = AttributeValue.RawJsonString(raw, offset, isEscaped: true); // never a name: ignored by eager consumers
        }

        return true;
    }

    private bool ReadBoolCase(ref Utf8JsonReader r, bool hashing, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        bool flag;
        if (r.TokenType is JsonTokenType.True or JsonTokenType.False)
        {
            flag = r.TokenType == JsonTokenType.True;
        }
        else if (r.TokenType == JsonTokenType.String && (r.ValueTextEquals("true"u8) || r.ValueTextEquals("false"u8)))
        {
            flag = r.ValueTextEquals("true"u8);
        }
        else
        {
            return Fail(DecodeErrorKind.Malformed, "boolValue is not a boolean");
        }

        value = AttributeValue.FromBool(flag);
        if (hashing)
        {
            StructureHash.AppendScalar(ref hash, value);
        }

        return true;
    }

    private bool ReadIntCase(ref Utf8JsonReader r, bool hashing, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        long number;
        if (r.TokenType == JsonTokenType.Number)
        {
            if (!r.TryGetInt64(out number))
            {
                return Fail(DecodeErrorKind.Malformed, "intValue is not a 64-bit integer");
            }
        }
        else if (r.TokenType != JsonTokenType.String || r.ValueIsEscaped
                 || !Utf8Parser.TryParse(r.ValueSpan, out number, out var consumed) || consumed != r.ValueSpan.Length)
        {
            return Fail(DecodeErrorKind.Malformed, "intValue is not a 64-bit integer");
        }

        value = AttributeValue.FromInt(number);
        if (hashing)
        {
            StructureHash.AppendScalar(ref hash, value);
        }

        return true;
    }

    private bool ReadDoubleCase(ref Utf8JsonReader r, bool hashing, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        double number;
        if (r.TokenType == JsonTokenType.Number)
        {
            if (!r.TryGetDouble(out number))
            {
                return Fail(DecodeErrorKind.Malformed, "doubleValue is not a number");
            }
        }
        else if (r.TokenType == JsonTokenType.String && !r.ValueIsEscaped)
        {
            var text = r.ValueSpan;
            if (text.SequenceEqual("NaN"u8))
            {
                number = double.NaN;
            }
            else if (text.SequenceEqual("Infinity"u8))
            {
                number = double.PositiveInfinity;
            }
            else if (text.SequenceEqual("-Infinity"u8))
            {
                number = double.NegativeInfinity;
            }
            else if (!Utf8Parser.TryParse(text, out number, out var consumed) || consumed != text.Length)
            {
                return Fail(DecodeErrorKind.Malformed, "doubleValue is not a number");
            }
        }
        else
        {
            return Fail(DecodeErrorKind.Malformed, "doubleValue is not a number");
        }

        value = AttributeValue.FromDouble(number);
        if (hashing)
        {
            StructureHash.AppendScalar(ref hash, value);
        }

        return true;
    }

    private bool ReadBytesCase(ref Utf8JsonReader r, bool hashing, bool deliver, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return Fail(DecodeErrorKind.Malformed, "bytesValue is not a base64 string");
        }

        var raw = r.ValueSpan;
        if (!hashing && !deliver && !r.ValueIsEscaped)
        {
            return Base64.IsValid(raw) || Fail(DecodeErrorKind.Malformed, "bytesValue is not valid base64");
        }

        var buffer = _normalizer.RentScratch(raw.Length);
        int length;
        if (r.ValueIsEscaped)
        {
            length = r.CopyString(buffer);
        }
        else
        {
            raw.CopyTo(buffer);
            length = raw.Length;
        }

        if (Base64.DecodeFromUtf8InPlace(buffer.AsSpan(0, length), out var written) != OperationStatus.Done)
        {
            _normalizer.ReturnScratch(buffer);
            return Fail(DecodeErrorKind.Malformed, "bytesValue is not valid base64");
        }

        var bytes = buffer.AsSpan(0, written);
        if (hashing)
        {
            hash.AppendBlock(StructureHash.BytesTag, bytes);
        }

        if (deliver)
        {
            value = AttributeValue.FromBytes(bytes); // consumed by the caller before the scratch buffer is reused
        }
        else
        {
            _normalizer.ReturnScratch(buffer);
        }

        return true;
    }

    /// <summary>arrayValue {"values": [AnyValue...]} or kvlistValue {"values": [KeyValue...]} at nesting <paramref name="depth"/>.</summary>
    private bool ReadContainer(ref Utf8JsonReader r, int depth, bool isArray, ValueMode mode, AttributeKey key, AttributeTarget target, ref Fnv1a64 hash, out AttributeValue value)
    {
        value = AttributeValue.Structure(isArray ? AnyValueKind.Array : AnyValueKind.KeyValueList, 0);
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "arrayValue/kvlistValue is not an object");
        }

        if (depth > _maxDepth)
        {
            return Fail(DecodeErrorKind.LimitExceeded, "attribute value: arrays/kvlists nested too deeply");
        }

        var hashing = (mode & ValueMode.Hash) != 0;
        var deliverElements = isArray && depth == 1 && (mode & ValueMode.Elements) != 0;
        var childMode = (hashing ? ValueMode.Hash : ValueMode.None) | (deliverElements ? ValueMode.Deliver : ValueMode.None);
        if (hashing)
        {
            hash.Append(isArray ? StructureHash.ArrayStart : StructureHash.ListStart);
        }

        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                if (hashing)
                {
                    hash.Append(isArray ? StructureHash.ArrayEnd : StructureHash.ListEnd);
                }

                return true;
            }

            if (!Is(ref r, "values"u8, default))
            {
                if (!SkipPropertyValue(ref r))
                {
                    return false;
                }

                continue;
            }

            if (!Next(ref r))
            {
                return false;
            }

            if (r.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (r.TokenType != JsonTokenType.StartArray)
            {
                return Fail(DecodeErrorKind.Malformed, "values is not an array");
            }

            while (Next(ref r) && r.TokenType != JsonTokenType.EndArray)
            {
                if (isArray)
                {
                    if (!ReadAnyValue(ref r, depth, childMode, key, target, ref hash, out var element))
                    {
                        return false;
                    }

                    if (deliverElements && element.Kind is not (AnyValueKind.Empty or AnyValueKind.Array or AnyValueKind.KeyValueList))
                    {
                        _normalizer.OnAttribute(target, key, element);
                    }
                }
                else if (!ReadNestedKeyValue(ref r, depth, hashing, ref hash))
                {
                    return false;
                }
            }

            if (_errorKind != DecodeErrorKind.None)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>A KeyValue inside a kvlist: hashed as key then value, whatever their order in the text.</summary>
    private bool ReadNestedKeyValue(ref Utf8JsonReader r, int depth, bool hashing, ref Fnv1a64 hash)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            return Fail(DecodeErrorKind.Malformed, "kvlist entry is not an object");
        }

        var keyDone = false;
        var pendingValue = false;
        var hasValue = false;
        Utf8JsonReader valueReader = default;
        while (Next(ref r))
        {
            if (r.TokenType == JsonTokenType.EndObject)
            {
                if (!keyDone && hashing)
                {
                    hash.AppendBlock(StructureHash.KeyTag, default);
                }

                if (pendingValue)
                {
                    return ReadAnyValue(ref valueReader, depth, hashing ? ValueMode.Hash : ValueMode.None, AttributeKey.Unknown, AttributeTarget.Span, ref hash, out _);
                }

                if (!hasValue && hashing)
                {
                    hash.Append(StructureHash.EmptyTag);
                }

                return true;
            }

            if (Is(ref r, "key"u8, default))
            {
                if (!Next(ref r))
                {
                    return false;
                }

                if (r.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                {
                    return Fail(DecodeErrorKind.Malformed, "attribute key is not a string");
                }

                if (hashing && !keyDone)
                {
                    AppendKey(ref r, ref hash);
                }

                keyDone = true;
            }
            else if (Is(ref r, "value"u8, default))
            {
                if (!Next(ref r))
                {
                    return false;
                }

                hasValue = true;
                if (keyDone || !hashing)
                {
                    if (!ReadAnyValue(ref r, depth, hashing ? ValueMode.Hash : ValueMode.None, AttributeKey.Unknown, AttributeTarget.Span, ref hash, out _))
                    {
                        return false;
                    }
                }
                else
                {
                    valueReader = r;
                    pendingValue = true;
                    if (!SkipCurrentValue(ref r))
                    {
                        return false;
                    }
                }
            }
            else if (!SkipPropertyValue(ref r))
            {
                return false;
            }
        }

        return false;
    }

    private void AppendKey(ref Utf8JsonReader r, ref Fnv1a64 hash)
    {
        if (r.TokenType == JsonTokenType.Null || !r.ValueIsEscaped)
        {
            hash.AppendBlock(StructureHash.KeyTag, r.TokenType == JsonTokenType.Null ? default : r.ValueSpan);
            return;
        }

        var buffer = _normalizer.RentScratch(r.ValueSpan.Length);
        try
        {
            hash.AppendBlock(StructureHash.KeyTag, buffer.AsSpan(0, r.CopyString(buffer)));
        }
        finally
        {
            _normalizer.ReturnScratch(buffer);
        }
    }

    private static ValueCase CaseOf(ref Utf8JsonReader r)
    {
        if (Is(ref r, "stringValue"u8, "string_value"u8))
        {
            return ValueCase.String;
        }

        if (Is(ref r, "intValue"u8, "int_value"u8))
        {
            return ValueCase.Int;
        }

        if (Is(ref r, "doubleValue"u8, "double_value"u8))
        {
            return ValueCase.Double;
        }

        if (Is(ref r, "boolValue"u8, "bool_value"u8))
        {
            return ValueCase.Bool;
        }

        if (Is(ref r, "arrayValue"u8, "array_value"u8))
        {
            return ValueCase.Array;
        }

        if (Is(ref r, "kvlistValue"u8, "kvlist_value"u8))
        {
            return ValueCase.KeyValueList;
        }

        return Is(ref r, "bytesValue"u8, "bytes_value"u8) ? ValueCase.Bytes : ValueCase.Other;
    }

    /// <summary>A short string token (ids, enum names, event names): unescaped into the scratch buffer if needed.</summary>
    private bool ReadSmallString(ref Utf8JsonReader r, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (r.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (r.TokenType != JsonTokenType.String)
        {
            return Fail(DecodeErrorKind.Malformed, "expected a string");
        }

        if (!r.ValueIsEscaped)
        {
            value = r.ValueSpan;
            return true;
        }

        if (r.ValueSpan.Length > MaxEagerUnescape)
        {
            return true; // too long to be an id or a name we compare: treated as not matching
        }

        var buffer = _normalizer.RentScratch(r.ValueSpan.Length);
        value = buffer.AsSpan(0, r.CopyString(buffer));
        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> hex, out ulong value)
    {
        value = 0;
        foreach (var c in hex)
        {
            int digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }

    private static bool Is(ref Utf8JsonReader r, ReadOnlySpan<byte> name, ReadOnlySpan<byte> alternative)
    {
        if (!r.ValueIsEscaped)
        {
            var text = r.ValueSpan;
            return text.SequenceEqual(name) || (!alternative.IsEmpty && text.SequenceEqual(alternative));
        }

        return r.ValueTextEquals(name) || (!alternative.IsEmpty && r.ValueTextEquals(alternative));
    }

    private bool Next(ref Utf8JsonReader r) => r.Read() || Fail(DecodeErrorKind.Truncated, "JSON ends before the record does");

    /// <summary>After a property name: reads and skips its value.</summary>
    private bool SkipPropertyValue(ref Utf8JsonReader r) => Next(ref r) && SkipCurrentValue(ref r);

    /// <summary>On a value's first token: moves to its last token.</summary>
    private bool SkipCurrentValue(ref Utf8JsonReader r)
    {
        if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            return r.TrySkip() || Fail(DecodeErrorKind.Truncated, "JSON ends before the record does");
        }

        return true;
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
}
