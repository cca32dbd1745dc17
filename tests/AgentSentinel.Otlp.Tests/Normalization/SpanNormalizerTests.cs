using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using OpenTelemetry.Proto.Trace.V1;
using static AgentSentinel.Otlp.Tests.Support.TestSpans;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary>Convention mapping, precedence and span-level decisions. Every case runs through both wire readers.</summary>
public sealed class SpanNormalizerTests
{
    // ------------------------------------------------------------ OTel GenAI

    [Fact]
    public void Current_otel_genai_chat_span_fills_every_field()
    {
        var span = Decode("chat gpt-4o",
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.response.model", "gpt-4o-2024-08-06"),
            ("gen_ai.usage.input_tokens", 120L),
            ("gen_ai.usage.output_tokens", 30L),
            ("gen_ai.usage.cache_read.input_tokens", 100L),
            ("gen_ai.usage.reasoning.output_tokens", 12L),
            ("gen_ai.response.finish_reasons", new[] { "stop", "length" }),
            ("gen_ai.agent.name", "billing-agent"));

        Assert.Equal(SpanOperation.Chat, span.Operation);
        Assert.Equal("openai", span.Provider);
        Assert.Equal(("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06"), (span.RequestModel, span.ResponseModel, span.Model));
        Assert.Equal((120L, 30L, 150L, 100L, 12L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens, span.ReasoningTokens));
        Assert.Equal(FinishReasons.Stop | FinishReasons.Length, span.FinishReasons);
        Assert.Equal("billing-agent", span.AgentName);
        Assert.False(span.IsError);
    }

    [Fact]
    public void Deprecated_otel_names_map_like_the_current_ones()
    {
        var span = Decode("chat gpt-4",
            ("gen_ai.system", "az.ai.openai"),
            ("gen_ai.usage.prompt_tokens", 10L),
            ("gen_ai.usage.completion_tokens", 5L));

        Assert.Equal(("azure.ai.openai", 10L, 5L, 15L), (span.Provider, span.InputTokens, span.OutputTokens, span.TotalTokens));
    }

    [Fact]
    public void Current_names_win_over_deprecated_and_other_conventions_whatever_the_attribute_order()
    {
        var span = Decode("x",
            ("llm.provider", "OpenInference"),
            ("gen_ai.system", "legacy"),
            ("gen_ai.usage.prompt_tokens", 1L),
            ("llm.token_count.prompt", 2L),
            ("openinference.span.kind", "TOOL"),
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.usage.input_tokens", 3L),
            ("gen_ai.provider.name", "current"));

        Assert.Equal((SpanOperation.Chat, "current", 3L), (span.Operation, span.Provider, span.InputTokens));
    }

    [Fact]
    public void Providers_are_folded_to_lower_case()
    {
        Assert.Equal("openai", Decode("x", ("llm.provider", "OpenAI")).Provider);
    }

    [Fact]
    public void A_reported_total_wins_over_the_sum_and_a_lone_count_is_its_own_total()
    {
        Assert.Equal(2023, Decode("x", ("llm.token_count.prompt", 5L), ("llm.token_count.completion", 845L), ("llm.token_count.total", 2023L)).TotalTokens);
        Assert.Equal(1195, Decode("x", ("gen_ai.usage.input_tokens", 1195L)).TotalTokens);
        Assert.Null(Decode("x", ("gen_ai.operation.name", "chat")).TotalTokens);
    }

    [Fact]
    public void Token_counts_are_read_from_ints_integral_doubles_and_decimal_strings_but_not_from_negatives_or_text()
    {
        Assert.Equal(163, Decode("x", ("gen_ai.usage.input_tokens", "163")).InputTokens);
        Assert.Equal(163, Decode("x", ("gen_ai.usage.input_tokens", 163.0)).InputTokens);
        Assert.Null(Decode("x", ("gen_ai.usage.input_tokens", -1L)).InputTokens);
        Assert.Null(Decode("x", ("gen_ai.usage.input_tokens", "many")).InputTokens);
        Assert.Null(Decode("x", ("gen_ai.usage.input_tokens", double.NaN)).InputTokens);
    }

    // ------------------------------------------------------------ the attribute maps of openinference-genai

