using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// Value vocabularies of the conventions: operation names and span kinds to <see cref="SpanOperation"/>, provider
/// finish reasons to <see cref="FinishReasons"/>. Values are compared case-insensitively (ASCII) without allocating.
/// </summary>
internal static class ConventionVocabulary
{
    /// <summary>Longer values are not vocabulary words: they map to <see cref="SpanOperation.Other"/> / <see cref="FinishReasons.Other"/>.</summary>
    private const int MaxWordLength = 48;

    public static SpanOperation Operation(AttributeId source, ReadOnlySpan<byte> value)
    {
        if (source == AttributeId.MlflowSpanType)
        {
            value = Unquote(value);
        }

        if (value.IsEmpty)
        {
            return SpanOperation.Unknown;
        }

        if (value.Length > MaxWordLength)
        {
            return SpanOperation.Other;
        }

        Span<byte> lower = stackalloc byte[MaxWordLength];
        ReadOnlySpan<byte> word = value.IndexOfAnyInRange((byte)'A', (byte)'Z') < 0 ? value : ToLowerAscii(value, lower);
        return source switch
        {
            AttributeId.GenAiOperationName => GenAiWords.Lookup(word),
            AttributeId.TraceloopSpanKind => TraceloopWords.Lookup(word),
            AttributeId.LlmRequestType => LlmRequestTypeWords.Lookup(word),
            AttributeId.OpenInferenceSpanKind => OpenInferenceWords.Lookup(word),
            AttributeId.AiOperationId => VercelOperation(word),
            AttributeId.LangsmithSpanKind => LangsmithWords.Lookup(word),
            AttributeId.LangfuseObservationType => LangfuseWords.Lookup(word),
            AttributeId.MlflowSpanType => MlflowWords.Lookup(word),
            AttributeId.AgentopsSpanKind => AgentopsWords.Lookup(word),
            AttributeId.GenAiRequestType => LlmRequestTypeWords.Lookup(word),
            AttributeId.SpringAiKind => SpringAiWords.Lookup(word),
            AttributeId.GenAiSpanKind => GenAiSpanKindWords.Lookup(word),
            _ => SpanOperation.Other,
        };
    }

    /// <summary>
    /// <c>gen_ai.operation.name</c>: the OTel well-known values, plus the non-standard ones emitted by OpenLIT
    /// (<c>embedding</c>, <c>vectordb</c>, <c>agent</c>, <c>execute_task</c>, <c>workflow</c>, <c>model_request</c>, ...),
    /// LangSmith (run types such as <c>chain</c>), Semantic Kernel before 1.0 of the conventions (<c>chat.completions</c>),
    /// and <c>framework</c> (OpenLIT's old workflow name, Spring AI's framework steps) as a chain step.
    /// </summary>
    private static readonly OperationWords GenAiWords = new(
        ("chat", SpanOperation.Chat), ("chat.completions", SpanOperation.Chat), ("model_request", SpanOperation.Chat),
        ("response", SpanOperation.Chat), // OpenAI Responses API calls (opentelemetry-instrumentation-openai-agents-v2 constants.py RESPONSE)
        ("execute_tool", SpanOperation.ExecuteTool),
        ("invoke_agent", SpanOperation.InvokeAgent), ("agent", SpanOperation.InvokeAgent),
        ("text_completion", SpanOperation.TextCompletion), ("completion", SpanOperation.TextCompletion), ("text.completions", SpanOperation.TextCompletion),
        ("generate_content", SpanOperation.GenerateContent),
        ("embeddings", SpanOperation.Embeddings), ("embedding", SpanOperation.Embeddings),
        ("retrieval", SpanOperation.Retrieval), ("retrieve", SpanOperation.Retrieval), ("vectordb", SpanOperation.Retrieval),
        ("rerank", SpanOperation.Rerank),
        ("create_agent", SpanOperation.CreateAgent),
        ("invoke_workflow", SpanOperation.InvokeWorkflow), ("workflow", SpanOperation.InvokeWorkflow), ("team", SpanOperation.InvokeWorkflow), ("graph_execution", SpanOperation.InvokeWorkflow),
        ("chain", SpanOperation.Chain), ("execute_task", SpanOperation.Chain), ("task", SpanOperation.Chain), ("framework", SpanOperation.Chain),
        // Microsoft.Extensions.AI FunctionInvokingChatClient's span around its model/tool loop (OpenTelemetryConsts
        // OrchestrateToolsName, "Non-standard").
        ("orchestrate_tools", SpanOperation.Chain),
        // LiteLLM's OTel callback writes its call type when it is not "completion" (BerriAI/litellm
        // litellm/integrations/opentelemetry.py set_attributes; CallTypes acompletion, aembedding, aresponses, ...).
        ("acompletion", SpanOperation.Chat), ("responses", SpanOperation.Chat), ("aresponses", SpanOperation.Chat),
        ("anthropic_messages", SpanOperation.Chat), ("aembedding", SpanOperation.Embeddings),
        ("atext_completion", SpanOperation.TextCompletion), ("arerank", SpanOperation.Rerank),
        ("guardrail", SpanOperation.Guardrail),
        ("guardrail_check", SpanOperation.Guardrail), // opentelemetry-instrumentation-openai-agents-v2 constants.py GUARDRAIL
        ("evaluate", SpanOperation.Evaluator), ("evaluation", SpanOperation.Evaluator), ("evaluator", SpanOperation.Evaluator));

