using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary>
/// One case per real instrumentation capture. Expected values were read from the fixture files by hand (attribute by
/// attribute), ignoring the <c>langfuse.export.*</c> attributes that the conversion added: where a capture kept its token
/// counts only there (agno, autogen, beeai, Claude Agent SDK, Koog, LangGraph), no tokens are expected.
/// </summary>
public sealed class FrameworkFixtureTests
{
    private const string VertexModel = "projects/vertex-ai-integration-467711/locations/europe-central2/publishers/google/models/gemini-2.5-flash";

    /// <summary>file, spans, LLM calls, input tokens and output tokens summed over LLM calls, models of LLM calls, agent names, resource agent, tool names.</summary>
    public static TheoryData<string, int, int, long, long, string, string, string, string> Captures => new()
    {
        // OpenInference LLM spans (llm.model_name) plus Langfuse SDK "chat {model}" spans: both are model calls.
        { "langfuse/otlp-json/agno-2025-06-11.otlp.json", 6, 4, 0, 0, "gpt-4o-mini", "", "", "duckduckgo_search" },
        { "langfuse/otlp-json/autogen-2025-06-06.otlp.json", 2, 1, 0, 0, "gpt-4o", "", "", "" },
        // Five OpenInference LLM spans (start/finish/success events); the TOOL spans carry no tool.name.
        { "langfuse/otlp-json/beeai-2025-08-01.otlp.json", 29, 5, 0, 0, "gpt-4o-mini", "", "", "" },
        // LangSmith OTel: gen_ai.operation.name=chat; the tool name is the tool span's name.
        { "langfuse/otlp-json/claude-agent-2025-12-22.otlp.json", 7, 4, 0, 0, "claude-sonnet-4-5-20250929", "", "", "mcp__weather__get_weather" },
        { "langfuse/otlp-json/crewai-2025-07-11.otlp.json", 6, 1, 190, 164, "gpt-4o-mini", "", "", "" },
        // Microsoft.Extensions.AI: current OTel names; the resource names the service.
        { "langfuse/otlp-json/csharp-agent-with-gemini-2026-03-09.otlp.json", 8, 3, 2546 + 3004 + 2497, 47 + 167 + 200, "gemini-2.5-flash", "", "agentic-clientinsights", "final_result|get_custom_report" },
        // The agent is only named by the span "agent_run [hello_agent]".
        { "langfuse/otlp-json/google-adk-2025-08-28.otlp.json", 5, 2, 28 + 39, 3 + 6, "gemini-2.0-flash", "hello_agent", "", "say_hello" },
        { "langfuse/otlp-json/google-gemini-2025-08-01.otlp.json", 1, 1, 6, 2055, "gemini-2.5-flash", "", "", "" },
        // Koog names its agent by gen_ai.agent.id only.
        { "langfuse/otlp-json/koog-2025-08-26.otlp.json", 11, 2, 0, 0, "gpt-4o", "f9f77d1a-437f-4ba6-890e-b592a50cbd21", "ai.koog", "ByeTool|HelloTool" },
        // Langfuse LangChain callback spans: nothing but langfuse.export.* attributes, so nothing is recognised.
        { "langfuse/otlp-json/langgraph-js-2025-10-30.otlp.json", 20, 0, 0, 0, "", "", "", "" },
        { "langfuse/otlp-json/langgraph-python-2025-08-22.otlp.json", 9, 0, 0, 0, "", "", "", "" },
        { "langfuse/otlp-json/llamaindex-2025-06-05.otlp.json", 2, 1, 13, 81, "gpt-4o", "", "", "" },
        { "langfuse/otlp-json/microsoft-agent-2025-12-17.otlp.json", 4, 2, 77 + 216, 86 + 20, "gpt-5-mini-2025-08-07", "171105b7-59dd-49c0-9677-0b95395aa46a", "", "get_weather" },
        // openai-agents via OpenInference: the AGENT span's graph.node.id is the agent name.
        { "langfuse/otlp-json/openai-agents-2025-09-30.otlp.json", 5, 2, 55 + 85, 15 + 29, "gpt-4.1-2025-04-14", "Hello world", "", "get_weather" },
        { "langfuse/otlp-json/pydantic-ai-2025-06-06.otlp.json", 3, 1, 31, 96, "gpt-4o-2024-08-06", "qa_agent", "", "" },
        { "langfuse/otlp-json/pydantic-ai-tools-2025-06-06.otlp.json", 3, 1, 31, 96, "gpt-4o-2024-08-06", "qa_agent", "", "" },
        { "langfuse/otlp-json/pydantic-ai-tools-2025-12-04.otlp.json", 12, 4, 265 + 417 + 502 + 131, 73 + 53 + 14 + 69, "gpt-4o-mini-2024-07-18", "evaluator_agent|joke_agent", "", "get_dad_joke_suggestion|get_one_liner_suggestion|get_pun_suggestion" },
        { "langfuse/otlp-json/pydantic-ai-with-gemini-2025-12-24.otlp.json", 1, 1, 40, 159, "gemini-2.5-flash", "", "", "" },
        // Vercel AI SDK 5: the doGenerate span is the model call; service.name is an SDK default, so absent.
        { "langfuse/otlp-json/vercel-aisdk-2025-11-17.otlp.json", 3, 1, 62, 85, "gpt-5-2025-08-07", "", "", "getWeather" },
        { "langfuse/otlp-json/vertex-ai-2025-08-01.otlp.json", 1, 1, 5, 845, VertexModel, "", "", "" },
        // Vercel AI SDK 6: four provider calls (doGenerate x3, doStream); the functionId names the agent.
        { "openinference/otlp-json/vercel-ai-sdk-v6.otlp.json", 10, 4, 14 + 50 + 63 + 15, 20 + 9 + 156 + 112, "gpt-4o-mini-2024-07-18", "test-embed|test-generate-object|test-generate-text|test-generate-text-messages|test-stream-text", "openinference-vercel-fixture", "" },
        // The canonical OTLP example: a plain server span, nothing GenAI about it.
        { "otel-proto/example-trace.json", 1, 0, 0, 0, "", "", "my.service", "" },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void Each_capture_yields_its_agent_models_and_token_counts(
        string file, int spans, int llmCalls, long inputTokens, long outputTokens, string models, string agents, string resourceAgent, string tools)
    {
        var batch = new SpanBatch();
        Assert.True(new OtlpJsonDecoder().TryDecode(FixtureFiles.Read(file.Split('/')), batch, out var failure), failure.ToString());
        var decoded = batch.ToArray();
        var calls = decoded.Where(s => s.Operation.IsLlmCall()).ToArray();

        Assert.Equal(spans, decoded.Length);
        Assert.Equal(llmCalls, calls.Length);
        Assert.Equal(inputTokens, calls.Sum(s => s.InputTokens ?? 0));
        Assert.Equal(outputTokens, calls.Sum(s => s.OutputTokens ?? 0));
        Assert.Equal(models, Join(calls.Select(s => s.Model)));
        Assert.Equal(agents, Join(decoded.Select(s => s.AgentName)));
        Assert.Equal(resourceAgent, Join(decoded.Select(s => s.ResourceAgent)));
        Assert.Equal(tools, Join(decoded.Where(s => s.Operation == SpanOperation.ExecuteTool).Select(s => s.ToolName)));
    }

    [Fact]
    public void Crewai_litellm_call_takes_its_requested_model_from_the_invocation_parameters()
    {
        var call = Decode("langfuse/otlp-json/crewai-2025-07-11.otlp.json").Single(s => s.Operation == SpanOperation.Chat);
        Assert.Equal("gpt-4o-mini", call.RequestModel);
        Assert.Equal(354, call.TotalTokens);
        Assert.Equal(0, call.CachedInputTokens);
        Assert.Equal(0, call.ReasoningTokens);
    }

    [Fact]
    public void Gemini_reasoning_tokens_are_kept_apart()
    {
        Assert.Equal(1104, Decode("langfuse/otlp-json/google-gemini-2025-08-01.otlp.json").Single().ReasoningTokens);
        Assert.Equal(121, Decode("langfuse/otlp-json/pydantic-ai-with-gemini-2025-12-24.otlp.json").Single().ReasoningTokens);
    }

    [Fact]
    public void Vertex_ai_reports_a_total_larger_than_input_plus_output_and_it_is_kept()
    {
        var call = Decode("langfuse/otlp-json/vertex-ai-2025-08-01.otlp.json").Single();
        Assert.Equal(2023, call.TotalTokens);
    }

    [Fact]
    public void Pydantic_ai_reports_cost_and_finish_reasons_per_model_call()
    {
        var calls = Decode("langfuse/otlp-json/pydantic-ai-tools-2025-12-04.otlp.json").Where(s => s.Operation == SpanOperation.Chat).ToArray();
        Assert.Equal(8.355e-05 + 9.435e-05 + 8.37e-05 + 6.105e-05, calls.Sum(s => s.CostUsd ?? 0), 12);
        Assert.Equal([FinishReasons.ToolCalls, FinishReasons.Stop, FinishReasons.Stop, FinishReasons.ToolCalls], calls.Select(s => s.FinishReasons));
        Assert.All(calls, s => Assert.Equal("openai", s.Provider));
    }

    [Fact]
    public void Pydantic_ai_tool_spans_fingerprint_arguments_and_results_without_keeping_them()
    {
        var tools = Decode("langfuse/otlp-json/pydantic-ai-tools-2025-12-04.otlp.json").Where(s => s.Operation == SpanOperation.ExecuteTool).ToArray();
        Assert.Equal(3, tools.Length);
        Assert.All(tools, t => Assert.NotEqual(0UL, t.ToolArgumentsHash));
        Assert.All(tools, t => Assert.NotEqual(0UL, t.ToolResultHash));

        // The three calls share the same argument ({"topic": "programming"}) and return different suggestions.
        Assert.Single(tools.Select(t => t.ToolArgumentsHash).Distinct());
        Assert.Equal(3, tools.Select(t => t.ToolResultHash).Distinct().Count());
    }

    [Fact]
    public void Vercel_finish_reason_tool_calls_and_providers_are_normalised()
    {
        var spans = Decode("langfuse/otlp-json/vercel-aisdk-2025-11-17.otlp.json");
        var call = spans.Single(s => s.Operation == SpanOperation.Chat);
        Assert.Equal(FinishReasons.ToolCalls, call.FinishReasons);
        Assert.Equal("openai", call.Provider); // the Vercel provider id "openai.responses", canonicalised
        Assert.Equal("gpt-5", call.RequestModel);
        Assert.Equal(SpanOperation.InvokeAgent, spans.Single(s => s.ParentSpanId.IsEmpty).Operation);
    }

    [Fact]
    public void Vercel_v6_usage_names_give_cached_and_reasoning_tokens_and_embeddings_give_a_total()
    {
        var spans = Decode("openinference/otlp-json/vercel-ai-sdk-v6.otlp.json");
        var stream = spans.Single(s => s.Operation == SpanOperation.Chat && s.CachedInputTokens is not null);
        Assert.Equal((15, 112, 127, 0, 0), (stream.InputTokens, stream.OutputTokens, stream.TotalTokens, stream.CachedInputTokens, stream.ReasoningTokens));
        var embed = spans.Single(s => s.Operation == SpanOperation.Embeddings);
        Assert.Equal(10, embed.TotalTokens);
        Assert.Equal("text-embedding-3-small", embed.Model);
    }

    [Fact]
    public void Claude_agent_sdk_via_langsmith_marks_llm_turns_and_tools()
    {
        var spans = Decode("langfuse/otlp-json/claude-agent-2025-12-22.otlp.json");
        Assert.All(spans.Where(s => s.Operation == SpanOperation.Chat), s => Assert.Equal("anthropic", s.Provider));
        Assert.Equal(SpanOperation.Chain, spans.Single(s => s.ParentSpanId.IsEmpty).Operation);
    }

    [Fact]
    public void No_fixture_span_is_an_error()
    {
        foreach (var file in Captures.Select(row => (string)row[0]))
        {
            Assert.DoesNotContain(Decode(file), s => s.IsError);
        }
    }

    private static AgentSpan[] Decode(string file)
    {
        var batch = new SpanBatch();
        Assert.True(new OtlpJsonDecoder().TryDecode(FixtureFiles.Read(file.Split('/')), batch, out _));
        return batch.ToArray();
    }

    private static string Join(IEnumerable<string?> values) =>
        string.Join('|', values.Where(v => v is not null).Distinct().Order(StringComparer.Ordinal));
}
