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
}
