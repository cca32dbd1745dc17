using System.Text;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// Folds the provider spellings of the different conventions onto the OTel GenAI well-known values of
/// <c>gen_ai.provider.name</c>, so that one provider is one name whichever instrumentation reported it:
/// the pre-1.35 <c>az.ai.*</c> and pre-1.37 <c>gen_ai.system</c> values (<c>vertex_ai</c>, <c>gemini</c>, <c>xai</c>),
/// OpenInference's <c>llm.provider</c> (<c>mistralai</c>, <c>google</c>, <c>azure</c>), OpenLIT's <c>ibm.watson.ai</c>,
/// and the Vercel AI SDK's provider ids (<c>openai.responses</c>, <c>anthropic.messages</c>, <c>google.vertex.chat</c>).
/// Unknown names are kept as they are (lower-cased by the caller). Allocation-free.
/// </summary>
internal static class ProviderNames
{
    private const int MaxLength = 64;

    private static readonly HashSet<string> WellKnown = new(StringComparer.Ordinal)
    {
        "openai", "anthropic", "aws.bedrock", "azure.ai.inference", "azure.ai.openai", "cohere", "deepseek", "gcp.gemini",
        "gcp.vertex_ai", "gcp.gen_ai", "groq", "ibm.watsonx.ai", "mistral_ai", "moonshot_ai", "perplexity", "x_ai",
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["az.ai.openai"] = "azure.ai.openai",
        ["az.ai.inference"] = "azure.ai.inference",
        ["azure"] = "azure.ai.openai",
        ["azure_openai"] = "azure.ai.openai",
        ["azure-openai"] = "azure.ai.openai",
        ["azureopenai"] = "azure.ai.openai",
        ["vertex_ai"] = "gcp.vertex_ai",
        ["vertexai"] = "gcp.vertex_ai",
        ["vertex"] = "gcp.vertex_ai",
        ["google_vertexai"] = "gcp.vertex_ai",
        ["google.vertex"] = "gcp.vertex_ai",
        ["gemini"] = "gcp.gemini",
        ["google"] = "gcp.gemini",
        ["google_genai"] = "gcp.gemini",
        ["google-genai"] = "gcp.gemini",
        ["google.generative-ai"] = "gcp.gemini",
        ["mistral"] = "mistral_ai",
        ["mistralai"] = "mistral_ai",
        ["bedrock"] = "aws.bedrock",
        ["aws"] = "aws.bedrock", // OpenInference OpenInferenceLLMProviderValues.AWS (its Bedrock instrumentation)
        ["aws_bedrock"] = "aws.bedrock",
        ["amazon-bedrock"] = "aws.bedrock",
        ["amazon_bedrock"] = "aws.bedrock",
        ["xai"] = "x_ai",
        ["x-ai"] = "x_ai",
        ["watsonx"] = "ibm.watsonx.ai",
        ["ibm.watson.ai"] = "ibm.watsonx.ai",
        ["ibm_watsonx"] = "ibm.watsonx.ai",
        ["moonshot"] = "moonshot_ai",
        ["moonshotai"] = "moonshot_ai",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> WellKnownLookup = WellKnown.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> AliasLookup = Aliases.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The canonical name for a lower-case provider name, or null when it is not a known spelling.</summary>
    public static string? Canonical(ReadOnlySpan<byte> lowerUtf8)
    {
        if (lowerUtf8.IsEmpty || lowerUtf8.Length > MaxLength || !Ascii.IsValid(lowerUtf8))
        {
            return null;
        }

        Span<char> chars = stackalloc char[lowerUtf8.Length];
        Ascii.ToUtf16(lowerUtf8, chars, out var written);
        ReadOnlySpan<char> name = chars[..written];
        if (WellKnownLookup.TryGetValue(name, out var known))
        {
            return known;
        }

        if (AliasLookup.TryGetValue(name, out var alias))
        {
            return alias;
        }

        // Vercel AI SDK provider ids are "{provider}.{api}" (openai.responses, anthropic.messages, google.vertex.chat):
        // try the longest known prefix before a dot.
        for (var dot = name.LastIndexOf('.'); dot > 0; dot = name[..dot].LastIndexOf('.'))
        {
            var prefix = name[..dot];
            if (WellKnownLookup.TryGetValue(prefix, out known))
            {
                return known;
            }

            if (AliasLookup.TryGetValue(prefix, out alias))
            {
                return alias;
            }
        }

        return null;
    }
}
