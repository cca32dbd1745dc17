using System.Text;
using AgentSentinel.Otlp.Normalization;
using AgentSentinel.Otlp.Tests.Support;

namespace AgentSentinel.Otlp.Tests.Normalization;

public sealed class ProviderNamesTests
{
    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("azure.ai.inference", "azure.ai.inference")]
    [InlineData("az.ai.openai", "azure.ai.openai")]
    [InlineData("vertex_ai", "gcp.vertex_ai")]
    [InlineData("gemini", "gcp.gemini")]
    [InlineData("aws", "aws.bedrock")]
    [InlineData("google", "gcp.gemini")]
    [InlineData("mistralai", "mistral_ai")]
    [InlineData("xai", "x_ai")]
    [InlineData("ibm.watson.ai", "ibm.watsonx.ai")]
    [InlineData("amazon-bedrock", "aws.bedrock")]
    [InlineData("openai.responses", "openai")]
    [InlineData("anthropic.messages", "anthropic")]
    [InlineData("google.vertex.chat", "gcp.vertex_ai")]
    [InlineData("google.generative-ai", "gcp.gemini")]
    [InlineData("mistral.chat", "mistral_ai")]
    public void Known_spellings_fold_onto_the_otel_well_known_names(string name, string canonical) =>
        Assert.Equal(canonical, ProviderNames.Canonical(Encoding.ASCII.GetBytes(name)));

    [Theory]
    [InlineData("my-inhouse-llm")]
    [InlineData("ollama")]
    [InlineData("custom.provider")]
    [InlineData("")]
    public void Unknown_names_are_left_to_the_caller(string name) =>
        Assert.Null(ProviderNames.Canonical(Encoding.ASCII.GetBytes(name)));

    [Fact]
    public void The_same_provider_from_three_conventions_is_one_name()
    {
        var otel = TestSpans.Decode("chat", ("gen_ai.provider.name", "mistral_ai")).Provider;
        var openInference = TestSpans.Decode("ChatMistralAI", ("openinference.span.kind", "LLM"), ("llm.provider", "mistralai")).Provider;
        var vercel = TestSpans.Decode("ai.generateText.doGenerate", ("ai.operationId", "ai.generateText.doGenerate"), ("ai.model.provider", "Mistral.Chat")).Provider;

        Assert.Equal(("mistral_ai", "mistral_ai", "mistral_ai"), (otel, openInference, vercel));
    }
}
