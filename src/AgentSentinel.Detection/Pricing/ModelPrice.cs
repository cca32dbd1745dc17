namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// The price of one model in the catalogue, in USD per million tokens. Immutable.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Canonical model id, lower case, without provider prefix or date suffix (e.g. <c>gpt-4o</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Who sells at this price, as an OTel <c>gen_ai.provider.name</c> (<c>openai</c>, <c>anthropic</c>, <c>gcp.gemini</c>, <c>aws.bedrock</c>, ...).</summary>
    public required string Provider { get; init; }

    /// <summary>Other names that resolve to this entry exactly (e.g. <c>claude-3.5-sonnet</c> for <c>claude-3-5-sonnet</c>).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>USD per million input (prompt) tokens that were not read from a cache.</summary>
    public required double InputPerMillion { get; init; }

    /// <summary>USD per million output tokens (reasoning tokens included).</summary>
    public required double OutputPerMillion { get; init; }

    /// <summary>USD per million input tokens read from the provider's prompt cache; null = charged as <see cref="InputPerMillion"/>.</summary>
    public double? CachedInputPerMillion { get; init; }

    /// <summary>USD per million tokens written to the prompt cache (Anthropic); informational, spans do not report them.</summary>
    public double? CacheWritePerMillion { get; init; }

    /// <summary>The date the price was read from <see cref="Source"/>.</summary>
    public required DateOnly AsOf { get; init; }

    /// <summary>Where the price comes from (a price page, or <c>litellm:KEY</c> after an import).</summary>
    public required string Source { get; init; }

    /// <summary>Free text for the reader of the file (tiers, caveats); never used in a computation.</summary>
    public string? Note { get; init; }

    /// <summary>
    /// USD for one call. <paramref name="cachedInputTokens"/> are part of <paramref name="inputTokens"/> (OTel GenAI) and are
    /// charged at the cached rate instead of the input rate; when an instrumentation reports more cached tokens than input
    /// tokens, its input count cannot have included them (Anthropic's raw usage), so both are charged in full.
    /// Reasoning tokens are part of <paramref name="outputTokens"/>. Negative counts count as zero.
    /// </summary>
    public double Cost(long inputTokens, long outputTokens, long cachedInputTokens = 0)
    {
        var input = Math.Max(0, inputTokens);
        var cached = Math.Max(0, cachedInputTokens);
        var uncached = cached <= input ? input - cached : input;
        var cachedRate = CachedInputPerMillion ?? InputPerMillion;
        return ((uncached * InputPerMillion) + (cached * cachedRate) + (Math.Max(0, outputTokens) * OutputPerMillion)) / 1_000_000.0;
    }
}