    [Fact]
    public void The_same_call_in_otel_genai_and_openinference_maps_to_the_same_tokens_and_model()
    {
        var otel = Decode(FixtureFiles.AttributeMapRequest("otel_genai_client_span_tool_calls.json")).Single();
        var openInference = Decode(FixtureFiles.AttributeMapRequest("openinference_client_span_tool_calls.json")).Single();
        var deprecated = Decode(FixtureFiles.AttributeMapRequest("otel_genai_deprecated_client_span_tool_calls.json")).Single();

        foreach (var span in new[] { otel, openInference, deprecated })
        {
            Assert.Equal(SpanOperation.Chat, span.Operation);
            Assert.Equal("openai", span.Provider);
            Assert.Equal("gpt-4-0613", span.Model);
            Assert.Equal((97L, 52L, 149L), (span.InputTokens, span.OutputTokens, span.TotalTokens));
        }

        Assert.Equal("gpt-4", otel.RequestModel);
        Assert.Equal("gpt-4", openInference.RequestModel); // from llm.invocation_parameters
        Assert.Equal(FinishReasons.Stop, otel.FinishReasons);
        Assert.Equal(0UL, otel.ToolArgumentsHash); // a chat span: its messages are not tool arguments
    }

    [Fact]
    public void The_otel_tool_execution_map_is_a_tool_span()
    {
        var span = Decode(FixtureFiles.AttributeMapRequest("otel_genai_tool_execution_span.json")).Single();
        Assert.Equal((SpanOperation.ExecuteTool, "get_weather"), (span.Operation, span.ToolName));
    }

    [Fact]
    public void An_openinference_llm_span_with_only_input_and_output_values_keeps_no_content()
    {
        var span = Decode(FixtureFiles.AttributeMapRequest("openinference_client_span_input_output_only.json")).Single();
        Assert.Equal((SpanOperation.Chat, 0UL, 0UL, (string?)null), (span.Operation, span.ToolArgumentsHash, span.ToolResultHash, span.ToolName));
    }

    // ------------------------------------------------------------ OpenLLMetry / Traceloop

    [Fact]
    public void OpenLLMetry_legacy_llm_span_maps_request_type_system_and_per_choice_finish_reasons()
    {
        var span = Decode("openai.chat",
            ("llm.request.type", "chat"),
            ("gen_ai.system", "OpenAI"),
            ("gen_ai.request.model", "gpt-3.5-turbo"),
            ("gen_ai.usage.prompt_tokens", 12L),
            ("gen_ai.usage.completion_tokens", 8L),
            ("llm.usage.total_tokens", 20L),
            ("gen_ai.usage.cache_read_input_tokens", 4L),
            ("gen_ai.completion.0.finish_reason", "stop"),
            ("gen_ai.completion.1.finish_reason", "length"));

        Assert.Equal((SpanOperation.Chat, "openai", 20L, 4L), (span.Operation, span.Provider, span.TotalTokens, span.CachedInputTokens));
        Assert.Equal(FinishReasons.Stop | FinishReasons.Length, span.FinishReasons);
    }

    [Fact]
    public void OpenLLMetry_entity_name_names_the_agent_only_on_agent_spans_and_the_tool_only_on_tool_spans()
    {
        var agent = Decode("planner.agent", ("traceloop.span.kind", "agent"), ("traceloop.entity.name", "planner"));
        var tool = Decode("search.tool", ("traceloop.span.kind", "tool"), ("traceloop.entity.name", "search"), ("traceloop.entity.input", "{\"q\":1}"));
        var workflow = Decode("nightly.workflow", ("traceloop.span.kind", "workflow"), ("traceloop.entity.name", "nightly"));

        Assert.Equal((SpanOperation.InvokeAgent, "planner", (string?)null), (agent.Operation, agent.AgentName, agent.ToolName));
        Assert.Equal((SpanOperation.ExecuteTool, (string?)null, "search"), (tool.Operation, tool.AgentName, tool.ToolName));
        Assert.Equal(ReferenceMapper.Fnv1a("{\"q\":1}"u8), tool.ToolArgumentsHash);
        Assert.Equal((SpanOperation.InvokeWorkflow, (string?)null), (workflow.Operation, workflow.AgentName));
    }

    // ------------------------------------------------------------ OpenInference

