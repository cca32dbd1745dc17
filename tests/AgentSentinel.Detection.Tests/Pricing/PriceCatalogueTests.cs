using AgentSentinel.Core.Spans;
using AgentSentinel.Detection.Pricing;
using AgentSentinel.Tests.Shared;

namespace AgentSentinel.Detection.Tests.Pricing;

public sealed class PriceCatalogueTests
{
    private static readonly Lazy<PriceCatalogue> Repository = new(() => PriceCatalogue.Load(RepositoryFile));

    private static string RepositoryFile => Path.Combine(SharedData.RepositoryRoot, "models", "prices.json");

    [Fact]
    public void The_repository_catalogue_loads_and_is_valid()
    {
        var catalogue = Repository.Value;

        Assert.True(catalogue.Count >= 60, $"only {catalogue.Count} models");
        Assert.Equal(catalogue.Models.Select(m => m.Id).Order(StringComparer.Ordinal), catalogue.Models.Select(m => m.Id));
        var gpt4o = catalogue.Find("gpt-4o")!;
        Assert.Equal(("openai", 2.5, 10.0, 1.25), (gpt4o.Provider, gpt4o.InputPerMillion, gpt4o.OutputPerMillion, gpt4o.CachedInputPerMillion));
        Assert.All(catalogue.Models, m => Assert.StartsWith("https://", m.Source, StringComparison.Ordinal));
    }

    [Fact]
    public void The_repository_catalogue_is_written_in_the_writer_s_layout_so_that_an_import_diffs_only_what_changed()
    {
        var text = File.ReadAllText(RepositoryFile);

        Assert.Equal(text, PriceCatalogueWriter.ToJson(Repository.Value));
    }

    [Fact]
    public void The_default_catalogue_is_the_copy_of_the_repository_file_shipped_with_the_assembly()
    {
        Assert.Equal(PriceCatalogueWriter.ToJson(Repository.Value), PriceCatalogueWriter.ToJson(PriceCatalogue.Default));
    }

