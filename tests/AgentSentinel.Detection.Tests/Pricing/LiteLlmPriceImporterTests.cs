using System.Text;
using System.Text.Json.Nodes;
using AgentSentinel.Detection.Pricing;

namespace AgentSentinel.Detection.Tests.Pricing;

public sealed class LiteLlmPriceImporterTests
{
    private static readonly DateOnly ImportDate = new(2026, 2, 1);

    private const string Catalogue = """
        {
          "schema": 1, "unit": "USD per 1M tokens", "as_of": "2025-01-01", "source": "https://example.com/prices",
          "models": [
            {"id": "gpt-4o", "provider": "openai", "input": 2.5, "output": 10, "cached_input": 1.25},
            {"id": "gpt-4o-mini", "provider": "openai", "input": 0.15, "output": 0.6, "cached_input": 0.075},
            {"id": "claude-sonnet-4", "provider": "anthropic", "input": 3, "output": 15, "aliases": ["claude-4-sonnet"]},
            {"id": "gemini-2.5-flash", "provider": "gcp.gemini", "input": 0.3, "output": 2.5, "cached_input": 0.03},
            {"id": "nova-lite", "provider": "aws.bedrock", "input": 0.05, "output": 0.2},
            {"id": "in-house", "provider": "acme", "input": 1, "output": 1}
          ]
        }
        """;

    // A hand-written extract in LiteLLM's format (per-token USD), with the kinds of records the real file holds.
    private const string LiteLlm = """
        {
          "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers", "mode": "one of: chat, embedding, ..."},
          "gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
          "gpt-4o-2024-05-13": {"input_cost_per_token": 5e-06, "output_cost_per_token": 1.5e-05, "litellm_provider": "openai", "mode": "chat"},
          "gpt-4o-2024-11-20": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
          "gpt-4o-audio-preview": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "input_cost_per_audio_token": 4e-05, "litellm_provider": "openai", "mode": "chat"},
          "azure/gpt-4o": {"input_cost_per_token": 2.75e-06, "output_cost_per_token": 1.1e-05, "litellm_provider": "azure", "mode": "chat"},
          "gpt-4o-mini": {"input_cost_per_token": 1.6e-07, "output_cost_per_token": 6.4e-07, "cache_read_input_token_cost": 8e-08, "litellm_provider": "openai", "mode": "chat"},
          "gpt-image-1": {"input_cost_per_token": 5e-06, "output_cost_per_token": 4e-05, "litellm_provider": "openai", "mode": "image_generation"},
          "claude-4-sonnet-20250514": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06, "litellm_provider": "anthropic", "mode": "chat"},
          "claude-sonnet-4-20250514": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06, "litellm_provider": "anthropic", "mode": "chat"},
          "anthropic.claude-sonnet-4-20250514-v1:0": {"input_cost_per_token": 3.3e-06, "output_cost_per_token": 1.65e-05, "litellm_provider": "bedrock_converse", "mode": "chat"},
          "amazon.nova-lite-v1:0": {"input_cost_per_token": 6e-08, "output_cost_per_token": 2.4e-07, "litellm_provider": "bedrock_converse", "mode": "chat"},
          "us.amazon.nova-lite-v1:0": {"input_cost_per_token": 6.6e-08, "output_cost_per_token": 2.64e-07, "litellm_provider": "bedrock_converse", "mode": "chat"},
          "gemini/gemini-2.5-flash": {"input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06, "cache_read_input_token_cost": 3e-08, "litellm_provider": "gemini", "mode": "chat"},
          "gemini-2.5-flash": {"input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06, "cache_read_input_token_cost": 7.5e-08, "litellm_provider": "vertex_ai-language-models", "mode": "chat"},
          "o9-mini": {"input_cost_per_token": 1.1e-06, "output_cost_per_token": 4.4e-06, "litellm_provider": "openai", "mode": "chat"},
          "text-embedding-9": {"input_cost_per_token": 2e-08, "litellm_provider": "openai", "mode": "embedding"},
          "broken-model": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-06, "litellm_provider": "openai", "mode": "chat"},
          "tts-1": {"input_cost_per_character": 1.5e-05, "litellm_provider": "openai", "mode": "audio_speech"}
        }
        """;

    [Fact]
    public void A_changed_price_is_updated_and_stamped_with_the_import_date_and_the_litellm_key()
    {
        var result = Merge();

        var mini = result.Catalogue.Find("gpt-4o-mini")!;
        Assert.Equal((0.16, 0.64, 0.08), (mini.InputPerMillion, mini.OutputPerMillion, mini.CachedInputPerMillion));
        Assert.Equal(ImportDate, mini.AsOf);
        Assert.Equal("litellm:gpt-4o-mini", mini.Source);
        Assert.Contains("gpt-4o-mini: input 0.15 -> 0.16, output 0.6 -> 0.64, cached_input 0.075 -> 0.08 (litellm:gpt-4o-mini)", result.Updated);
    }

    [Fact]
    public void An_equal_price_is_left_untouched_with_its_date_and_source()
    {
        var result = Merge();

        var gpt4o = result.Catalogue.Find("gpt-4o")!;
        Assert.Equal((2.5, 10.0, 1.25), (gpt4o.InputPerMillion, gpt4o.OutputPerMillion, gpt4o.CachedInputPerMillion));
        Assert.Equal(new DateOnly(2025, 1, 1), gpt4o.AsOf);
        Assert.Equal("https://example.com/prices", gpt4o.Source);
        Assert.Contains("gpt-4o", result.Unchanged);
    }