    [Fact]
    public void OpenInference_tool_span_hashes_input_and_output_values()
    {
        var span = Decode("get_weather",
            ("openinference.span.kind", "TOOL"),
            ("tool.name", "get_weather"),
            ("input.value", "{\"city\":\"Tokyo\"}"),
            ("output.value", "The weather in Tokyo is sunny."));

        Assert.Equal((SpanOperation.ExecuteTool, "get_weather"), (span.Operation, span.ToolName));
        Assert.Equal(ReferenceMapper.Fnv1a("{\"city\":\"Tokyo\"}"u8), span.ToolArgumentsHash);
        Assert.Equal(ReferenceMapper.Fnv1a("The weather in Tokyo is sunny."u8), span.ToolResultHash);
    }

    [Theory]
    [InlineData("LLM", SpanOperation.Chat)]
    [InlineData("EMBEDDING", SpanOperation.Embeddings)]
    [InlineData("CHAIN", SpanOperation.Chain)]
    [InlineData("RETRIEVER", SpanOperation.Retrieval)]
    [InlineData("RERANKER", SpanOperation.Rerank)]
    [InlineData("TOOL", SpanOperation.ExecuteTool)]
    [InlineData("AGENT", SpanOperation.InvokeAgent)]
    [InlineData("GUARDRAIL", SpanOperation.Guardrail)]
    [InlineData("EVALUATOR", SpanOperation.Evaluator)]
    [InlineData("PROMPT", SpanOperation.Other)]
    public void OpenInference_span_kinds_map_to_operations(string kind, SpanOperation expected)
    {
        Assert.Equal(expected, Decode("x", ("openinference.span.kind", kind)).Operation);
    }

    [Fact]
    public void OpenInference_cost_and_agent_name_are_read()
    {
        var span = Decode("x", ("openinference.span.kind", "AGENT"), ("agent.name", "researcher"), ("llm.cost.total", 0.25));
        Assert.Equal(("researcher", 0.25), (span.AgentName, span.CostUsd));
    }

    // ------------------------------------------------------------ Vercel AI SDK

    [Theory]
    [InlineData("ai.generateText.doGenerate", SpanOperation.Chat)]
    [InlineData("ai.streamText.doStream", SpanOperation.Chat)]
    [InlineData("ai.generateObject.doGenerate", SpanOperation.Chat)]
    [InlineData("ai.generateText", SpanOperation.InvokeAgent)]
    [InlineData("ai.streamObject", SpanOperation.Chain)]
    [InlineData("ai.embedMany.doEmbed", SpanOperation.Embeddings)]
    [InlineData("ai.toolCall", SpanOperation.ExecuteTool)]
    [InlineData("ai.somethingNew", SpanOperation.Other)]
    public void Vercel_operation_ids_map_to_operations(string operationId, SpanOperation expected)
    {
        Assert.Equal(expected, Decode(operationId, ("ai.operationId", operationId)).Operation);
    }

    [Fact]
    public void Vercel_tool_call_hashes_args_and_result_and_v4_usage_names_are_read()
    {
        var tool = Decode("getWeather", ("ai.operationId", "ai.toolCall"), ("ai.toolCall.name", "getWeather"), ("ai.toolCall.args", "{\"city\":\"Paris\"}"), ("ai.toolCall.result", "sunny"), ("ai.telemetry.functionId", "weather-bot"));
        Assert.Equal(("getWeather", "weather-bot"), (tool.ToolName, tool.AgentName));
        Assert.Equal(ReferenceMapper.Fnv1a("{\"city\":\"Paris\"}"u8), tool.ToolArgumentsHash);
        Assert.Equal(ReferenceMapper.Fnv1a("sunny"u8), tool.ToolResultHash);

        var call = Decode("ai.generateText.doGenerate", ("ai.operationId", "ai.generateText.doGenerate"), ("ai.model.id", "gpt-4o"), ("ai.model.provider", "openai.chat"), ("ai.usage.promptTokens", 7L), ("ai.usage.completionTokens", 3L), ("ai.response.finishReason", "content-filter"));
        Assert.Equal(("gpt-4o", "openai", 7L, 3L, 10L, FinishReasons.ContentFilter), (call.RequestModel, call.Provider, call.InputTokens, call.OutputTokens, call.TotalTokens, call.FinishReasons));
    }