    /// <summary>
    /// OpenLLMetry <c>traceloop.span.kind</c>: workflow, task, agent, tool; <c>unknown</c> (TraceloopSpanKindValues.UNKNOWN,
    /// traceloop/openllmetry semconv_ai/__init__.py) says nothing, so the span name may still decide.
    /// </summary>
    private static readonly OperationWords TraceloopWords = new(
        ("unknown", SpanOperation.Unknown), ("workflow", SpanOperation.InvokeWorkflow), ("task", SpanOperation.Chain),
        ("agent", SpanOperation.InvokeAgent), ("tool", SpanOperation.ExecuteTool));

    /// <summary>OpenLLMetry legacy <c>llm.request.type</c>: chat, completion, embedding, rerank; <c>unknown</c> says nothing.</summary>
    private static readonly OperationWords LlmRequestTypeWords = new(
        ("unknown", SpanOperation.Unknown), ("chat", SpanOperation.Chat), ("response", SpanOperation.Chat), ("completion", SpanOperation.TextCompletion),
        ("embedding", SpanOperation.Embeddings), ("embeddings", SpanOperation.Embeddings), ("rerank", SpanOperation.Rerank));

    /// <summary>
    /// OpenInference <c>openinference.span.kind</c> (upper case on the wire). <c>UNKNOWN</c> (OpenInferenceSpanKindValues,
    /// Arize-ai/openinference .../semconv/trace/__init__.py) says nothing, so the span name may still decide.
    /// </summary>
    private static readonly OperationWords OpenInferenceWords = new(
        ("unknown", SpanOperation.Unknown), ("llm", SpanOperation.Chat), ("tool", SpanOperation.ExecuteTool),
        ("agent", SpanOperation.InvokeAgent), ("chain", SpanOperation.Chain), ("embedding", SpanOperation.Embeddings),
        ("retriever", SpanOperation.Retrieval), ("reranker", SpanOperation.Rerank), ("guardrail", SpanOperation.Guardrail),
        ("evaluator", SpanOperation.Evaluator));

    /// <summary>The exact Vercel AI SDK operation ids (the provider-call suffixes are matched in <see cref="VercelOperation"/>).</summary>
    private static readonly OperationWords VercelWords = new(
        ("ai.toolcall", SpanOperation.ExecuteTool), ("ai.toolexecution", SpanOperation.ExecuteTool),
        ("ai.generatetext", SpanOperation.InvokeAgent), ("ai.streamtext", SpanOperation.InvokeAgent),
        ("ai.generateobject", SpanOperation.Chain), ("ai.streamobject", SpanOperation.Chain), ("ai.embed", SpanOperation.Chain),
        ("ai.embedmany", SpanOperation.Chain), ("ai.rerank", SpanOperation.Chain));

    /// <summary>LangSmith <c>langsmith.span.kind</c> (run types).</summary>
    private static readonly OperationWords LangsmithWords = new(
        ("llm", SpanOperation.Chat), ("chat_model", SpanOperation.Chat), ("tool", SpanOperation.ExecuteTool),
        ("chain", SpanOperation.Chain), ("retriever", SpanOperation.Retrieval), ("embedding", SpanOperation.Embeddings));

    /// <summary>
    /// Langfuse SDK <c>langfuse.observation.type</c>: generation, agent, tool, chain, retriever, embedding, evaluator,
    /// guardrail; plain <c>span</c>/<c>event</c> observations say nothing (Unknown).
    /// </summary>
    private static readonly OperationWords LangfuseWords = new(
        ("generation", SpanOperation.Chat), ("span", SpanOperation.Unknown), ("event", SpanOperation.Unknown),
        ("agent", SpanOperation.InvokeAgent), ("tool", SpanOperation.ExecuteTool), ("chain", SpanOperation.Chain),
        ("retriever", SpanOperation.Retrieval), ("embedding", SpanOperation.Embeddings), ("evaluator", SpanOperation.Evaluator),
        ("guardrail", SpanOperation.Guardrail));

