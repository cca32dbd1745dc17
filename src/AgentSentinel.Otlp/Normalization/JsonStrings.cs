using System.Buffers.Text;
using System.Text.Json;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>Helpers for JSON text found inside payloads: unescaping a string token later, and peeking into JSON-in-a-string values.</summary>
internal static class JsonStrings
{
    /// <summary>
    /// Unescapes the JSON string whose raw content (without quotes) is <paramref name="payload"/>[offset..offset+length].
    /// Returns the number of bytes written, or -1 if the content is not a valid JSON string.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> payload, int offset, int length, Span<byte> destination)
    {
        if (offset < 1 || offset + length >= payload.Length)
        {
            return -1;
        }

        try
        {
            var reader = new Utf8JsonReader(payload.Slice(offset - 1, length + 2), isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return -1;
            }

            return reader.CopyString(destination);
        }
        catch (JsonException)
        {
            return -1;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }

    /// <summary>
    /// The fast path of <see cref="FindTopLevelString"/>: one pass over the bytes tracking nesting and strings, for the
    /// common case of a small flat object whose property value has no escapes. Returns the value's length, -1 when the
    /// property is absent, and -2 when the text needs the full reader (escapes in the value, unusual syntax).
    /// </summary>
    public static int FindTopLevelStringFast(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, Span<byte> destination)
    {
        var depth = 0;
        var expectKey = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            switch (c)
            {
                case (byte)'{':
                case (byte)'[':
                    depth++;
                    expectKey = depth == 1 && c == (byte)'{';
                    break;
                case (byte)'}':
                case (byte)']':
                    depth--;
                    break;
                case (byte)',':
                    expectKey = depth == 1;
                    break;
                case (byte)'"':
                    var close = EndOfString(json, i + 1);
                    if (close < 0)
                    {
                        return -2;
                    }

                    if (expectKey && depth == 1 && json.Slice(i + 1, close - i - 1).Contains((byte)'\\'))
                    {
                        return -2; // an escaped key might spell the name
                    }

                    if (expectKey && depth == 1 && json.Slice(i + 1, close - i - 1).SequenceEqual(name))
                    {
                        var colon = json[(close + 1)..].IndexOfAnyExcept(" \t\r\n"u8);
                        if (colon < 0 || json[close + 1 + colon] != (byte)':')
                        {
                            return -2;
                        }

                        var valueAt = close + 2 + colon;
                        var skip = json[valueAt..].IndexOfAnyExcept(" \t\r\n"u8);
                        if (skip < 0 || json[valueAt + skip] != (byte)'"')
                        {
                            return -1; // not a string
                        }

                        var start = valueAt + skip + 1;
                        var valueEnd = EndOfString(json, start);
                        if (valueEnd < 0 || json[start..valueEnd].Contains((byte)'\\') || valueEnd - start > destination.Length)
                        {
                            return -2;
                        }

                        json[start..valueEnd].CopyTo(destination);
                        return valueEnd - start;
                    }

                    expectKey = false;
                    i = close;
                    break;
            }
        }

        return -1;
    }

    /// <summary>Index of the quote closing a string whose content starts at <paramref name="from"/>, or -1.</summary>
    private static int EndOfString(ReadOnlySpan<byte> json, int from)
    {
        for (var i = from; i < json.Length; i++)
        {
            var c = json[i];
            if (c == (byte)'"')
            {
                return i;
            }

            if (c == (byte)'\\')
            {
                i++;
            }
        }

        return -1;
    }

    /// <summary>
    /// Finds the top-level string property <paramref name="name"/> of the JSON object in <paramref name="json"/> and copies
    /// its unescaped value into <paramref name="destination"/>. Returns its length, or -1 when absent, not a string,
    /// too long, or the text is not a JSON object. Used for <c>llm.invocation_parameters</c> ({"model": ...}).
    /// </summary>
    public static int FindTopLevelString(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, Span<byte> destination)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return -1;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                if (!reader.Read())
                {
                    return -1;
                }

                if (match)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= destination.Length
                        ? reader.CopyString(destination)
                        : -1;
                }

                reader.Skip();
            }

            return -1;
        }
        catch (JsonException)
        {
            return -1;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }
    /// <summary>
    /// Reads the number of property <paramref name="name"/> from a small flat object serialised into a string, as JSON
    /// (<c>{"input_tokens": 10}</c>, MLflow) or as a Python repr (<c>{'cache_read': 80}</c>, LangSmith). The name must be
    /// quoted on both sides (so <c>cache_read</c> does not match <c>cache_read_input_tokens</c>) and followed by a colon.
    /// With <paramref name="raw"/>, <paramref name="text"/> is the raw content of a JSON string (escapes not processed) and
    /// the name must be quoted <c>\"name\"</c>; a name whose quotes are themselves escaped one level deeper (a string inside
    /// a string, i.e. content) never matches.
    /// </summary>
    public static bool TryFindNumber(ReadOnlySpan<byte> text, ReadOnlySpan<byte> name, out double value, bool raw = false)
    {
        value = 0;
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf(name);
            if (at < 0)
            {
                return false;
            }

            at += from;
            from = at + name.Length;
            if (at == 0 || from >= text.Length)
            {
                continue;
            }

            int close;
            if (!raw)
            {
                // Decoded text: "name" or 'name', the quote not escaped (\"name\" is a name quoted inside a string value).
                if (text[at - 1] is not ((byte)'"' or (byte)'\'') || text[from] != text[at - 1] || (at >= 2 && text[at - 2] == (byte)'\\'))
                {
                    continue;
                }

                close = 1;
            }
            else
            {
                // Raw JSON string content: \"name\" or \u0022name\u0022, the quote escaped exactly once (a quote escaped
                // twice belongs to a string inside the string: content).
                var open = at >= 2 && text[at - 1] == (byte)'"' && text[at - 2] == (byte)'\\' ? 2
                    : at >= 6 && text.Slice(at - 6, 6).SequenceEqual("\\u0022"u8) ? 6
                    : 0;
                if (open == 0 || (at > open && text[at - open - 1] == (byte)'\\'))
                {
                    continue;
                }

                var after = text[from..];
                close = after.StartsWith("\\\""u8) ? 2 : after.StartsWith("\\u0022"u8) ? 6 : 0;
                if (close == 0)
                {
                    continue;
                }
            }

            var rest = text[(from + close)..].TrimStart((byte)' ');
            if (rest.IsEmpty || rest[0] != (byte)':')
            {
                continue;
            }

            rest = rest[1..].TrimStart((byte)' ');
            return Utf8Parser.TryParse(rest, out value, out var consumed) && consumed > 0 && double.IsFinite(value)
                && (consumed == rest.Length || rest[consumed] is (byte)',' or (byte)'}' or (byte)' ' or (byte)'\\' or (byte)'\n' or (byte)'\r');
        }

        return false;
    }

    /// <summary><see cref="TryFindNumber"/> for a non-negative integral count.</summary>
    public static bool TryFindCount(ReadOnlySpan<byte> text, ReadOnlySpan<byte> name, out long value, bool raw = false)
    {
        if (TryFindNumber(text, name, out var number, raw) && number >= 0 && number <= 9.2e18 && number == Math.Floor(number))
        {
            value = (long)number;
            return true;
        }

        value = 0;
        return false;
    }
}
