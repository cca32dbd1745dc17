using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using static AgentSentinel.Otlp.Tests.Support.TestSpans;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary>
/// Instrumentations checked against their sources after the first coverage pass (Spring AI, AgentOps, Langfuse SDK,
/// Mastra), and value-shape robustness (numbers as strings, usage on span events, weak operation values, odd keys).
/// Every case runs through both wire readers.
/// </summary>
public sealed class InstrumentationCoverageTests
{
    // ------------------------------------------------------------ Spring AI (spring-projects/spring-ai)

    [Fact]
    public void Spring_ai_tool_call_spans_are_tools_despite_their_generic_framework_operation()
    {
        // DefaultToolCallingObservationConvention: name "tool_call {tool}", gen_ai.operation.name = framework,
        // spring.ai.kind = tool_call, spring.ai.tool.definition.name; ToolCallingObservationDocumentation TOOL_CALL_ARGUMENTS.
        var span = Decode("tool_call currentWeather",
            ("gen_ai.operation.name", "framework"),
            ("gen_ai.system", "spring_ai"),
            ("spring.ai.kind", "tool_call"),
            ("spring.ai.tool.definition.name", "currentWeather"),
            ("spring.ai.tool.call.arguments", "{\"city\":\"Paris\"}"),
            ("spring.ai.tool.call.result", "{\"temp\":21}"));

        Assert.Equal((SpanOperation.ExecuteTool, "currentWeather"), (span.Operation, span.ToolName));
        Assert.Equal(ReferenceMapper.Fnv1a("{\"city\":\"Paris\"}"u8), span.ToolArgumentsHash);
        Assert.Equal(ReferenceMapper.Fnv1a("{\"temp\":21}"u8), span.ToolResultHash);
    }

    [Fact]
    public void Spring_ai_chat_client_and_advisor_spans_stay_framework_steps()
    {
        Assert.Equal(SpanOperation.Chain, Decode("spring_ai chat_client", ("gen_ai.operation.name", "framework"), ("spring.ai.kind", "chat_client")).Operation);
        Assert.Equal(SpanOperation.Chain, Decode("advisor", ("gen_ai.operation.name", "framework"), ("spring.ai.kind", "advisor")).Operation);
        Assert.Equal(SpanOperation.Chain, Decode("x", ("gen_ai.operation.name", "framework")).Operation);
    }

    [Fact]
    public void Spring_ai_micrometer_string_typed_usage_is_read_as_counts()
    {
        // Micrometer key values are strings on the bridged span (AiObservationAttributes USAGE_INPUT_TOKENS etc.).
        var span = Decode("chat gpt-4o",
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.usage.input_tokens", "120"),
            ("gen_ai.usage.output_tokens", "30"),
            ("gen_ai.usage.total_tokens", "150"),
            ("gen_ai.usage.cache_read.input_tokens", "100"),
            ("gen_ai.response.finish_reasons", "[\"STOP\"]"));

        Assert.Equal((120L, 30L, 150L, 100L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens));
        Assert.Equal(FinishReasons.Stop, span.FinishReasons);
    }

    [Fact]
    public void Spring_ai_micrometer_none_model_placeholder_names_no_model()
    {
        // DefaultChatModelObservationConvention REQUEST_MODEL_NONE / RESPONSE_MODEL_NONE (Micrometer KeyValue.NONE_VALUE).
        var span = Decode("chat", ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "none"), ("gen_ai.response.model", "none"));