    /// <summary>
    /// MLflow <c>mlflow.spanType</c> (mlflow/mlflow SpanType: LLM, CHAT_MODEL, CHAIN, AGENT, TOOL, RETRIEVER, EMBEDDING,
    /// RERANKER, PARSER, MEMORY, GUARDRAIL, EVALUATOR, UNKNOWN), JSON quotes already removed.
    /// </summary>
    private static readonly OperationWords MlflowWords = new(
        ("llm", SpanOperation.Chat), ("chat_model", SpanOperation.Chat), ("tool", SpanOperation.ExecuteTool),
        ("agent", SpanOperation.InvokeAgent), ("chain", SpanOperation.Chain), ("retriever", SpanOperation.Retrieval),
        ("embedding", SpanOperation.Embeddings), ("reranker", SpanOperation.Rerank), ("guardrail", SpanOperation.Guardrail),
        ("evaluator", SpanOperation.Evaluator), ("unknown", SpanOperation.Unknown));

    /// <summary>
    /// AgentOps <c>agentops.span.kind</c> (AgentOps-AI/agentops agentops/semconv/span_kinds.py SpanKind and
    /// AgentOpsSpanKindValues; its OpenAI wrapper also writes <c>embedding</c>); <c>unknown</c> says nothing.
    /// </summary>
    private static readonly OperationWords AgentopsWords = new(
        ("unknown", SpanOperation.Unknown), ("llm", SpanOperation.Chat), ("llm.call", SpanOperation.Chat),
        ("tool", SpanOperation.ExecuteTool), ("agent", SpanOperation.InvokeAgent), ("embedding", SpanOperation.Embeddings),
        ("session", SpanOperation.InvokeWorkflow), ("workflow", SpanOperation.InvokeWorkflow), ("team", SpanOperation.InvokeWorkflow),
        ("workflow.step", SpanOperation.Chain), ("task", SpanOperation.Chain), ("operation", SpanOperation.Chain),
        ("agent.action", SpanOperation.Chain), ("agent.thinking", SpanOperation.Chain), ("agent.decision", SpanOperation.Chain));

    /// <summary>
    /// Alibaba ARMS / LoongSuite <c>gen_ai.span.kind</c> (upper case on the wire; AgentScope writes lower case): ENTRY and
    /// MEMORY are not modelled (Other).
    /// </summary>
    private static readonly OperationWords GenAiSpanKindWords = new(
        ("unknown", SpanOperation.Unknown), ("llm", SpanOperation.Chat), ("tool", SpanOperation.ExecuteTool),
        ("agent", SpanOperation.InvokeAgent), ("chain", SpanOperation.Chain), ("task", SpanOperation.Chain), ("step", SpanOperation.Chain),
        ("retriever", SpanOperation.Retrieval), ("embedding", SpanOperation.Embeddings), ("reranker", SpanOperation.Rerank),
        ("workflow", SpanOperation.InvokeWorkflow));

    /// <summary>
    /// Spring AI <c>spring.ai.kind</c> (spring-projects/spring-ai SpringAiKind): a tool call, or a framework step around
    /// the model (ChatClient, advisors); <c>vector_store</c> says nothing (its operation may be a query, an add or a delete).
    /// </summary>
    private static readonly OperationWords SpringAiWords = new(
        ("tool_call", SpanOperation.ExecuteTool), ("chat_client", SpanOperation.Chain), ("advisor", SpanOperation.Chain),
        ("vector_store", SpanOperation.Unknown));

    /// <summary>
    /// Vercel AI SDK <c>ai.operationId</c>: the provider calls (<c>.doGenerate</c>, <c>.doStream</c>) are the model calls;
    /// <c>ai.generateText</c>/<c>ai.streamText</c> are the multi-step loop around them (an agent run); tool calls are tools.
    /// </summary>
    internal static SpanOperation VercelOperation(ReadOnlySpan<byte> w)
    {
        if (w.EndsWith(".dogenerate"u8) || w.EndsWith(".dostream"u8))
        {
            return SpanOperation.Chat;
        }

        if (w.EndsWith(".doembed"u8))
        {
            return SpanOperation.Embeddings;
        }

        return w.EndsWith(".dorerank"u8) ? SpanOperation.Rerank : VercelWords.Lookup(w);
    }

