using AgentSentinel.Core.Spans;
using OpenTelemetry.Proto.Trace.V1;
using static AgentSentinel.Otlp.Tests.Support.TestSpans;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary>
/// Attribute names and values of real instrumentations that the first mapping did not cover (sources cited next to
/// each key in AttributeKeyTable). Every case runs through both wire readers.
/// </summary>
public sealed class ConventionCoverageTests
{
    // ------------------------------------------------------------ OpenLLMetry

    [Fact]
    public void Openllmetry_llm_response_finish_and_stop_reasons_are_finish_reasons()
    {
        Assert.Equal(FinishReasons.Length, Decode("llama_index.chat", ("llm.response.finish_reason", "length")).FinishReasons);
        Assert.Equal(FinishReasons.ToolCalls, Decode("anthropic.chat", ("llm.response.stop_reason", "tool_use")).FinishReasons);
    }

    [Fact]
    public void Openllmetry_05_singular_gen_ai_response_finish_and_stop_reasons_are_finish_reasons()
    {
        Assert.Equal(FinishReasons.Stop, Decode("openai.chat", ("gen_ai.response.finish_reason", "stop")).FinishReasons);
        Assert.Equal(FinishReasons.Stop, Decode("anthropic.chat", ("gen_ai.response.stop_reason", "end_turn")).FinishReasons);
    }

    [Fact]
    public void The_otel_finish_reasons_array_wins_over_the_openllmetry_singular_names()
    {
        var span = Decode("x",
            ("llm.response.stop_reason", "max_tokens"),
            ("gen_ai.response.finish_reasons", new[] { "stop" }));

        Assert.Equal(FinishReasons.Stop, span.FinishReasons);
    }

    [Fact]
    public void Openllmetry_legacy_llm_usage_reasoning_tokens_are_reasoning_tokens()
    {
        Assert.Equal(64, Decode("openai.chat", ("llm.usage.reasoning_tokens", 64L)).ReasoningTokens);
        Assert.Equal(7, Decode("x", ("llm.usage.reasoning_tokens", 64L), ("gen_ai.usage.reasoning_tokens", 7L)).ReasoningTokens);
    }

    [Fact]
    public void An_unknown_traceloop_span_kind_or_request_type_leaves_the_span_name_to_decide()
    {
        Assert.Equal(SpanOperation.ExecuteTool, Decode("execute_tool lookup", ("traceloop.span.kind", "unknown")).Operation);
        Assert.Equal(SpanOperation.Chat, Decode("chat gpt-4o", ("llm.request.type", "unknown")).Operation);
        Assert.Equal(SpanOperation.Unknown, Decode("something", ("traceloop.span.kind", "unknown")).Operation);
    }

    // ------------------------------------------------------------ OpenInference

    [Fact]
    public void Openinference_request_and_response_model_names_fill_both_models()
    {
        var span = Decode("ChatOpenAI",
            ("openinference.span.kind", "LLM"),
            ("llm.model_name", "gpt-4o"),
            ("llm.request.model_name", "gpt-4o"),
            ("llm.response.model_name", "gpt-4o-2024-08-06"));

        Assert.Equal(("gpt-4o", "gpt-4o-2024-08-06"), (span.RequestModel, span.ResponseModel));
    }

    [Fact]
    public void Openinference_embedding_and_reranker_spans_name_their_model()
    {
        var embedding = Decode("OpenAIEmbedding", ("openinference.span.kind", "EMBEDDING"), ("embedding.model_name", "text-embedding-3-small"));
        var reranker = Decode("CohereRerank", ("openinference.span.kind", "RERANKER"), ("reranker.model_name", "rerank-english-v3.0"));

        Assert.Equal((SpanOperation.Embeddings, "text-embedding-3-small"), (embedding.Operation, embedding.Model));
        Assert.Equal((SpanOperation.Rerank, "rerank-english-v3.0"), (reranker.Operation, reranker.Model));
    }

    [Fact]
    public void Openinference_cache_input_tokens_are_cached_tokens_after_cache_read()
    {
        Assert.Equal(300, Decode("x", ("llm.token_count.prompt_details.cache_input", 300L)).CachedInputTokens);
        Assert.Equal(200, Decode("x", ("llm.token_count.prompt_details.cache_input", 300L), ("llm.token_count.prompt_details.cache_read", 200L)).CachedInputTokens);
    }

    [Fact]
    public void An_unknown_openinference_span_kind_leaves_the_span_name_to_decide()
    {
        Assert.Equal(SpanOperation.Chat, Decode("chat gpt-4o", ("openinference.span.kind", "UNKNOWN")).Operation);
    }

    // ------------------------------------------------------------ Vercel AI SDK 6