    [Theory]
    // Model strings seen in the fixture captures (../shared/data/genai-spans).
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4.1-2025-04-14", "gpt-4.1")]
    [InlineData("gpt-5-2025-08-07", "gpt-5")]
    [InlineData("gpt-5-mini-2025-08-07", "gpt-5-mini")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("gemini-2.0-flash", "gemini-2.0-flash")]
    [InlineData("projects/vertex-ai-integration-467711/locations/europe-central2/publishers/google/models/gemini-2.5-flash", "gemini-2.5-flash")]
    [InlineData("text-embedding-3-small", "text-embedding-3-small")]
    // Provider prefixes and paths.
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("models/gemini-1.5-pro", "gemini-1.5-pro")]
    [InlineData("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet")]
    [InlineData("anthropic/claude-3.7-sonnet:thinking", "claude-3-7-sonnet")]
    [InlineData("meta-llama/llama-4-scout-17b-16e-instruct", "llama-4-scout-17b-16e-instruct")]
    // Bedrock and Vertex ids.
    [InlineData("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet")]
    [InlineData("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4")]
    [InlineData("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet")]
    [InlineData("meta.llama3-3-70b-instruct-v1:0", "llama3-3-70b-instruct")]
    [InlineData("amazon.nova-pro-v1:0", "nova-pro")]
    [InlineData("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet")]
    [InlineData("claude-opus-4-1@20250805", "claude-opus-4-1")]
    // Date, build and release suffixes.
    [InlineData("claude-3-5-sonnet-latest", "claude-3-5-sonnet")]
    [InlineData("claude-opus-4-20250514", "claude-opus-4")]
    [InlineData("claude-opus-4-5-20251101", "claude-opus-4-5")]
    [InlineData("claude-3-haiku-20240307", "claude-3-haiku")]
    [InlineData("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash")]
    [InlineData("gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite")]
    [InlineData("gemini-3-pro-preview", "gemini-3-pro")]
    [InlineData("gemini-1.5-pro-002", "gemini-1.5-pro")]
    [InlineData("gemini-2.0-flash-001", "gemini-2.0-flash")]
    [InlineData("gpt-3.5-turbo-0125", "gpt-3.5-turbo")]
    [InlineData("gpt-4-0613", "gpt-4")]
    [InlineData("gpt-4-1106-preview", "gpt-4-turbo")]
    [InlineData("o1-preview", "o1")]
    [InlineData("o3-mini-2025-01-31", "o3-mini")]
    [InlineData("mistral-large-latest", "mistral-large")]
    [InlineData("mistral-small-2503", "mistral-small")]
    [InlineData("command-r-plus-08-2024", "command-r-plus")]
    [InlineData("command-a-03-2025", "command-a")]
    [InlineData("grok-4-0709", "grok-4")]
    // Variants priced as their family (longest prefix, at a name boundary).
    [InlineData("gpt-4o-audio-preview-2024-12-17", "gpt-4o")]
    [InlineData("gpt-4o-mini-search-preview", "gpt-4o-mini")]
    [InlineData("gpt-5-chat-latest", "gpt-5")]
    [InlineData("grok-4-fast-reasoning", "grok-4-fast")]
    // Case and spaces.
    [InlineData("GPT-4o-Mini", "gpt-4o-mini")]
    [InlineData("  Claude-3-Opus-20240229 ", "claude-3-opus")]
    public void A_model_string_resolves_to_its_entry(string model, string expectedId)
    {
        Assert.Equal(expectedId, Repository.Value.Find(model)?.Id);
    }

    [Theory]
    [InlineData("claude-opus-4-9")]          // a prefix match never crosses a number: not priced as claude-opus-4
    [InlineData("gpt-4-32k")]                // nor as gpt-4
    [InlineData("gpt-4.7-turbo")]            // '.' is not a name boundary: not gpt-4
    [InlineData("llama-2-70b-chat")]
    [InlineData("my-company-finetune")]
    [InlineData("us.gpt-4o")]                // a region prefix counts only before a vendor
    [InlineData("")]
    [InlineData("   ")]
    public void A_model_string_outside_the_catalogue_resolves_to_nothing(string model)
    {
        Assert.Null(Repository.Value.Find(model));
    }

    [Fact]
    public void An_exact_entry_wins_over_the_family_it_would_normalise_to()
    {
        var first = Repository.Value.Find("gpt-4o-2024-05-13")!;

        Assert.Equal("gpt-4o-2024-05-13", first.Id);
        Assert.Equal(5, first.InputPerMillion);
        Assert.Equal(PriceMatch.Exact, Resolve("gpt-4o-2024-05-13"));
        Assert.Equal(PriceMatch.Normalised, Resolve("gpt-4o-2024-11-20"));
        Assert.Equal(PriceMatch.Prefix, Resolve("gpt-4o-audio-preview"));
    }

    [Fact]
    public void Lookups_allocate_nothing()
    {
        var catalogue = Repository.Value;
        string[] models = ["gpt-4o", "us.anthropic.claude-sonnet-4-20250514-v1:0", "gemini-2.5-flash-preview-05-20", "gpt-4o-audio-preview", "unknown-model"];
        var span = new AgentSpan { ResponseModel = "claude-sonnet-4-5-20250929", RequestModel = "claude-sonnet-4-5", InputTokens = 1000, OutputTokens = 100 };
        foreach (var model in models)
        {
            catalogue.Find(model);
        }

        catalogue.TryGetCost(span, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = 0;
        for (var i = 0; i < 1000; i++)
        {
            foreach (var model in models)
            {
                found += catalogue.Find(model) is null ? 0 : 1;
            }

            found += catalogue.TryGetCost(span, out _) ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(5000, found);
    }

    [Fact]
    public void Cached_input_tokens_are_part_of_the_input_and_charged_at_the_cached_rate()
    {
        // gpt-4o: 2.5 input, 1.25 cached, 10 output per 1M.
        var span = new AgentSpan { RequestModel = "gpt-4o", InputTokens = 1000, CachedInputTokens = 200, OutputTokens = 500 };

        Assert.True(Repository.Value.TryGetCost(span, out var usd));
        Assert.Equal(((800 * 2.5) + (200 * 1.25) + (500 * 10.0)) / 1e6, usd, 12);
    }

    [Fact]
    public void Reasoning_tokens_are_part_of_the_output_and_not_charged_again()
    {
        var span = new AgentSpan { RequestModel = "o4-mini", InputTokens = 100, OutputTokens = 1000, ReasoningTokens = 800 };

        Assert.True(Repository.Value.TryGetCost(span, out var usd));
        Assert.Equal(((100 * 1.1) + (1000 * 4.4)) / 1e6, usd, 12);
    }

    [Fact]
    public void More_cached_than_input_tokens_means_the_input_excluded_them_and_both_are_charged()
    {
        // Anthropic's raw usage: input_tokens excludes cache reads. claude-sonnet-4: 3 input, 0.3 cached, 15 output.
        var price = Repository.Value.Find("claude-sonnet-4")!;

        Assert.Equal(((50 * 3.0) + (4000 * 0.3) + (10 * 15.0)) / 1e6, price.Cost(50, 10, 4000), 12);
    }

    [Fact]
    public void A_model_without_a_cached_rate_charges_cached_tokens_as_input()
    {
        var price = Repository.Value.Find("gpt-4")!;

        Assert.Null(price.CachedInputPerMillion);
        Assert.Equal(price.Cost(1000, 0), price.Cost(1000, 0, 400), 12);
    }

    [Fact]
    public void The_response_model_is_priced_first_and_the_request_model_when_the_response_model_is_unknown()
    {
        var catalogue = Repository.Value;
        var both = new AgentSpan { RequestModel = "gpt-4o", ResponseModel = "gpt-4o-2024-05-13", InputTokens = 1_000_000 };
        var unknownResponse = both with { ResponseModel = "azure-deployment-7" };

        Assert.True(catalogue.TryGetCost(both, out var first));
        Assert.Equal(5, first, 12);
        Assert.True(catalogue.TryGetCost(unknownResponse, out var fallback));
        Assert.Equal(2.5, fallback, 12);
    }

    [Fact]
    public void A_span_without_input_or_output_tokens_or_without_a_known_model_has_no_cost()
    {
        var catalogue = Repository.Value;

        Assert.False(catalogue.TryGetCost(new AgentSpan { RequestModel = "gpt-4o", TotalTokens = 100 }, out var noTokens));
        Assert.Equal(0, noTokens);
        Assert.False(catalogue.TryGetCost(new AgentSpan { RequestModel = "in-house-llm", InputTokens = 100 }, out _));
        Assert.False(catalogue.TryGetCost(new AgentSpan { InputTokens = 100 }, out _));
        Assert.True(catalogue.TryGetCost(new AgentSpan { RequestModel = "text-embedding-3-small", InputTokens = 1_000_000 }, out var embedding));
        Assert.Equal(0.02, embedding, 12);
    }

    [Fact]
    public void A_catalogue_is_immutable_and_built_entries_are_ordered_by_id()
    {
        var catalogue = PriceCatalogue.Create([Entry("b-model"), Entry("a-model")], new DateOnly(2025, 1, 1), "test");

        Assert.Equal(["a-model", "b-model"], catalogue.Models.Select(m => m.Id));
        Assert.IsNotType<List<ModelPrice>>(catalogue.Models);
        Assert.Throws<NotSupportedException>(() => ((IList<ModelPrice>)catalogue.Models).Add(Entry("c-model")));
    }

    [Fact]
    public void Writing_a_catalogue_and_reading_it_back_gives_the_same_catalogue()
    {
        var catalogue = PriceCatalogue.Create(
            [
                Entry("m-1") with { Aliases = ["m-one"], CachedInputPerMillion = 0.125, Note = "a \"quoted\" note" },
                Entry("m-2") with { AsOf = new DateOnly(2024, 6, 1), Source = "https://example.com/other" },
            ],
            new DateOnly(2025, 1, 1),
            "https://example.com/prices",
            "comment");

        var json = PriceCatalogueWriter.ToJson(catalogue);
        var back = PriceCatalogue.Parse(json);

        Assert.Equal(json, PriceCatalogueWriter.ToJson(back));
        Assert.Equal(new DateOnly(2024, 6, 1), back.Find("m-2")!.AsOf);
        Assert.Equal("https://example.com/prices", back.Find("m-one")!.Source);
        Assert.Equal("a \"quoted\" note", back.Find("m-1")!.Note);
    }

    private static PriceMatch Resolve(string model)
    {
        Repository.Value.Resolve(model, out var match);
        return match;
    }

    internal static ModelPrice Entry(string id, double input = 1, double output = 2) => new()
    {
        Id = id,
        Provider = "test",
        InputPerMillion = input,
        OutputPerMillion = output,
        AsOf = new DateOnly(2025, 1, 1),
        Source = "https://example.com/prices",
    };
}