        Assert.Equal(((string?)null, (string?)null), (span.RequestModel, span.ResponseModel));
        Assert.Equal("gpt-4o", Decode("chat gpt-4o", ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "none")).RequestModel);
    }

    // ------------------------------------------------------------ AgentOps (AgentOps-AI/agentops agentops/semconv)

    [Theory]
    [InlineData("llm", SpanOperation.Chat)]
    [InlineData("llm.call", SpanOperation.Chat)]
    [InlineData("tool", SpanOperation.ExecuteTool)]
    [InlineData("agent", SpanOperation.InvokeAgent)]
    [InlineData("workflow", SpanOperation.InvokeWorkflow)]
    [InlineData("session", SpanOperation.InvokeWorkflow)]
    [InlineData("team", SpanOperation.InvokeWorkflow)]
    [InlineData("task", SpanOperation.Chain)]
    [InlineData("operation", SpanOperation.Chain)]
    [InlineData("embedding", SpanOperation.Embeddings)]
    [InlineData("unknown", SpanOperation.Unknown)]
    public void Agentops_span_kinds_map_to_operations(string kind, SpanOperation expected) =>
        Assert.Equal(expected, Decode("x", ("agentops.span.kind", kind)).Operation);

    [Fact]
    public void Agentops_autogen_agent_run_operation_yields_to_its_agent_span_kind()
    {
        // agentops instrumentation for autogen: gen_ai.operation.name = "agent.run", agentops.span.kind = agent,
        // gen_ai.agent.name.
        var span = Decode("autogen.agent.run",
            ("gen_ai.operation.name", "agent.run"),
            ("agentops.span.kind", "agent"),
            ("gen_ai.agent.name", "planner"));

        Assert.Equal((SpanOperation.InvokeAgent, "planner"), (span.Operation, span.AgentName));
    }

    [Fact]
    public void Agentops_request_type_and_entity_input_are_read()
    {
        Assert.Equal(SpanOperation.Chat, Decode("openai.chat", ("gen_ai.request.type", "chat")).Operation);

        var tool = Decode("search.tool",
            ("agentops.span.kind", "tool"),
            ("tool.name", "search"),
            ("agentops.entity.input", "{\"q\":\"otel\"}"));
        Assert.Equal((SpanOperation.ExecuteTool, "search"), (tool.Operation, tool.ToolName));
        Assert.Equal(ReferenceMapper.Fnv1a("{\"q\":\"otel\"}"u8), tool.ToolArgumentsHash);
    }

    [Fact]
    public void Openai_responses_api_spans_are_model_calls()
    {
        Assert.Equal(SpanOperation.Chat, Decode("openai.response", ("gen_ai.operation.name", "response"), ("llm.request.type", "response")).Operation);
        Assert.Equal(SpanOperation.Chat, Decode("openai.response", ("gen_ai.request.type", "response")).Operation);
    }

    [Fact]
    public void An_unmodelled_operation_value_alone_is_still_other()
    {
        Assert.Equal(SpanOperation.Other, Decode("workflow_step", ("gen_ai.operation.name", "workflow_step")).Operation);
        Assert.Equal(SpanOperation.ExecuteTool, Decode("execute_tool lookup", ("gen_ai.operation.name", "tool.run")).Operation);
    }

    // ------------------------------------------------------------ Langfuse SDK (langfuse.observation.*)

    [Fact]
    public void Langfuse_usage_details_in_langfuse_names_fill_tokens()
    {
        var span = Decode("generation",
            ("langfuse.observation.type", "generation"),
            ("langfuse.observation.model.name", "gpt-4o"),
            ("langfuse.observation.usage_details", "{\"input\": 10, \"output\": 5, \"total\": 15, \"input_cache_read\": 4, \"output_reasoning\": 2}"));

        Assert.Equal((SpanOperation.Chat, "gpt-4o"), (span.Operation, span.RequestModel));
        Assert.Equal((10L, 5L, 15L, 4L, 2L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens, span.ReasoningTokens));
    }

    [Fact]
    public void Langfuse_usage_details_in_provider_names_fill_tokens()
    {
        var span = Decode("generation",
            ("langfuse.observation.usage_details", "{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120,\"cache_read_input_tokens\":64}"));

        Assert.Equal((100L, 20L, 120L, 64L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens));
    }

    [Fact]
    public void Langfuse_usage_details_rank_after_token_attributes()
    {
        var span = Decode("generation",
            ("langfuse.observation.usage_details", "{\"input\": 10, \"output\": 5}"),
            ("gen_ai.usage.input_tokens", 11L));

        Assert.Equal((11L, 5L), (span.InputTokens, span.OutputTokens));
    }

    [Fact]
    public void Langfuse_cost_details_total_is_the_cost()
    {
        Assert.Equal(0.03, Decode("g", ("langfuse.observation.cost_details", "{\"input\": 0.01, \"output\": 0.02, \"total\": 0.03}")).CostUsd);
        Assert.Equal(0.5, Decode("g", ("langfuse.observation.cost_details", "{\"total\": 0.03}"), ("gen_ai.usage.cost", 0.5)).CostUsd);
    }

    [Fact]
    public void Langfuse_error_level_marks_the_span_failed_and_other_levels_do_not()
    {
        Assert.True(Decode("g", ("langfuse.observation.level", "ERROR")).IsError);
        Assert.False(Decode("g", ("langfuse.observation.level", "WARNING")).IsError);
        Assert.False(Decode("g", ("langfuse.observation.level", "DEFAULT")).IsError);
    }

    // ------------------------------------------------------------ Google ADK (google/adk-python telemetry/tracing.py)

    [Fact]
    public void Adk_llm_response_usage_metadata_gives_cached_and_thinking_tokens()
    {
        // trace_call_llm: gen_ai.usage.input/output_tokens (candidates only) and llm_response.model_dump_json().
        const string response = "{\"content\":{\"parts\":[{\"text\":\"The \\\"thoughts_token_count\\\": 7 is not usage\"}],\"role\":\"model\"},"
            + "\"finish_reason\":\"STOP\",\"usage_metadata\":{\"cached_content_token_count\":512,\"candidates_token_count\":40,"
            + "\"prompt_token_count\":900,\"thoughts_token_count\":321,\"total_token_count\":1261}}";
        var span = Decode("call_llm",
            ("gen_ai.system", "gcp.vertex.agent"),
            ("gen_ai.request.model", "gemini-2.5-pro"),
            ("gen_ai.usage.input_tokens", 900L),
            ("gen_ai.usage.output_tokens", 40L),
            ("gen_ai.response.finish_reasons", new[] { "stop" }),
            ("gcp.vertex.agent.llm_response", response));

        Assert.Equal((SpanOperation.Chat, 900L, 40L, 512L, 321L), (span.Operation, span.InputTokens, span.OutputTokens, span.CachedInputTokens, span.ReasoningTokens));
    }

    [Fact]
    public void Adk_llm_response_counts_rank_after_the_span_attributes_and_an_empty_response_gives_nothing()
    {
        var span = Decode("call_llm",
            ("gen_ai.usage.reasoning.output_tokens", 5L),
            ("gcp.vertex.agent.llm_response", "{\"usage_metadata\":{\"thoughts_token_count\":321}}"));
        Assert.Equal(5, span.ReasoningTokens);

        Assert.Null(Decode("call_llm", ("gcp.vertex.agent.llm_response", "{}")).ReasoningTokens);
    }

    // ------------------------------------------------------------ Logfire (pydantic/logfire llm_providers)

    [Fact]
    public void Logfire_raw_openai_usage_fills_cached_and_reasoning_tokens()
    {
        // usage.py get_usage_attributes: gen_ai.usage.raw = usage.model_dump() next to gen_ai.usage.input/output_tokens.
        var span = Decode("Chat Completion with {request_data[model]!r}",
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.usage.input_tokens", 1490L),
            ("gen_ai.usage.output_tokens", 512L),
            ("gen_ai.usage.raw", "{\"prompt_tokens\":1490,\"completion_tokens\":512,\"total_tokens\":2002,\"prompt_tokens_details\":{\"cached_tokens\":1024},\"completion_tokens_details\":{\"reasoning_tokens\":256}}"));

        Assert.Equal((1490L, 512L, 2002L, 1024L, 256L), (span.InputTokens, span.OutputTokens, span.TotalTokens, span.CachedInputTokens, span.ReasoningTokens));
    }

    [Fact]
    public void Logfire_raw_responses_and_gemini_usage_names_are_read()
    {
        var responses = Decode("Responses API with 'gpt-5'",
            ("gen_ai.usage.raw", "{\"input_tokens\":128,\"input_tokens_details\":{\"cache_write_tokens\":0,\"cached_tokens\":64},\"output_tokens\":36,\"output_tokens_details\":{\"reasoning_tokens\":12},\"total_tokens\":164}"));
        Assert.Equal((128L, 36L, 164L, 64L, 12L), (responses.InputTokens, responses.OutputTokens, responses.TotalTokens, responses.CachedInputTokens, responses.ReasoningTokens));

        var gemini = Decode("x",
            ("gen_ai.usage.raw", "{\"prompt_token_count\": 300, \"candidates_token_count\": 40, \"cached_content_token_count\": 200, \"thoughts_token_count\": 90, \"total_token_count\": 430}"));
        Assert.Equal((300L, 40L, 430L, 200L, 90L), (gemini.InputTokens, gemini.OutputTokens, gemini.TotalTokens, gemini.CachedInputTokens, gemini.ReasoningTokens));
    }

    // ------------------------------------------------------------ LiteLLM (BerriAI/litellm integrations/opentelemetry.py)

    [Fact]
    public void Litellm_async_call_types_cost_breakdown_and_unknown_provider_are_read()
    {
        var span = Decode("litellm_request",
            ("gen_ai.operation.name", "acompletion"),
            ("llm.request.type", "acompletion"),
            ("gen_ai.system", "Unknown"),
            ("gen_ai.request.model", "gpt-4o-mini"),
            ("gen_ai.cost.input_cost", 0.001),
            ("gen_ai.cost.total_cost", 0.003),
            ("gen_ai.response.finish_reasons", "[\"tool_calls\"]"));

        Assert.Equal((SpanOperation.Chat, (string?)null, 0.003), (span.Operation, span.Provider, span.CostUsd));
        Assert.Equal(FinishReasons.ToolCalls, span.FinishReasons);
        Assert.Equal(SpanOperation.Embeddings, Decode("litellm_request", ("gen_ai.operation.name", "aembedding")).Operation);
    }

    // ------------------------------------------------------------ Microsoft.Extensions.AI

    [Fact]
    public void Meai_orchestrate_tools_span_is_a_framework_step()
    {
        Assert.Equal(SpanOperation.Chain, Decode("orchestrate_tools", ("gen_ai.operation.name", "orchestrate_tools")).Operation);
    }

    // ------------------------------------------------------------ Azure AI Inference / Agents (gen_ai.event.content)

    [Fact]
    public void Azure_ai_inference_choice_event_content_gives_the_finish_reason()
    {
        var span = new Span { Name = "chat gpt-4o" };
        span.Events.Add(Event("gen_ai.choice",
            ("gen_ai.system", "az.ai.inference"),
            ("gen_ai.event.content", "{\"finish_reason\":\"tool_calls\",\"index\":0,\"message\":{\"content\":\"\"}}")));
        span.Events.Add(Event("gen_ai.user.message",
            ("gen_ai.event.content", "{\"role\":\"user\",\"content\":\"finish_reason: length\"}")));

        Assert.Equal(FinishReasons.ToolCalls, Decode(span, [("gen_ai.operation.name", "chat")]).FinishReasons);
    }

    // ------------------------------------------------------------ Alibaba ARMS / LoongSuite (gen_ai.span.kind)

    [Theory]
    [InlineData("LLM", SpanOperation.Chat)]
    [InlineData("TOOL", SpanOperation.ExecuteTool)]
    [InlineData("AGENT", SpanOperation.InvokeAgent)]
    [InlineData("STEP", SpanOperation.Chain)]
    [InlineData("TASK", SpanOperation.Chain)]
    [InlineData("RETRIEVER", SpanOperation.Retrieval)]
    [InlineData("RERANKER", SpanOperation.Rerank)]
    [InlineData("WORKFLOW", SpanOperation.InvokeWorkflow)]
    [InlineData("ENTRY", SpanOperation.Other)]
    public void Arms_span_kinds_map_to_operations(string kind, SpanOperation expected) =>
        Assert.Equal(expected, Decode("x", ("gen_ai.span.kind", kind)).Operation);

    [Fact]
    public void Arms_model_name_is_the_requested_model_after_the_otel_one()
    {
        Assert.Equal("qwen-max", Decode("x", ("gen_ai.span.kind", "LLM"), ("gen_ai.model_name", "qwen-max")).RequestModel);
        Assert.Equal("qwen-plus", Decode("x", ("gen_ai.model_name", "qwen-max"), ("gen_ai.request.model", "qwen-plus")).RequestModel);
    }

    // ------------------------------------------------------------ Mastra

    [Fact]
    public void Mastra_cached_input_tokens_as_a_string_are_cached_tokens()
    {
        Assert.Equal(150, Decode("chat gpt-4o", ("gen_ai.usage.input_tokens", 100L), ("gen_ai.usage.cached_input_tokens", "150")).CachedInputTokens);
        Assert.Equal(7, Decode("x", ("gen_ai.usage.cached_input_tokens", 150L), ("gen_ai.usage.cache_read.input_tokens", 7L)).CachedInputTokens);
    }

    // ------------------------------------------------------------ value shapes

    [Fact]
    public void Integral_counts_rendered_as_decimal_strings_or_doubles_are_counts_and_fractions_are_not()
    {
        Assert.Equal(123, Decode("chat m", ("gen_ai.usage.input_tokens", "123.0")).InputTokens);
        Assert.Equal(123, Decode("chat m", ("gen_ai.usage.input_tokens", 123.0)).InputTokens);
        Assert.Null(Decode("chat m", ("gen_ai.usage.input_tokens", "12.5")).InputTokens);
        Assert.Null(Decode("chat m", ("gen_ai.usage.input_tokens", "-3")).InputTokens);
        Assert.Null(Decode("chat m", ("gen_ai.usage.input_tokens", "lots")).InputTokens);
    }

    [Fact]
    public void Usage_and_finish_reasons_on_the_operation_details_event_fill_what_the_span_lacks()
    {
        var span = new Span { Name = "chat gpt-4o" };
        span.Events.Add(Event("gen_ai.client.inference.operation.details",
            ("gen_ai.usage.input_tokens", 40L),
            ("gen_ai.usage.output_tokens", "9"),
            ("gen_ai.response.finish_reasons", new[] { "length" })));

        var decoded = Decode(span, [("gen_ai.operation.name", "chat")]);
        Assert.Equal((40L, 9L, 49L), (decoded.InputTokens, decoded.OutputTokens, decoded.TotalTokens));
        Assert.Equal(FinishReasons.Length, decoded.FinishReasons);
    }

    [Fact]
    public void Usage_on_the_span_wins_over_usage_on_its_events()
    {
        var span = new Span { Name = "chat gpt-4o" };
        span.Events.Add(Event("gen_ai.client.inference.operation.details", ("gen_ai.usage.input_tokens", 40L)));

        Assert.Equal(7, Decode(span, [("gen_ai.usage.input_tokens", 7L)]).InputTokens);
    }

    [Fact]
    public void Usage_on_an_unrelated_event_is_ignored()
    {
        var span = new Span { Name = "chat gpt-4o" };
        span.Events.Add(Event("log", ("gen_ai.usage.input_tokens", 40L)));

        Assert.Null(Decode(span, [("gen_ai.operation.name", "chat")]).InputTokens);
    }

    [Fact]
    public void Keys_that_only_share_the_ends_of_a_known_key_or_extend_it_are_not_read()
    {
        // Same length and same first and last 8 bytes as gen_ai.usage.input_tokens, different middle.
        Assert.Null(Decode("chat m", ("gen_ai.usage.inPUT_tokens", 5L)).InputTokens);
        Assert.Null(Decode("chat m", ("gen_ai.usage.input_tokens" + new string('x', 5000), 5L)).InputTokens);
        Assert.Null(Decode("chat m", ("gen_ai.usage.cache_read.INPUT_tokens", 5L)).CachedInputTokens);
        Assert.Equal(5, Decode("chat m", ("", 1L), ("\u00e9\u00e9", 2L), ("gen_ai.usage.input_tokens", 5L)).InputTokens);
    }

    // ------------------------------------------------------------ steady state

    [Fact]
    public void Decoding_the_new_conventions_in_steady_state_allocates_nothing()
    {
        // Every path added here (weak operations, serialised usage objects, the deferred ADK response, event usage and
        // event content, string-typed counts) on one record, through both decoders.
        var request = new ExportTraceServiceRequest();
        var scope = new ScopeSpans();
        scope.Spans.Add(SpanWith("tool_call currentWeather", ("gen_ai.operation.name", "framework"), ("spring.ai.kind", "tool_call"),
            ("spring.ai.tool.definition.name", "currentWeather"), ("spring.ai.tool.call.arguments", "{\"city\":\"Paris\"}"),
            ("gen_ai.request.model", "none"), ("gen_ai.usage.input_tokens", "120.0")));
        scope.Spans.Add(SpanWith("autogen.agent.run", ("gen_ai.operation.name", "agent.run"), ("agentops.span.kind", "agent"),
            ("gen_ai.agent.name", "planner"), ("agentops.entity.input", "{\"q\":1}")));
        scope.Spans.Add(SpanWith("generation", ("langfuse.observation.type", "generation"), ("langfuse.observation.level", "ERROR"),
            ("langfuse.observation.usage_details", "{\"input\": 10, \"output\": 5, \"input_cache_read\": 4}"),
            ("langfuse.observation.cost_details", "{\"total\": 0.03}"), ("gen_ai.span.kind", "LLM"), ("gen_ai.model_name", "qwen-max")));
        scope.Spans.Add(SpanWith("Chat Completion with {request_data[model]!r}", ("gen_ai.system", "Unknown"), ("gen_ai.cost.total_cost", 0.003),
            ("gen_ai.usage.raw", "{\"prompt_tokens\":1490,\"prompt_tokens_details\":{\"cached_tokens\":1024},\"completion_tokens_details\":{\"reasoning_tokens\":256}}")));
        scope.Spans.Add(SpanWith("call_llm", ("gen_ai.request.model", "gemini-2.5-pro"),
            ("gcp.vertex.agent.llm_response", "{\"content\":{\"parts\":[{\"text\":\"a \\\"quoted\\\" word\"}]},\"usage_metadata\":{\"cached_content_token_count\":512,\"thoughts_token_count\":321}}")));
        var withEvents = SpanWith("chat gpt-4o", ("gen_ai.operation.name", "chat"));
        withEvents.Events.Add(Event("gen_ai.client.inference.operation.details", ("gen_ai.usage.input_tokens", 40L), ("gen_ai.response.finish_reasons", new[] { "length" })));
        withEvents.Events.Add(Event("gen_ai.choice", ("gen_ai.event.content", "{\"finish_reason\":\"tool_calls\",\"index\":0}")));
        scope.Spans.Add(withEvents);
        request.ResourceSpans.Add(new ResourceSpans { Resource = new Resource(), ScopeSpans = { scope } });

        Assert.Equal(0, SteadyStateDecode.AllocatedBytes(request, new SpanBatch(16)));
    }

    private static Span SpanWith(string name, params (string Key, object? Value)[] attributes)
    {
        var span = new Span
        {
            Name = name,
            TraceId = ByteString.CopyFrom(new byte[16] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }),
            SpanId = ByteString.CopyFrom(new byte[8] { 1, 2, 3, 4, 5, 6, 7, 8 }),
        };
        foreach (var (key, value) in attributes)
        {
            span.Attributes.Add(new KeyValue { Key = key, Value = ToAnyValue(value) });
        }

        return span;
    }
}