    // ------------------------------------------------------------ LangSmith, OpenLIT, pydantic-ai, Langfuse

    [Fact]
    public void LangSmith_metadata_gives_provider_and_model_and_the_tool_span_name_is_the_tool()
    {
        var llm = Decode("ChatAnthropic", ("langsmith.span.kind", "llm"), ("langsmith.metadata.ls_provider", "anthropic"), ("langsmith.metadata.ls_model_name", "claude-3-5-sonnet"));
        var tool = Decode("lookup_order", ("langsmith.span.kind", "tool"), ("gen_ai.prompt", "{\"id\":7}"));
        Assert.Equal((SpanOperation.Chat, "anthropic", "claude-3-5-sonnet"), (llm.Operation, llm.Provider, llm.RequestModel));
        Assert.Equal((SpanOperation.ExecuteTool, "lookup_order", ReferenceMapper.Fnv1a("{\"id\":7}"u8)), (tool.Operation, tool.ToolName, tool.ToolArgumentsHash));
    }

    [Theory]
    [InlineData("vectordb", SpanOperation.Retrieval)]
    [InlineData("execute_task", SpanOperation.Chain)]
    [InlineData("framework", SpanOperation.Chain)]
    [InlineData("chat.completions", SpanOperation.Chat)]
    [InlineData("model_request", SpanOperation.Chat)]
    [InlineData("embedding", SpanOperation.Embeddings)]
    [InlineData("agent", SpanOperation.InvokeAgent)]
    [InlineData("create_agent", SpanOperation.CreateAgent)]
    [InlineData("invoke_workflow", SpanOperation.InvokeWorkflow)]
    [InlineData("generate_content", SpanOperation.GenerateContent)]
    [InlineData("text_completion", SpanOperation.TextCompletion)]
    [InlineData("image", SpanOperation.Other)]
    public void OpenLIT_and_other_operation_names_map_to_operations(string name, SpanOperation expected)
    {
        Assert.Equal(expected, Decode("x", ("gen_ai.operation.name", name)).Operation);
    }

    [Fact]
    public void OpenLIT_cost_and_agent_role_are_read()
    {
        var span = Decode("x", ("gen_ai.operation.name", "execute_task"), ("gen_ai.usage.cost", 0.0031), ("gen_ai.agent.role", "Senior Researcher"));
        Assert.Equal((0.0031, "Senior Researcher"), (span.CostUsd, span.AgentName));
    }

    [Fact]
    public void Pydantic_ai_agent_run_and_running_tool_spans_are_recognised_by_name()
    {
        var run = Decode("support_agent run", ("agent_name", "support_agent"), ("model_name", "gpt-4o"));
        var tool = Decode("running tool: lookup", ("gen_ai.tool.call.id", "call_1"), ("tool_arguments", new (string, object?)[] { ("id", 7L) }));
        var noAgent = Decode("nightly run");

        Assert.Equal((SpanOperation.InvokeAgent, "support_agent"), (run.Operation, run.AgentName));
        Assert.Equal((SpanOperation.ExecuteTool, "lookup"), (tool.Operation, tool.ToolName));
        Assert.NotEqual(0UL, tool.ToolArgumentsHash);
        Assert.Equal(SpanOperation.Unknown, noAgent.Operation);
    }

    [Fact]
    public void Langfuse_sdk_observation_type_and_model_are_read()
    {
        var span = Decode("generation", ("langfuse.observation.type", "generation"), ("langfuse.observation.model.name", "gpt-4o"));
        var plain = Decode("work", ("langfuse.observation.type", "span"));
        Assert.Equal((SpanOperation.Chat, "gpt-4o"), (span.Operation, span.RequestModel));
        Assert.Equal(SpanOperation.Unknown, plain.Operation);
    }

    [Fact]
    public void A_model_with_token_usage_and_nothing_else_is_a_model_call()
    {
        // Google ADK's own call_llm spans carry no operation name.
        var span = Decode("call_llm", ("gen_ai.system", "gcp.vertex.agent"), ("gen_ai.request.model", "gemini-2.0-flash"), ("gen_ai.usage.input_tokens", 28L));
        var aggregate = Decode("orchestrate_tools", ("gen_ai.usage.input_tokens", 28L));
        Assert.Equal(SpanOperation.Chat, span.Operation);
        Assert.Equal(SpanOperation.Unknown, aggregate.Operation);
    }