    [Fact]
    public void Vercel_ai_sdk_6_usage_details_fill_cached_and_reasoning_tokens()
    {
        var span = Decode("ai.generateText.doGenerate",
            ("ai.operationId", "ai.generateText.doGenerate"),
            ("ai.usage.inputTokens", 1200L),
            ("ai.usage.outputTokens", 300L),
            ("ai.usage.inputTokenDetails.cacheReadTokens", 1024L),
            ("ai.usage.outputTokenDetails.reasoningTokens", 128L));

        Assert.Equal((1024L, 128L, 1500L), (span.CachedInputTokens, span.ReasoningTokens, span.TotalTokens));
    }

    // ------------------------------------------------------------ pydantic-ai / Logfire

    [Theory]
    [InlineData("gen_ai.usage.cache_read_tokens")]
    [InlineData("gen_ai.usage.details.cache_read_input_tokens")]
    [InlineData("gen_ai.usage.details.cache_read_tokens")]
    public void Pydantic_ai_cache_read_names_are_cached_tokens(string key)
    {
        var span = Decode("chat claude-sonnet-4", ("gen_ai.operation.name", "chat"), ("gen_ai.usage.input_tokens", 900L), (key, 850L));
        Assert.Equal(850, span.CachedInputTokens);
    }

    [Fact]
    public void The_otel_cache_read_name_wins_over_the_pydantic_ai_details()
    {
        Assert.Equal(10, Decode("x", ("gen_ai.usage.details.cache_read_input_tokens", 850L), ("gen_ai.usage.cache_read.input_tokens", 10L)).CachedInputTokens);
    }

    // ------------------------------------------------------------ LangSmith OTel exporter

    [Fact]
    public void Langsmith_comma_joined_finish_reasons_are_split()
    {
        Assert.Equal(FinishReasons.Stop | FinishReasons.Length, Decode("x", ("gen_ai.response.finish_reasons", "stop, length")).FinishReasons);
        Assert.Equal(FinishReasons.ToolCalls, Decode("x", ("gen_ai.response.finish_reasons", "tool_calls")).FinishReasons);
    }

    [Fact]
    public void Langsmith_token_details_python_reprs_fill_cached_and_reasoning_tokens()
    {
        var span = Decode("ChatOpenAI",
            ("langsmith.span.kind", "llm"),
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.usage.input_tokens", 1000L),
            ("gen_ai.usage.output_tokens", 40L),
            ("gen_ai.usage.input_token_details", "{'audio': 0, 'cache_read': 800, 'cache_creation': 0}"),
            ("gen_ai.usage.output_token_details", "{'audio': 0, 'reasoning': 12}"));

        Assert.Equal((800L, 12L), (span.CachedInputTokens, span.ReasoningTokens));
    }

    [Fact]
    public void Langsmith_retriever_and_prompt_runs_are_not_embeddings_or_chat_calls()
    {
        var retriever = Decode("VectorStoreRetriever", ("gen_ai.operation.name", "embeddings"), ("langsmith.span.kind", "retriever"));
        var prompt = Decode("ChatPromptTemplate", ("gen_ai.operation.name", "chat"), ("langsmith.span.kind", "prompt"));
        var embedding = Decode("OpenAIEmbeddings", ("gen_ai.operation.name", "embeddings"), ("langsmith.span.kind", "embedding"));

        Assert.Equal(SpanOperation.Retrieval, retriever.Operation);
        Assert.Equal(SpanOperation.Other, prompt.Operation);
        Assert.Equal(SpanOperation.Embeddings, embedding.Operation);
    }

    // ------------------------------------------------------------ MLflow

    [Fact]
    public void Mlflow_json_quoted_span_type_model_and_provider_are_read_without_their_quotes()
    {
        var span = Decode("ChatOpenAI",
            ("mlflow.spanType", "\"CHAT_MODEL\""),
            ("mlflow.llm.model", "\"gpt-4o-mini\""),
            ("mlflow.llm.provider", "\"openai\""));

        Assert.Equal((SpanOperation.Chat, "gpt-4o-mini", "openai"), (span.Operation, span.RequestModel, span.Provider));
    }

    [Theory]
    [InlineData("\"LLM\"", SpanOperation.Chat)]
    [InlineData("\"TOOL\"", SpanOperation.ExecuteTool)]
    [InlineData("\"AGENT\"", SpanOperation.InvokeAgent)]
    [InlineData("\"RETRIEVER\"", SpanOperation.Retrieval)]
    [InlineData("\"EMBEDDING\"", SpanOperation.Embeddings)]
    [InlineData("\"RERANKER\"", SpanOperation.Rerank)]
    [InlineData("\"CHAIN\"", SpanOperation.Chain)]
    [InlineData("\"PARSER\"", SpanOperation.Other)]
    [InlineData("\"UNKNOWN\"", SpanOperation.Unknown)]
    public void Mlflow_span_types_map_to_operations(string spanType, SpanOperation expected)
    {
        Assert.Equal(expected, Decode("step", ("mlflow.spanType", spanType)).Operation);
    }

