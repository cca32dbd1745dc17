using System.Globalization;
using System.Text.Json;

namespace AgentSentinel.Detection.Pricing;

/// <summary>What <see cref="LiteLlmPriceImporter.Merge(PriceCatalogue, byte[], LiteLlmImportOptions)"/> should do.</summary>
public sealed record LiteLlmImportOptions
{
    /// <summary>The date written as <c>as_of</c> on every entry whose price changes or that is added.</summary>
    public required DateOnly AsOf { get; init; }

    /// <summary>
    /// LiteLLM providers (<c>litellm_provider</c> values: <c>openai</c>, <c>anthropic</c>, <c>gemini</c>, ...) whose models
    /// missing from the catalogue are added. Empty: only the catalogue's own entries are updated.
    /// </summary>
    public IReadOnlyCollection<string> AddProviders { get; init; } = [];
}

/// <summary>The merged catalogue and what changed, for the person running the import to review.</summary>
public sealed record LiteLlmImportResult
{
    /// <summary>The catalogue after the merge, ordered by id.</summary>
    public required PriceCatalogue Catalogue { get; init; }

    /// <summary>One line per entry whose price changed: <c>gpt-4o: input 5 -> 2.5 (litellm:gpt-4o)</c>.</summary>
    public required IReadOnlyList<string> Updated { get; init; }

    /// <summary>One line per added entry.</summary>
    public required IReadOnlyList<string> Added { get; init; }

    /// <summary>Ids of entries LiteLLM prices the same.</summary>
    public required IReadOnlyList<string> Unchanged { get; init; }

    /// <summary>Ids of entries LiteLLM has no usable record for (kept as they are).</summary>
    public required IReadOnlyList<string> NotFound { get; init; }

    /// <summary>LiteLLM records that could not be used, with the reason (their JSON path names the key).</summary>
    public required IReadOnlyList<string> Skipped { get; init; }
}

/// <summary>
/// Merges prices from LiteLLM's public <c>model_prices_and_context_window.json</c> (per-token USD costs
/// <c>input_cost_per_token</c>, <c>output_cost_per_token</c>, <c>cache_read_input_token_cost</c>,
/// <c>cache_creation_input_token_cost</c>, with <c>litellm_provider</c> and <c>mode</c>) into a catalogue.
/// Deterministic: the same two inputs and options give the same catalogue, whatever the order of LiteLLM's keys.
/// </summary>
/// <remarks>
/// <para>Update: each LiteLLM record of a text mode (chat, completion, responses, embedding) is resolved against the
/// catalogue like a span's model string, by exact or normalised name only (never by prefix), and kept when its
/// <c>litellm_provider</c> sells for the entry's provider (<c>gemini</c> for <c>gcp.gemini</c>, <c>bedrock</c> for
/// <c>aws.bedrock</c>, ...). Per entry the best record wins: the first-listed provider, then a key equal to the id, then to an
/// alias (the shortest key), then a key without a Bedrock region prefix (<c>eu.</c>, <c>jp.</c> endpoints cost more), then
/// the newest dated key (the greatest). Its prices replace the entry's (a cache price
/// LiteLLM lacks is kept); when anything changed, the entry gets <c>as_of</c> = <see cref="LiteLlmImportOptions.AsOf"/> and
/// <c>source</c> = <c>litellm:KEY</c>.</para>
/// <para>Add (opt-in per LiteLLM provider): a record whose name the catalogue does not resolve, or resolves (even by prefix)
/// to an entry of different price (a dated release or a variant priced apart), becomes an entry of its own under its key
/// without the provider path; the first such key (ordinal) wins a name.</para>
/// </remarks>
public static class LiteLlmPriceImporter
{
    /// <summary>Prefix of the <c>source</c> written on imported prices.</summary>
    public const string SourcePrefix = "litellm:";