    // ------------------------------------------------------------ span names

    [Theory]
    [InlineData("chat gpt-4o", SpanOperation.Chat, "gpt-4o")]
    [InlineData("chat", SpanOperation.Chat, null)]
    [InlineData("text_completion llama-3", SpanOperation.TextCompletion, "llama-3")]
    [InlineData("generate_content gemini-2.5-pro", SpanOperation.GenerateContent, "gemini-2.5-pro")]
    [InlineData("embeddings text-embedding-3-small", SpanOperation.Embeddings, "text-embedding-3-small")]
    [InlineData("chat with support", SpanOperation.Unknown, null)]
    [InlineData("GET /v1/chat/completions", SpanOperation.Unknown, null)]
    [InlineData("POST", SpanOperation.Unknown, null)]
    [InlineData("HTTP POST api.openai.com", SpanOperation.Unknown, null)]
    [InlineData("chatbot", SpanOperation.Unknown, null)]
    public void Span_names_classify_only_otel_style_names(string name, SpanOperation operation, string? model)
    {
        var span = Decode(name, ("http.request.method", "POST"), ("server.address", "api.openai.com"));
        Assert.Equal((operation, model), (span.Operation, span.RequestModel));
    }

    [Fact]
    public void Span_names_name_tools_and_agents_but_never_override_attributes()
    {
        var tool = Decode("execute_tool get_weather", ("gen_ai.operation.name", "execute_tool"));
        var agent = Decode("invoke_agent Travel Planner");
        var adk = Decode("agent_run [hello_agent]");
        var attributeWins = Decode("invoke_agent From Name", ("gen_ai.agent.name", "from-attribute"));
        Assert.Equal((SpanOperation.ExecuteTool, "get_weather"), (tool.Operation, tool.ToolName));
        Assert.Equal((SpanOperation.InvokeAgent, "Travel Planner"), (agent.Operation, agent.AgentName));
        Assert.Equal((SpanOperation.InvokeAgent, "hello_agent"), (adk.Operation, adk.AgentName));
        Assert.Equal("from-attribute", attributeWins.AgentName);
    }

    [Fact]
    public void Span_name_inference_can_be_turned_off()
    {
        var options = new OtlpDecoderOptions { InferFromSpanNames = false };
        var span = Decode(new Span { Name = "chat gpt-4o" }, [("gen_ai.usage.input_tokens", 1L)], options);
        Assert.Equal((SpanOperation.Unknown, (string?)null), (span.Operation, span.RequestModel));
    }

    [Fact]
    public void A_plain_http_span_stays_unknown_with_nothing_extracted()
    {
        var span = Decode("GET /health", ("http.request.method", "GET"), ("http.response.status_code", 200L), ("url.path", "/health"));
        Assert.Equal(new AgentSpan { Resource = ResourceAttributes.Empty }, span with { TraceId = default, SpanId = default, ParentSpanId = default, StartUnixNano = 0, EndUnixNano = 0 });
    }

    [Fact]
    public void A_tool_name_alone_makes_a_tool_span_but_tool_fields_are_dropped_from_other_spans()
    {
        var koog = Decode("tool.HelloTool", ("gen_ai.tool.name", "HelloTool"), ("input.value", "{\"name\":\"Bob\"}"));
        var agent = Decode("agent.react.update", ("openinference.span.kind", "AGENT"), ("tool.name", "Wikipedia"), ("input.value", "{}"));
        Assert.Equal((SpanOperation.ExecuteTool, "HelloTool"), (koog.Operation, koog.ToolName));
        Assert.NotEqual(0UL, koog.ToolArgumentsHash);
        Assert.Equal((SpanOperation.InvokeAgent, (string?)null, 0UL), (agent.Operation, agent.ToolName, agent.ToolArgumentsHash));
    }

    // ------------------------------------------------------------ finish reasons