    /// <summary>A value JSON-encoded into a string (<c>"LLM"</c> with its quotes, as MLflow writes them): the quotes dropped.</summary>
    internal static ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> value) =>
        value.Length >= 2 && value[0] == (byte)'"' && value[^1] == (byte)'"' ? value[1..^1] : value;

    /// <summary>
    /// <c>agentsentinel.route</c>: exactly <c>primary</c> or <c>fallback</c> (AgentSentinel's own flag clients write it);
    /// anything else says nothing.
    /// </summary>
    public static SpanRouteHint Route(ReadOnlySpan<byte> value) =>
        value.SequenceEqual("primary"u8) ? SpanRouteHint.Primary
        : value.SequenceEqual("fallback"u8) ? SpanRouteHint.Fallback
        : SpanRouteHint.None;

    /// <summary>
    /// Folds one provider finish reason into the closed set. Case-insensitive, '-' treated as '_'
    /// (Vercel's <c>tool-calls</c>, <c>content-filter</c>). Empty gives <see cref="FinishReasons.None"/>.
    /// </summary>
    public static FinishReasons FinishReason(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return FinishReasons.None;
        }

        if (value[0] is (byte)'[' or (byte)'(')
        {
            return FinishReasonList(value);
        }

        if (value.Contains((byte)','))
        {
            return FinishReasonCommaList(value);
        }

        if (value.Length > MaxWordLength)
        {
            return FinishReasons.Other;
        }

        Span<byte> buffer = stackalloc byte[MaxWordLength];
        var w = ToLowerAscii(value, buffer);
        for (var i = 0; i < w.Length; i++)
        {
            if (w[i] == (byte)'-')
            {
                w[i] = (byte)'_';
            }
        }

        if (w.SequenceEqual("stop"u8) || w.SequenceEqual("end_turn"u8) || w.SequenceEqual("eos"u8) || w.SequenceEqual("eos_token"u8)
            || w.SequenceEqual("complete"u8) || w.SequenceEqual("completed"u8) || w.SequenceEqual("stop_sequence"u8)
            || w.SequenceEqual("end_of_turn"u8))
        {
            return FinishReasons.Stop;
        }

        // Semantic Kernel's connectors put the OpenAI .NET ChatFinishReason enum's ToString() (Stop, Length, ContentFilter,
        // ToolCalls, FunctionCall) into gen_ai.response.finish_reasons (microsoft/semantic-kernel ModelDiagnostics
        // SetFinishReasons; ClientCore.ChatCompletion.cs FinishReason?.ToString()): the joined words fold too.
        if (w.SequenceEqual("n/a"u8))
        {
            return FinishReasons.None; // Semantic Kernel's placeholder for "no finish reason"
        }

        if (w.SequenceEqual("tool_calls"u8) || w.SequenceEqual("tool_call"u8) || w.SequenceEqual("tool_use"u8)
            || w.SequenceEqual("function_call"u8) || w.SequenceEqual("function_calls"u8)
            || w.SequenceEqual("toolcalls"u8) || w.SequenceEqual("functioncall"u8))
        {
            return FinishReasons.ToolCalls;
        }

        if (w.SequenceEqual("length"u8) || w.SequenceEqual("max_tokens"u8) || w.SequenceEqual("max_output_tokens"u8)
            || w.SequenceEqual("max_length"u8) || w.SequenceEqual("model_length"u8) || w.SequenceEqual("model_context_window_exceeded"u8))
        {
            return FinishReasons.Length;
        }

        if (w.SequenceEqual("content_filter"u8) || w.SequenceEqual("content_filtered"u8) || w.SequenceEqual("contentfilter"u8) || w.SequenceEqual("safety"u8)
            || w.SequenceEqual("recitation"u8) || w.SequenceEqual("refusal"u8) || w.SequenceEqual("guardrail_intervened"u8)
            || w.SequenceEqual("blocklist"u8) || w.SequenceEqual("prohibited_content"u8) || w.SequenceEqual("spii"u8)
            || w.SequenceEqual("image_safety"u8) || w.SequenceEqual("error_toxic"u8)
            // Gemini/Vertex FinishReason (passed through by name by opentelemetry-instrumentation-vertexai utils.py
            // _map_finish_reason): MODEL_ARMOR, IMAGE_PROHIBITED_CONTENT, IMAGE_RECITATION.
            || w.SequenceEqual("model_armor"u8) || w.SequenceEqual("image_prohibited_content"u8) || w.SequenceEqual("image_recitation"u8))
        {
            return FinishReasons.ContentFilter;
        }

        // Gemini UNEXPECTED_TOOL_CALL (an invalid function call, like MALFORMED_FUNCTION_CALL); Bedrock Converse stopReason
        // malformed_model_output / malformed_tool_use.
        if (w.SequenceEqual("error"u8) || w.SequenceEqual("malformed_function_call"u8) || w.SequenceEqual("unexpected_tool_call"u8)
            || w.SequenceEqual("malformed_model_output"u8) || w.SequenceEqual("malformed_tool_use"u8))
        {
            return FinishReasons.Error;
        }

        return FinishReasons.Other;
    }

    /// <summary>
    /// A list serialised into a string (<c>["stop"]</c> from SDKs that cannot set array attributes, <c>('stop',)</c> from
    /// Python reprs): each quoted item is folded. An unquoted list gives <see cref="FinishReasons.Other"/>.
    /// </summary>
    private static FinishReasons FinishReasonList(ReadOnlySpan<byte> value)
    {
        var result = FinishReasons.None;
        var sawItem = false;
        var rest = value;
        int open;
        while ((open = rest.IndexOfAny((byte)'"', (byte)'\'')) >= 0)
        {
            var quote = rest[open];
            rest = rest[(open + 1)..];
            var close = rest.IndexOf(quote);
            if (close < 0)
            {
                break;
            }

            var item = rest[..close];
            if (!item.IsEmpty && item[0] is not ((byte)'[' or (byte)'('))
            {
                result |= FinishReason(item);
                sawItem = true;
            }

            rest = rest[(close + 1)..];
        }

        return result == FinishReasons.None && !sawItem && value.Length > 2 ? FinishReasons.Other : result;
    }

    /// <summary>
    /// A comma-separated list in one string: LangSmith's OTel exporter writes <c>", ".join(finish_reasons)</c>
    /// (langchain-ai/langsmith-sdk python/langsmith/_internal/otel/_otel_exporter.py). Each item is folded.
    /// </summary>
    private static FinishReasons FinishReasonCommaList(ReadOnlySpan<byte> value)
    {
        var result = FinishReasons.None;
        var rest = value;
        while (true)
        {
            var comma = rest.IndexOf((byte)',');
            var item = (comma < 0 ? rest : rest[..comma]).Trim((byte)' ');
            if (!item.IsEmpty && !item.Contains((byte)','))
            {
                result |= FinishReason(item);
            }

            if (comma < 0)
            {
                break;
            }

            rest = rest[(comma + 1)..];
        }

        return result == FinishReasons.None ? FinishReasons.Other : result;
    }

    /// <summary>
    /// The <c>"finish_reason"</c> values of a <c>gen_ai.output.messages</c> JSON text, folded. Works on decoded text and on
    /// the raw content of a JSON string alike (quotes written <c>"</c>, <c>\"</c> or <c>\u0022</c>), without unescaping:
    /// finish reasons never contain quotes or backslashes.
    /// </summary>
    internal static FinishReasons FinishReasonsInMessages(ReadOnlySpan<byte> text)
    {
        var result = FinishReasons.None;
        var name = "finish_reason"u8;
        int at;
        while ((at = text.IndexOf(name)) >= 0)
        {
            var quoted = at > 0 && text[at - 1] == (byte)'"' || at >= 6 && text.Slice(at - 6, 6).SequenceEqual("\\u0022"u8);
            text = text[(at + name.Length)..];
            var rest = SkipQuote(text);
            if (!quoted || rest.Length == text.Length)
            {
                continue; // part of a longer name
            }

            rest = rest.TrimStart((byte)' ');
            if (rest.IsEmpty || rest[0] != (byte)':')
            {
                continue;
            }

            rest = rest[1..].TrimStart((byte)' ');
            var open = SkipQuote(rest);
            if (open.Length == rest.Length)
            {
                continue; // null, or not a string
            }

            var close = open.IndexOfAny((byte)'"', (byte)'\\');
            if (close < 0)
            {
                break;
            }

            result |= FinishReason(open[..close]);
            text = open[close..];
        }

        return result;
    }

    /// <summary>Skips one quote as written in decoded or raw JSON string content (<c>"</c>, <c>\"</c>, <c>\u0022</c>); returns the input if none.</summary>
    private static ReadOnlySpan<byte> SkipQuote(ReadOnlySpan<byte> text) =>
        text.StartsWith((byte)'"') ? text[1..]
        : text.StartsWith("\\\""u8) ? text[2..]
        : text.StartsWith("\\u0022"u8) ? text[6..]
        : text;

    internal static Span<byte> ToLowerAscii(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        var result = destination[..value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            result[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }

        return result;
    }
}