    private static readonly Dictionary<string, string[]> LiteLlmProvidersByProvider = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = ["openai", "text-completion-openai"],
        ["anthropic"] = ["anthropic"],
        ["gcp.gemini"] = ["gemini", "vertex_ai-language-models"],
        ["gcp.vertex_ai"] = ["vertex_ai-language-models", "gemini"],
        ["mistral_ai"] = ["mistral"],
        ["aws.bedrock"] = ["bedrock", "bedrock_converse"],
        ["cohere"] = ["cohere_chat", "cohere"],
        ["x_ai"] = ["xai"],
    };

    private static readonly Dictionary<string, string> ProviderByLiteLlmProvider = new(StringComparer.OrdinalIgnoreCase)
    {
        ["text-completion-openai"] = "openai",
        ["gemini"] = "gcp.gemini",
        ["vertex_ai-language-models"] = "gcp.vertex_ai",
        ["mistral"] = "mistral_ai",
        ["bedrock"] = "aws.bedrock",
        ["bedrock_converse"] = "aws.bedrock",
        ["cohere_chat"] = "cohere",
        ["xai"] = "x_ai",
    };

    private static readonly string[] TextModes = ["chat", "completion", "responses", "embedding"];

    /// <summary>Merges a LiteLLM price file read from a stream.</summary>
    /// <exception cref="PriceCatalogueException">The LiteLLM file is not a JSON object, or the merged catalogue is invalid.</exception>
    public static LiteLlmImportResult Merge(PriceCatalogue current, Stream liteLlmJson, LiteLlmImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(liteLlmJson);
        using var buffer = new MemoryStream();
        liteLlmJson.CopyTo(buffer);
        return Merge(current, buffer.ToArray(), options);
    }

    /// <summary>Merges a LiteLLM price file given as UTF-8 bytes.</summary>
    /// <exception cref="PriceCatalogueException">The LiteLLM file is not a JSON object, or the merged catalogue is invalid.</exception>
    public static LiteLlmImportResult Merge(PriceCatalogue current, byte[] liteLlmJson, LiteLlmImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        var skipped = new List<string>();
        var records = ReadRecords(liteLlmJson, skipped);

        // 1. The best record for each existing entry.
        var best = new Dictionary<string, (Record Record, (int Provider, int Name) Rank)>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var entry = current.Resolve(record.Name, out var match);
            if (entry is null || match is PriceMatch.Prefix)
            {
                continue;
            }

            var providerRank = Array.FindIndex(LiteLlmProviders(entry.Provider), p => string.Equals(p, record.Provider, StringComparison.OrdinalIgnoreCase));
            if (providerRank < 0)
            {
                continue;
            }

            var nameRank = string.Equals(record.Name, entry.Id, StringComparison.OrdinalIgnoreCase) ? 0
                : entry.Aliases.Any(a => string.Equals(record.Name, a, StringComparison.OrdinalIgnoreCase)) ? 1
                : ModelNames.HasRegionPrefix(record.Name) ? 3
                : 2;
            var rank = (providerRank, nameRank);
            if (!best.TryGetValue(entry.Id, out var held) || IsBetter(record, rank, held.Record, held.Rank))
            {
                best[entry.Id] = (record, rank);
            }
        }

        var updated = new List<string>();
        var unchanged = new List<string>();
        var notFound = new List<string>();
        var merged = new List<ModelPrice>(current.Count);
        foreach (var entry in current.Models)
        {
            if (!best.TryGetValue(entry.Id, out var found))
            {
                notFound.Add(entry.Id);
                merged.Add(entry);
                continue;
            }

            var record = found.Record;
            var next = entry with
            {
                InputPerMillion = record.Input,
                OutputPerMillion = record.Output,
                CachedInputPerMillion = record.CachedInput ?? entry.CachedInputPerMillion,
                CacheWritePerMillion = record.CacheWrite ?? entry.CacheWritePerMillion,
            };
            var changes = Describe(entry, next);
            if (changes.Length == 0)
            {
                unchanged.Add(entry.Id);
                merged.Add(entry);
            }
            else
            {
                merged.Add(next with { AsOf = options.AsOf, Source = SourcePrefix + record.Key });
                updated.Add($"{entry.Id}: {changes} ({SourcePrefix}{record.Key})");
            }
        }

        // 2. Additions, judged against the updated entries only, so that their order does not matter.
        var added = new List<string>();
        if (options.AddProviders.Count > 0)
        {
            var resolver = PriceCatalogue.Create(merged, current.AsOf, current.Source, current.Comment);
            var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var model in merged)
            {
                taken.Add(model.Id);
                taken.UnionWith(model.Aliases);
            }

            foreach (var record in records)
            {
                if (!options.AddProviders.Contains(record.Provider, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                var entry = resolver.Find(record.Name);
                var covered = entry is not null
                    && entry.InputPerMillion == record.Input
                    && entry.OutputPerMillion == record.Output
                    && (record.CachedInput is null || entry.CachedInputPerMillion == record.CachedInput);
                if (covered || !taken.Add(record.Name))
                {
                    continue;
                }

                var model = new ModelPrice
                {
                    Id = record.Name.ToLowerInvariant(),
                    Provider = ProviderByLiteLlmProvider.GetValueOrDefault(record.Provider, record.Provider),
                    InputPerMillion = record.Input,
                    OutputPerMillion = record.Output,
                    CachedInputPerMillion = record.CachedInput,
                    CacheWritePerMillion = record.CacheWrite,
                    AsOf = options.AsOf,
                    Source = SourcePrefix + record.Key,
                };
                merged.Add(model);
                added.Add($"{model.Id} ({model.Provider}): input {Format(model.InputPerMillion)}, output {Format(model.OutputPerMillion)}"
                    + (model.CachedInputPerMillion is { } c ? $", cached_input {Format(c)}" : string.Empty)
                    + $" ({SourcePrefix}{record.Key})");
            }
        }

        return new LiteLlmImportResult
        {
            Catalogue = PriceCatalogue.Create(merged, current.AsOf, current.Source, current.Comment),
            Updated = updated,
            Added = added,
            Unchanged = unchanged,
            NotFound = notFound,
            Skipped = skipped,
        };
    }

    private static string[] LiteLlmProviders(string provider) =>
        LiteLlmProvidersByProvider.TryGetValue(provider, out var providers) ? providers : [provider];

    private static bool IsBetter(Record candidate, (int Provider, int Name) rank, Record held, (int Provider, int Name) heldRank)
    {
        if (rank != heldRank)
        {
            return rank.CompareTo(heldRank) < 0;
        }

        var order = string.CompareOrdinal(candidate.Key, held.Key);
        // Exact names: the shortest (plainest) key; dated or regional releases: the newest, which sorts last.
        if (rank.Name < 2)
        {
            return candidate.Key.Length != held.Key.Length ? candidate.Key.Length < held.Key.Length : order < 0;
        }

        return order > 0;
    }

    private static string Describe(ModelPrice before, ModelPrice after)
    {
        var parts = new List<string>();
        Compare("input", before.InputPerMillion, after.InputPerMillion);
        Compare("output", before.OutputPerMillion, after.OutputPerMillion);
        Compare("cached_input", before.CachedInputPerMillion, after.CachedInputPerMillion);
        Compare("cache_write", before.CacheWritePerMillion, after.CacheWritePerMillion);
        return string.Join(", ", parts);

        void Compare(string name, double? was, double? now)
        {
            if (was != now)
            {
                parts.Add($"{name} {(was is { } w ? Format(w) : "none")} -> {(now is { } n ? Format(n) : "none")}");
            }
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static List<Record> ReadRecords(byte[] utf8Json, List<string> skipped)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new PriceCatalogueException(
                $"LiteLLM prices: not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new PriceCatalogueException("LiteLLM prices: $: must be an object keyed by model name");
            }

            var records = new List<Record>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "sample_spec" || property.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (TryReadRecord(property.Name, property.Value, skipped) is { } record)
                {
                    records.Add(record);
                }
            }

            records.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return records;
        }
    }

    private static Record? TryReadRecord(string key, JsonElement value, List<string> skipped)
    {
        var path = $"$[{JsonSerializer.Serialize(key)}]";
        var mode = value.TryGetProperty("mode", out var modeElement) && modeElement.ValueKind == JsonValueKind.String ? modeElement.GetString() : null;
        if (mode is not null && Array.IndexOf(TextModes, mode) < 0)
        {
            return null; // images, audio, rerank, moderation: not priced per token here
        }

        if (!value.TryGetProperty("litellm_provider", out var providerElement)
            || providerElement.ValueKind != JsonValueKind.String
            || providerElement.GetString() is not { Length: > 0 } provider)
        {
            skipped.Add($"{path}.litellm_provider: missing");
            return null;
        }

        var slash = key.LastIndexOf('/');
        var name = (slash >= 0 ? key[(slash + 1)..] : key).Trim();
        if (name.Length == 0 || name.Any(char.IsWhiteSpace))
        {
            skipped.Add($"{path}: the key is not a model name");
            return null;
        }

        if (!value.TryGetProperty("input_cost_per_token", out _))
        {
            return null; // priced per character, second or image: not ours
        }

        var input = PerMillion(value, "input_cost_per_token", path, skipped, out var inputOk);
        var output = PerMillion(value, "output_cost_per_token", path, skipped, out var outputOk);
        var cached = PerMillion(value, "cache_read_input_token_cost", path, skipped, out var cachedOk);
        var cacheWrite = PerMillion(value, "cache_creation_input_token_cost", path, skipped, out var writeOk);
        if (!inputOk || !outputOk || !cachedOk || !writeOk)
        {
            return null;
        }

        if (output is null && mode != "embedding")
        {
            skipped.Add($"{path}.output_cost_per_token: missing");
            return null;
        }

        return new Record(key, name, provider, input!.Value, output ?? 0, cached, cacheWrite);
    }

    /// <summary>A per-token cost as USD per million tokens, rounded to 6 decimals (per-token floats are not exact).</summary>
    private static double? PerMillion(JsonElement record, string property, string path, List<string> skipped, out bool ok)
    {
        ok = true;
        if (!record.TryGetProperty(property, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var perToken) && perToken >= 0 && perToken < 1)
        {
            return (double)decimal.Round(perToken * 1_000_000m, 6, MidpointRounding.ToEven);
        }

        ok = false;
        skipped.Add($"{path}.{property}: must be a per-token USD cost, not {element.GetRawText()}");
        return null;
    }

    private sealed record Record(string Key, string Name, string Provider, double Input, double Output, double? CachedInput, double? CacheWrite);
}