    [Fact]
    public void Mlflow_token_usage_and_cost_objects_fill_tokens_and_cost()
    {
        var span = Decode("Completions",
            ("mlflow.spanType", "\"CHAT_MODEL\""),
            ("mlflow.chat.tokenUsage", "{\"input_tokens\": 120, \"output_tokens\": 30, \"total_tokens\": 150, \"cache_read_input_tokens\": 100}"),
            ("mlflow.llm.cost", "{\"input_cost\": 0.0003, \"output_cost\": 0.0006, \"total_cost\": 0.0009}"));

        Assert.Equal((120L, 30L, 150L, 100L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens));
        Assert.Equal(0.0009, span.CostUsd!.Value, 10);
    }

    [Fact]
    public void Mlflow_token_usage_ranks_after_every_token_attribute()
    {
        var span = Decode("x",
            ("mlflow.chat.tokenUsage", "{\"input_tokens\": 1, \"output_tokens\": 2, \"total_tokens\": 3}"),
            ("gen_ai.usage.input_tokens", 120L));

        Assert.Equal((120L, 2L, 3L), (span.InputTokens, span.OutputTokens, span.TotalTokens));
    }

    // ------------------------------------------------------------ gen_ai.output.messages (Strands, current semconv)

    [Fact]
    public void Strands_latest_conventions_finish_reason_is_read_from_the_operation_details_event()
    {
        var span = new Span { Name = "chat" };
                span.Events.Add(Event("gen_ai.client.inference.operation.details",
            ("gen_ai.output.messages", "[{\"role\": \"assistant\", \"parts\": [{\"type\": \"tool_call\", \"name\": \"lookup\"}], \"finish_reason\": \"tool_use\"}]")));

        Assert.Equal(FinishReasons.ToolCalls, Decode(span, [("gen_ai.operation.name", "chat")]).FinishReasons);
    }

    [Fact]
    public void Output_messages_on_the_span_give_finish_reasons_only_when_nothing_better_does()
    {
        const string messages = "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}],\"finish_reason\":\"length\"}]";

        Assert.Equal(FinishReasons.Length, Decode("chat gpt-4o", ("gen_ai.output.messages", messages)).FinishReasons);
        Assert.Equal(FinishReasons.Stop, Decode("chat gpt-4o", ("gen_ai.output.messages", messages), ("gen_ai.response.finish_reasons", new[] { "stop" })).FinishReasons);
        Assert.Equal(FinishReasons.None, Decode("chat gpt-4o", ("gen_ai.output.messages", "[{\"role\":\"assistant\",\"finish_reason\":null}]")).FinishReasons);
    }

    // ------------------------------------------------------------ Semantic Kernel

    [Theory]
    [InlineData("[\"Stop\"]", FinishReasons.Stop)]
    [InlineData("[\"ToolCalls\",\"Length\"]", FinishReasons.ToolCalls | FinishReasons.Length)]
    [InlineData("[\"ContentFilter\"]", FinishReasons.ContentFilter)]
    [InlineData("[\"FunctionCall\"]", FinishReasons.ToolCalls)]
    [InlineData("[\"N/A\"]", FinishReasons.None)]
    public void Semantic_kernel_dotnet_enum_finish_reasons_fold_into_the_closed_set(string value, FinishReasons expected)
    {
        Assert.Equal(expected, Decode("chat.completions gpt-4o", ("gen_ai.response.finish_reasons", value)).FinishReasons);
    }

    // ------------------------------------------------------------ provider finish reasons

    [Theory]
    [InlineData("MODEL_ARMOR", FinishReasons.ContentFilter)]
    [InlineData("IMAGE_PROHIBITED_CONTENT", FinishReasons.ContentFilter)]
    [InlineData("IMAGE_RECITATION", FinishReasons.ContentFilter)]
    [InlineData("BLOCKLIST", FinishReasons.ContentFilter)]
    [InlineData("PROHIBITED_CONTENT", FinishReasons.ContentFilter)]
    [InlineData("UNEXPECTED_TOOL_CALL", FinishReasons.Error)]
    [InlineData("MALFORMED_FUNCTION_CALL", FinishReasons.Error)]
    [InlineData("malformed_model_output", FinishReasons.Error)]
    [InlineData("malformed_tool_use", FinishReasons.Error)]
    [InlineData("content_filtered", FinishReasons.ContentFilter)]
    [InlineData("model_context_window_exceeded", FinishReasons.Length)]
    [InlineData("stop_sequence", FinishReasons.Stop)]
    [InlineData("COMPLETE", FinishReasons.Stop)]
    [InlineData("ERROR_TOXIC", FinishReasons.ContentFilter)]
    [InlineData("NO_IMAGE", FinishReasons.Other)]
    public void Gemini_bedrock_and_cohere_finish_reasons_fold_into_the_closed_set(string reason, FinishReasons expected)
    {
        Assert.Equal(expected, Decode("x", ("gen_ai.response.finish_reasons", new[] { reason })).FinishReasons);
    }
}
