using System.Text.Json;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// Reads the size and best score of a retrieved-document list given as JSON text, without allocating and without
/// touching the documents' contents: OTel GenAI <c>gen_ai.retrieval.documents</c> (<c>[{"id": ..., "score": 0.9}, ...]</c>)
/// and LangSmith's retriever output (<c>{"documents": [{"page_content": ..., "metadata": ...}, ...]}</c>).
/// </summary>
internal static class RetrievalDocuments
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// Counts the elements of the list (the top-level array, or with <paramref name="documentsProperty"/> the array under the
    /// top-level <c>"documents"</c> key) and the largest numeric <c>"score"</c> directly inside an element.
    /// </summary>
    /// <returns>False when the text is not such a list (malformed JSON included).</returns>
    public static bool TryRead(ReadOnlySpan<byte> json, bool documentsProperty, out int count, out double topScore, out bool scored)
    {
        count = 0;
        topScore = 0;
        scored = false;
        try
        {
            var reader = new Utf8JsonReader(json, Options);
            if (!reader.Read())
            {
                return false;
            }

            if (documentsProperty && !MoveToDocuments(ref reader))
            {
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                count++;
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isScore = reader.ValueTextEquals("score"u8);
                    reader.Read();
                    if (isScore && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var score)
                        && double.IsFinite(score) && (!scored || score > topScore))
                    {
                        topScore = score;
                        scored = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }

            return reader.TokenType == JsonTokenType.EndArray;
        }
        catch (JsonException)
        {
            (count, topScore, scored) = (0, 0, false);
            return false;
        }
    }

    /// <summary>From the start of a top-level object to the start of its <c>"documents"</c> value.</summary>
    private static bool MoveToDocuments(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isDocuments = reader.ValueTextEquals("documents"u8);
            reader.Read();
            if (isDocuments)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