    [Fact]
    public void Records_of_other_providers_other_modes_and_prefix_only_names_never_update_an_entry()
    {
        var result = Merge();

        // azure/gpt-4o (azure), gpt-4o-audio-preview (a prefix match) and the Bedrock Claude are all priced differently or
        // apart; the first-party records decide. Gemini: the "gemini" provider is preferred over Vertex's record.
        Assert.Equal(2.5, result.Catalogue.Find("gpt-4o")!.InputPerMillion);
        Assert.Equal(3, result.Catalogue.Find("claude-sonnet-4")!.InputPerMillion);
        Assert.Contains("gemini-2.5-flash", result.Unchanged);
        Assert.Equal(["in-house"], result.NotFound);
    }

    [Fact]
    public void Without_an_exact_key_the_newest_dated_record_is_taken_and_cache_prices_are_filled_in()
    {
        var result = Merge();

        var sonnet = result.Catalogue.Find("claude-sonnet-4")!;
        Assert.Equal((0.3, 3.75), (sonnet.CachedInputPerMillion, sonnet.CacheWritePerMillion));
        // Neither claude-4-sonnet-20250514 (the alias, dated) nor claude-sonnet-4-20250514 equals the id or an alias: both
        // are dated releases, and the greatest key wins.
        Assert.Equal("litellm:claude-sonnet-4-20250514", sonnet.Source);
    }

    [Fact]
    public void A_regional_bedrock_record_is_taken_only_when_there_is_no_plain_one()
    {
        var result = Merge();

        var nova = result.Catalogue.Find("us.amazon.nova-lite-v1:0")!;
        Assert.Equal(("nova-lite", 0.06, 0.24), (nova.Id, nova.InputPerMillion, nova.OutputPerMillion));
        Assert.Equal("litellm:amazon.nova-lite-v1:0", nova.Source);
    }

    [Fact]
    public void Models_are_added_only_for_the_providers_asked_for_and_only_when_the_catalogue_does_not_price_them_already()
    {
        var none = Merge();
        var result = Merge(addProviders: ["openai"]);

        Assert.Empty(none.Added);
        Assert.Equal(6, none.Catalogue.Count);
        Assert.Equal(
            [
                "gpt-4o-2024-05-13 (openai): input 5, output 15 (litellm:gpt-4o-2024-05-13)",
                "o9-mini (openai): input 1.1, output 4.4 (litellm:o9-mini)",
                "text-embedding-9 (openai): input 0.02, output 0 (litellm:text-embedding-9)",
            ],
            result.Added);
        // A dated release priced apart now resolves to its own entry; names priced like what they resolve to already
        // (gpt-4o-2024-11-20, gpt-4o-audio-preview by prefix) are not added.
        Assert.Equal(5, result.Catalogue.Find("gpt-4o-2024-05-13")!.InputPerMillion);
        Assert.Equal("gpt-4o", result.Catalogue.Find("gpt-4o-2024-11-20")!.Id);
        Assert.Equal("gpt-4o", result.Catalogue.Find("gpt-4o-audio-preview")!.Id);
        Assert.Equal(ImportDate, result.Catalogue.Find("o9-mini")!.AsOf);
    }

    [Fact]
    public void Unusable_records_are_listed_with_their_json_path()
    {
        var result = Merge(addProviders: ["openai"]);

        Assert.Equal(["$[\"broken-model\"].input_cost_per_token: must be a per-token USD cost, not \"cheap\""], result.Skipped);
        Assert.Null(result.Catalogue.Find("broken-model"));
        Assert.Null(result.Catalogue.Find("tts-1"));
        Assert.Null(result.Catalogue.Find("gpt-image-1"));
    }

    [Fact]
    public void The_merge_is_deterministic_whatever_the_order_of_litellm_s_keys()
    {
        var reversed = new JsonObject();
        foreach (var (key, value) in JsonNode.Parse(LiteLlm)!.AsObject().Reverse().ToList())
        {
            reversed[key] = value!.DeepClone();
        }

        var first = PriceCatalogueWriter.ToJson(Merge(addProviders: ["openai", "anthropic"]).Catalogue);
        var second = PriceCatalogueWriter.ToJson(Merge(reversed.ToJsonString(), ["openai", "anthropic"]).Catalogue);

        Assert.Equal(first, second);
        Assert.Equal(first, PriceCatalogueWriter.ToJson(PriceCatalogue.Parse(first)));
    }

    [Fact]
    public void A_litellm_file_that_is_not_a_json_object_is_an_error()
    {
        var error = Assert.Throws<PriceCatalogueException>(() => Merge("[1, 2]"));

        Assert.Equal("LiteLLM prices: $: must be an object keyed by model name", error.Message);
    }

    private static LiteLlmImportResult Merge(string liteLlm = LiteLlm, string[]? addProviders = null) =>
        LiteLlmPriceImporter.Merge(
            PriceCatalogue.Parse(Catalogue),
            Encoding.UTF8.GetBytes(liteLlm),
            new LiteLlmImportOptions { AsOf = ImportDate, AddProviders = addProviders ?? [] });
}
