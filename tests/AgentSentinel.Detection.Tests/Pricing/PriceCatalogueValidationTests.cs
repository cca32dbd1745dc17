using AgentSentinel.Detection.Pricing;

namespace AgentSentinel.Detection.Tests.Pricing;

public sealed class PriceCatalogueValidationTests
{
    private const string Header = """
        "schema": 1, "unit": "USD per 1M tokens", "as_of": "2025-01-01", "source": "https://example.com/prices"
        """;

    private static string File(params string[] models) => $$"""{ {{Header}}, "models": [ {{string.Join(", ", models)}} ] }""";

    [Theory]
    [InlineData("""{"id": "m1", "provider": "p", "input": -1, "output": 2}""", "$.models[0].input (m1): must be a number >= 0")]
    [InlineData("""{"id": "m1", "provider": "p", "input": "1.5", "output": 2}""", "$.models[0].input (m1): must be a number >= 0 (USD per 1M tokens), not \"1.5\"")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1}""", "$.models[0].output (m1): missing")]
    [InlineData("""{"id": "m1", "input": 1, "output": 2}""", "$.models[0].provider (m1): missing")]
    [InlineData("""{"provider": "p", "input": 1, "output": 2}""", "$.models[0].id: missing")]
    [InlineData("""{"id": "", "provider": "p", "input": 1, "output": 2}""", "$.models[0].id: must be a non-empty string")]
    [InlineData("""{"id": "m 1", "provider": "p", "input": 1, "output": 2}""", "$.models[0].id (m 1): must be a non-empty name without spaces")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1, "output": 2, "cached": 0.5}""", "$.models[0].cached (m1): unknown key")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 2.5e-06, "output": 2}""", "$.models[0].input (m1): 2.5e-06 looks like a price per token")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1, "output": 2, "as_of": "01/02/2025"}""", "$.models[0].as_of (m1): must be a date \"yyyy-MM-dd\"")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1, "output": 2, "aliases": "m-one"}""", "$.models[0].aliases (m1): must be an array of strings")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1, "output": 2, "aliases": [3]}""", "$.models[0].aliases[0] (m1): must be a non-empty string, not 3")]
    [InlineData("""{"id": "m1", "provider": "p", "input": 1, "output": 2, "input": 3}""", "$.models[0].input (m1): given twice")]
    [InlineData("""["m1"]""", "$.models[0]: must be an object, not array")]
    public void An_invalid_entry_is_reported_with_its_json_path_and_id(string entry, string expected)
    {
        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(File(entry), "prices.json"));

        Assert.Contains("prices.json: " + expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_claimed_twice_names_both_entries_ignoring_case()
    {
        var json = File(
            """{"id": "m1", "provider": "p", "input": 1, "output": 2, "aliases": ["shared"]}""",
            """{"id": "m2", "provider": "p", "input": 1, "output": 2, "aliases": ["SHARED"]}""");

        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(json, "prices.json"));

        Assert.Equal("prices.json: $.models[1].aliases[0] (m2): \"SHARED\" is already the id or an alias of m1", Assert.Single(error.Errors));
    }

    [Fact]
    public void Every_problem_is_listed_not_only_the_first()
    {
        var json = File(
            """{"id": "m1", "provider": "p", "input": -1, "output": 2}""",
            """{"id": "m2", "provider": "p", "input": 1, "output": 2, "colour": "red"}""");

        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(json, "prices.json"));

        Assert.Equal(2, error.Errors.Count);
        Assert.StartsWith("prices.json: $.models[0].input (m1)", error.Errors[0], StringComparison.Ordinal);
        Assert.StartsWith("prices.json: $.models[1].colour (m2): unknown key", error.Errors[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"unit": "USD per 1M tokens", "models": []}""", "$.schema: missing")]
    [InlineData("""{"schema": 2, "unit": "USD per 1M tokens", "models": []}""", "$.schema: unsupported schema 2")]
    [InlineData("""{"schema": 1, "unit": "USD per token", "models": []}""", "$.unit: must be \"USD per 1M tokens\", not \"USD per token\"")]
    [InlineData("""{"schema": 1, "unit": "USD per 1M tokens"}""", "$.models: missing, or not an array")]
    [InlineData("""{"schema": 1, "unit": "USD per 1M tokens", "models": []}""", "$.models: no entries")]
    [InlineData("""{"schema": 1, "unit": "USD per 1M tokens", "models": [], "version": 3}""", "$.version: unknown key")]
    [InlineData("""[1, 2]""", "$: must be a JSON object")]
    public void An_invalid_file_is_reported_with_the_key_at_fault(string json, string expected)
    {
        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(json, "prices.json"));

        Assert.Contains("prices.json: " + expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_without_a_date_or_source_needs_the_file_to_give_them()
    {
        const string json = """
            {"schema": 1, "unit": "USD per 1M tokens", "models": [{"id": "m1", "provider": "p", "input": 1, "output": 2}]}
            """;

        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(json, "prices.json"));

        Assert.Equal(
            ["prices.json: $.models[0].as_of (m1): missing, and the file gives no as_of", "prices.json: $.models[0].source (m1): missing, and the file gives no source"],
            error.Errors);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        var json = "{\n  \"schema\": 1,\n  \"models\": [,]\n}";

        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Parse(json, "prices.json"));

        Assert.StartsWith("prices.json: not valid JSON at line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "agentsentinel-no-such-prices.json");

        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Load(path));

        Assert.StartsWith(path + ": cannot read the price catalogue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_built_in_code_are_validated_like_a_file()
    {
        var error = Assert.Throws<PriceCatalogueException>(() => PriceCatalogue.Create(
            [PriceCatalogueTests.Entry("m1") with { OutputPerMillion = double.NaN }, PriceCatalogueTests.Entry("M1")]));

        Assert.Equal(2, error.Errors.Count);
        Assert.Contains("$.models[0].output (m1): must be a number >= 0", error.Errors[0], StringComparison.Ordinal);
        Assert.Contains("$.models[1].id (M1): \"M1\" is already the id or an alias of m1", error.Errors[1], StringComparison.Ordinal);
    }
}
