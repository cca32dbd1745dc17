using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp;

/// <summary>Guesses the encoding of a record value, for tools that read files of unknown encoding (<c>replay --format auto</c>).</summary>
public static class OtlpFormatDetector
{
    /// <summary>
    /// <see cref="OtlpEncoding.OtlpJson"/> when the first non-whitespace byte (after an optional UTF-8 BOM) is <c>{</c>,
    /// <see cref="OtlpEncoding.OtlpProto"/> for any other non-empty payload, null for an empty or all-whitespace one.
    /// A protobuf record starts with the tag byte 0x0A, which is also a JSON newline: when the bytes walk cleanly as
    /// top-level protobuf fields they are taken as protobuf, whatever follows.
    /// </summary>
    public static OtlpEncoding? Detect(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return null;
        }

        if (payload[0] == (byte)'{')
        {
            return OtlpEncoding.OtlpJson;
        }

        var text = payload.StartsWith("\uFEFF"u8) ? payload[3..] : payload;
        var first = text.IndexOfAnyExcept(" \t\r\n"u8);
        if (first < 0)
        {
            return payload.Length == text.Length && payload[0] == 0x0A && LooksLikeProtobuf(payload) ? OtlpEncoding.OtlpProto : null;
        }

        if (text[first] == (byte)'{' && !LooksLikeProtobuf(payload))
        {
            return OtlpEncoding.OtlpJson;
        }

        return OtlpEncoding.OtlpProto;
    }

    /// <summary>True when the payload is a sequence of well-formed top-level length-delimited fields ending exactly at its end.</summary>
    private static bool LooksLikeProtobuf(ReadOnlySpan<byte> payload)
    {
        var pos = 0;
        while (pos < payload.Length)
        {
            if (payload[pos] != 0x0A)
            {
                return false;
            }

            pos++;
            ulong length = 0;
            var shift = 0;
            byte b;
            do
            {
                if (pos >= payload.Length || shift > 63)
                {
                    return false;
                }

                b = payload[pos++];
                length |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);

            if (length > (ulong)(payload.Length - pos))
            {
                return false;
            }

            pos += (int)length;
        }

        return true;
    }
}