    [Theory]
    [InlineData("stop", FinishReasons.Stop)]
    [InlineData("STOP", FinishReasons.Stop)]
    [InlineData("end_turn", FinishReasons.Stop)]
    [InlineData("eos", FinishReasons.Stop)]
    [InlineData("COMPLETE", FinishReasons.Stop)]
    [InlineData("stop_sequence", FinishReasons.Stop)]
    [InlineData("length", FinishReasons.Length)]
    [InlineData("max_tokens", FinishReasons.Length)]
    [InlineData("MAX_TOKENS", FinishReasons.Length)]
    [InlineData("model_length", FinishReasons.Length)]
    [InlineData("content_filter", FinishReasons.ContentFilter)]
    [InlineData("content-filter", FinishReasons.ContentFilter)]
    [InlineData("SAFETY", FinishReasons.ContentFilter)]
    [InlineData("RECITATION", FinishReasons.ContentFilter)]
    [InlineData("refusal", FinishReasons.ContentFilter)]
    [InlineData("guardrail_intervened", FinishReasons.ContentFilter)]
    [InlineData("tool_calls", FinishReasons.ToolCalls)]
    [InlineData("tool-calls", FinishReasons.ToolCalls)]
    [InlineData("tool_use", FinishReasons.ToolCalls)]
    [InlineData("function_call", FinishReasons.ToolCalls)]
    [InlineData("tool_call", FinishReasons.ToolCalls)]
    [InlineData("error", FinishReasons.Error)]
    [InlineData("pause_turn", FinishReasons.Other)]
    [InlineData("unknown", FinishReasons.Other)]
    [InlineData("", FinishReasons.None)]
    public void Provider_finish_reasons_fold_into_the_closed_set(string reason, FinishReasons expected)
    {
        Assert.Equal(expected, Decode("x", ("gen_ai.response.finish_reasons", new[] { reason })).FinishReasons);
        Assert.Equal(expected, Decode("x", ("ai.response.finishReason", reason)).FinishReasons);
    }

    [Theory]
    [InlineData("[\"stop\"]", FinishReasons.Stop)]
    [InlineData("[\"tool_calls\", \"length\"]", FinishReasons.ToolCalls | FinishReasons.Length)]
    [InlineData("('stop',)", FinishReasons.Stop)]
    [InlineData("[stop]", FinishReasons.Other)]
    public void Finish_reason_lists_serialised_into_strings_are_unpacked(string value, FinishReasons expected)
    {
        Assert.Equal(expected, Decode("x", ("gen_ai.response.finish_reasons", value)).FinishReasons);
    }

    [Fact]
    public void The_best_finish_reason_attribute_wins_and_choice_events_are_the_last_resort()
    {
        var span = new Span { Name = "chat" };
        span.Events.Add(Event("gen_ai.choice", ("finish_reason", "end_turn")));
        Assert.Equal(FinishReasons.Stop, Decode(span.Clone(), []).FinishReasons);
        Assert.Equal(FinishReasons.Length, Decode(span.Clone(), [("ai.response.finishReason", "length")]).FinishReasons);
        Assert.Equal(FinishReasons.ToolCalls, Decode(span.Clone(), [("ai.response.finishReason", "length"), ("gen_ai.response.finish_reasons", new[] { "tool_calls" })]).FinishReasons);
    }

    // ------------------------------------------------------------ errors

    [Fact]
    public void Status_error_marks_the_span_without_a_type()
    {
        var span = Decode(new Span { Name = "chat", Status = new Status { Code = Status.Types.StatusCode.Error, Message = "secret" } }, []);
        Assert.Equal((true, (string?)null), (span.IsError, span.ErrorType));
    }

    [Fact]
    public void Error_type_and_exception_events_mark_errors_with_a_class_name_never_a_message()
    {
        var withEvent = new Span { Name = "chat" };
        withEvent.Events.Add(Event("exception", ("exception.message", "user 42 said something private"), ("exception.type", "openai.RateLimitError")));
        var fromEvent = Decode(withEvent, []);
        var fromAttribute = Decode(withEvent.Clone(), [("error.type", "429")]);
        var notAnException = new Span { Name = "chat" };
        notAnException.Events.Add(Event("log", ("exception.type", "Ignored")));

        Assert.Equal((true, "openai.RateLimitError"), (fromEvent.IsError, fromEvent.ErrorType));
        Assert.Equal((true, "429"), (fromAttribute.IsError, fromAttribute.ErrorType));
        Assert.Equal((false, (string?)null), (Decode(notAnException, []).IsError, Decode(notAnException.Clone(), []).ErrorType));
    }

