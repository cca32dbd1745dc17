using System.Text;
using AgentSentinel.Otlp.Normalization;

namespace AgentSentinel.Otlp.Tests.Normalization;

public sealed class JsonStringsTests
{
    [Theory]
    [InlineData("{\"model\": \"gpt-4o\", \"temperature\": 0}", "gpt-4o")]
    [InlineData("{\"temperature\":0,\"model\":\"gpt-4o-mini\",\"stop\":[\"\\n\"]}", "gpt-4o-mini")]
    [InlineData("{\"nested\":{\"model\":\"inner\"},\"model\":\"outer\"}", "outer")]
    [InlineData("{\"nested\":{\"model\":\"inner\"}}", null)]
    [InlineData("{\"list\":[{\"model\":\"x\"}],\"other\":\"model\"}", null)]
    [InlineData("{\"model\": 42}", null)]
    [InlineData("{\"model\": \"a\\\"b\"}", "a\"b")]
    [InlineData("{\"mo\\u0064el\": \"escaped-key\"}", "escaped-key")]
    [InlineData("[\"model\", \"x\"]", null)]
    [InlineData("not json", null)]
    [InlineData("", null)]
    public void The_model_of_invocation_parameters_is_found_at_the_top_level_only(string json, string? expected)
    {
        Span<byte> destination = stackalloc byte[64];
        var bytes = Encoding.UTF8.GetBytes(json);

        var length = JsonStrings.FindTopLevelStringFast(bytes, "model"u8, destination);
        if (length == -2)
        {
            length = JsonStrings.FindTopLevelString(bytes, "model"u8, destination);
        }

        Assert.Equal(expected, length > 0 ? Encoding.UTF8.GetString(destination[..length]) : null);

        var full = JsonStrings.FindTopLevelString(bytes, "model"u8, destination);
        Assert.Equal(expected, full > 0 ? Encoding.UTF8.GetString(destination[..full]) : null);
    }

    [Fact]
    public void Unescape_reads_a_json_string_token_back_from_the_payload()
    {
        var payload = Encoding.UTF8.GetBytes("{\"v\":\"a\\nb\\u00e9\"}");
        var start = Array.IndexOf(payload, (byte)'a');
        Span<byte> destination = stackalloc byte[32];
        var length = JsonStrings.Unescape(payload, start, payload.Length - 2 - start, destination);
        Assert.Equal("a\nbé", Encoding.UTF8.GetString(destination[..length]));
        Assert.Equal(-1, JsonStrings.Unescape(payload, 0, 3, destination));
    }

    [Theory]
    [InlineData("{\"n\": 7}", 7L)]
    [InlineData("{'n': 7}", 7L)]
    [InlineData("{\"a\":{\"n\":7}}", 7L)]
    [InlineData("{\"text\":\"say \\\"n\\\": 9\",\"n\":7}", 7L)]
    public void Counts_are_found_in_decoded_text_but_not_inside_string_values(string text, long expected)
    {
        Assert.True(JsonStrings.TryFindCount(Encoding.UTF8.GetBytes(text), "n"u8, out var count));
        Assert.Equal(expected, count);
    }

    [Theory]
    [InlineData("{\\\"n\\\":7}", 7L)]
    [InlineData("{\\u0022n\\u0022: 7}", 7L)]
    [InlineData("{\\\"t\\\":\\\"\\\\\\\"n\\\\\\\": 9\\\",\\\"n\\\":7}", 7L)]
    [InlineData("{\\\"n\\\":7\\n}", 7L)]
    public void Counts_are_found_in_raw_json_string_content_with_either_quote_escape(string raw, long expected)
    {
        Assert.True(JsonStrings.TryFindCount(Encoding.UTF8.GetBytes(raw), "n"u8, out var count, raw: true));
        Assert.Equal(expected, count);
        Assert.False(JsonStrings.TryFindCount(Encoding.UTF8.GetBytes(raw), "n"u8, out _, raw: false));
    }
}
