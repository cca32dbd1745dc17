using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Normalization;

namespace AgentSentinel.Otlp.Tests.Normalization;

public sealed class SpanNameRulesTests
{
    [Theory]
    [InlineData("chat gpt-4o", false, SpanOperation.Chat, "Model", "gpt-4o")]
    [InlineData("embeddings", false, SpanOperation.Embeddings, "None", "")]
    [InlineData("retrieval my-index", false, SpanOperation.Retrieval, "None", "")]
    [InlineData("retrieval my index", false, SpanOperation.Unknown, "None", "")]
    [InlineData("execute_tool get weather", false, SpanOperation.ExecuteTool, "Tool", "get weather")]
    [InlineData("invoke_agent", false, SpanOperation.InvokeAgent, "None", "")]
    [InlineData("invoke_workflow nightly batch", false, SpanOperation.InvokeWorkflow, "None", "")]
    [InlineData("create_agent Billing Bot", false, SpanOperation.CreateAgent, "Agent", "Billing Bot")]
    [InlineData("running tool: search_docs", false, SpanOperation.ExecuteTool, "Tool", "search_docs")]
    [InlineData("agent run", false, SpanOperation.InvokeAgent, "None", "")]
    [InlineData("joke_agent run", true, SpanOperation.InvokeAgent, "Agent", "joke_agent")]
    [InlineData("joke_agent run", false, SpanOperation.Unknown, "None", "")]
    [InlineData("agent_run [hello_agent]", false, SpanOperation.InvokeAgent, "Agent", "hello_agent")]
    [InlineData("chat ", false, SpanOperation.Unknown, "None", "")]
    [InlineData("Chat gpt-4o", false, SpanOperation.Unknown, "None", "")]
    [InlineData("GET /v1/chat/completions", false, SpanOperation.Unknown, "None", "")]
    [InlineData("", false, SpanOperation.Unknown, "None", "")]
    public void Names_are_classified_narrowly(string name, bool hasAgentAttribute, SpanOperation operation, string kind, string argument)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        var actual = SpanNameRules.Classify(bytes, hasAgentAttribute, out var range, out var actualKind);
        Assert.Equal(operation, actual);
        Assert.Equal(kind, actualKind.ToString());
        Assert.Equal(argument, actualKind == SpanNameArgument.None ? string.Empty : Encoding.UTF8.GetString(bytes[range]));
    }
}