    [Fact]
    public void An_otel_status_code_attribute_of_error_marks_translated_spans()
    {
        Assert.True(Decode("x", ("otel.status_code", "ERROR")).IsError);
        Assert.False(Decode("x", ("otel.status_code", "OK")).IsError);
    }

    // ------------------------------------------------------------ tool fingerprints

    [Fact]
    public void Tool_fingerprints_are_fnv1a_of_the_bytes_and_equal_for_equal_arguments()
    {
        var a = Decode("execute_tool search", ("gen_ai.tool.call.arguments", "{\"q\":\"x\"}"), ("gen_ai.tool.call.result", "ok"));
        var b = Decode("execute_tool search", ("gen_ai.tool.call.arguments", "{\"q\":\"x\"}"), ("gen_ai.tool.call.result", "different"));
        Assert.Equal(ReferenceMapper.Fnv1a(Encoding.UTF8.GetBytes("{\"q\":\"x\"}")), a.ToolArgumentsHash);
        Assert.Equal(a.ToolArgumentsHash, b.ToolArgumentsHash);
        Assert.NotEqual(a.ToolResultHash, b.ToolResultHash);
    }

    [Fact]
    public void Structured_tool_arguments_hash_the_same_in_both_encodings_and_by_content()
    {
        (string, object?)[] args = [("city", "Paris"), ("days", 3L), ("units", new[] { "metric", "\"quoted\"" })];
        var a = Decode("execute_tool forecast", ("gen_ai.tool.call.arguments", args));
        var b = Decode("execute_tool forecast", ("gen_ai.tool.call.arguments", args));
        var c = Decode("execute_tool forecast", ("gen_ai.tool.call.arguments", new (string, object?)[] { ("city", "Rome") }));
        Assert.NotEqual(0UL, a.ToolArgumentsHash);
        Assert.Equal(a.ToolArgumentsHash, b.ToolArgumentsHash);
        Assert.NotEqual(a.ToolArgumentsHash, c.ToolArgumentsHash);
    }

    // ------------------------------------------------------------ agent identity

    [Fact]
    public void The_resource_names_the_agent_from_the_configured_keys_and_sdk_default_service_names_are_absent()
    {
        Assert.Equal("billing", Decode(new Span { Name = "x" }, [], resource: [("service.name", "billing")]).ResourceAgent);
        Assert.Equal("planner", Decode(new Span { Name = "x" }, [], resource: [("service.name", "billing"), ("gen_ai.agent.name", "planner")]).ResourceAgent);
        Assert.Null(Decode(new Span { Name = "x" }, [], resource: [("service.name", "unknown_service")]).ResourceAgent);
        Assert.Null(Decode(new Span { Name = "x" }, [], resource: [("service.name", "unknown_service:python")]).ResourceAgent);
    }

    [Fact]
    public void Agent_keys_are_configurable_in_order()
    {
        var options = new OtlpDecoderOptions
        {
            SpanAgentAttributes = ["crew.agent", "gen_ai.agent.name"],
            ResourceAgentAttributes = ["k8s.deployment.name"],
        };
        var span = Decode(new Span { Name = "x" }, [("gen_ai.agent.name", "second"), ("crew.agent", "first")], options, [("service.name", "svc"), ("k8s.deployment.name", "deploy")]);
        Assert.Equal(("first", "deploy"), (span.AgentName, span.ResourceAgent));

        var empty = new OtlpDecoderOptions { SpanAgentAttributes = [], ResourceAgentAttributes = [] };
        var defaults = Decode(new Span { Name = "x" }, [("gen_ai.agent.name", "named")], empty, [("service.name", "svc")]);
        Assert.Equal(("named", "svc"), (defaults.AgentName, defaults.ResourceAgent));
    }

    [Fact]
    public void Graph_node_id_names_an_agent_only_on_openinference_agent_spans()
    {
        Assert.Equal("Hello world", Decode("x", ("openinference.span.kind", "AGENT"), ("graph.node.id", "Hello world")).AgentName);
        Assert.Null(Decode("x", ("openinference.span.kind", "CHAIN"), ("graph.node.id", "tools")).AgentName);
    }
}
