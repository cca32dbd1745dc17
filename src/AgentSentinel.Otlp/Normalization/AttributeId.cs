namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// Every attribute key the normaliser understands, grouped by concept. Within a concept the order of the
/// members is the precedence ("first match wins") of the §3.5 mapping table: current OTel GenAI first, then the
/// legacy OTel name, OpenLLMetry, OpenInference, Vercel AI SDK, LangSmith, OpenLIT and pydantic-ai.
/// </summary>
internal enum AttributeId : byte
{
    None = 0,

    // Span role.
    GenAiOperationName,
    TraceloopSpanKind,
    LlmRequestType,
    OpenInferenceSpanKind,
    AiOperationId,
    LangsmithSpanKind,
    LangfuseObservationType,
    MlflowSpanType,
    /// <summary>AgentOps <c>agentops.span.kind</c> (agentops/semconv/span_kinds.py).</summary>
    AgentopsSpanKind,
    /// <summary>AgentOps <c>gen_ai.request.type</c> (its LLM_REQUEST_TYPE: chat, completion, embedding).</summary>
    GenAiRequestType,
    /// <summary>Spring AI <c>spring.ai.kind</c> (tool_call, chat_client, advisor, vector_store).</summary>
    SpringAiKind,
    /// <summary>Alibaba ARMS / LoongSuite <c>gen_ai.span.kind</c> (LLM, TOOL, AGENT, CHAIN, TASK, STEP, RETRIEVER, ...).</summary>
    GenAiSpanKind,

    // Provider.
    GenAiProviderName,
    GenAiSystem,
    LlmProvider,
    LlmSystem,
    AiModelProvider,
    LangsmithLsProvider,
    MlflowLlmProvider,

    // Requested model.
    GenAiRequestModel,
    LlmRequestModelName,
    AiModelId,
    LangsmithLsModelName,
    LangfuseObservationModelName,
    /// <summary>Alibaba ARMS / LoongSuite <c>gen_ai.model_name</c>.</summary>
    GenAiModelName,
    MlflowLlmModel,
    LlmInvocationParameters,

    // Response model.
    GenAiResponseModel,
    LlmResponseModelName,
    LlmModelName,
    AiResponseModel,
    EmbeddingModelName,
    RerankerModelName,

    // Input tokens.
    GenAiUsageInputTokens,
    GenAiUsagePromptTokens,
    LlmTokenCountPrompt,
    AiUsageInputTokens,
    AiUsagePromptTokens,

    // Output tokens.
    GenAiUsageOutputTokens,
    GenAiUsageCompletionTokens,
    LlmTokenCountCompletion,
    AiUsageOutputTokens,
    AiUsageCompletionTokens,

    // Total tokens.
    GenAiUsageTotalTokens,
    LlmUsageTotalTokens,
    LlmTokenCountTotal,
    AiUsageTotalTokens,
    AiUsageTokens,

    // Cached input tokens.
    GenAiUsageCacheReadInputTokens,
    GenAiUsageCacheReadInputTokensLegacy,
    LlmTokenCountPromptCacheRead,
    LlmTokenCountPromptCacheInput,
    AiUsageCachedInputTokens,
    AiUsageInputTokenDetailsCacheReadTokens,
    /// <summary>Mastra's <c>gen_ai.usage.cached_input_tokens</c>.</summary>
    GenAiUsageCachedInputTokens,
    GenAiUsageCacheReadTokens,
    GenAiUsageDetailsCacheReadInputTokens,
    GenAiUsageDetailsCacheReadTokens,

    // Reasoning tokens.
    GenAiUsageReasoningOutputTokens,
    GenAiUsageReasoningTokens,
    LlmUsageReasoningTokens,
    LlmTokenCountCompletionReasoning,
    AiUsageReasoningTokens,
    AiUsageOutputTokenDetailsReasoningTokens,
    GenAiUsageDetailsReasoningTokens,
    GenAiUsageDetailsThoughtsTokens,

    // Cost (USD).
    GenAiUsageCost,
    LlmCostTotal,
    /// <summary>LiteLLM <c>gen_ai.cost.total_cost</c> (its cost_breakdown, one attribute per key).</summary>
    GenAiCostTotalCost,
    OperationCost,

    // Finish reasons.
    GenAiResponseFinishReasons,
    GenAiCompletionFinishReason,
    GenAiResponseFinishReason,
    LlmResponseFinishReason,
    GenAiResponseStopReason,
    LlmResponseStopReason,
    LlmFinishReason,
    AiResponseFinishReason,

    // Tool name.
    GenAiToolName,
    TraceloopEntityName,
    ToolName,
    AiToolCallName,
    ToolCallFunctionName,
    /// <summary>Spring AI <c>spring.ai.tool.definition.name</c>.</summary>
    SpringAiToolDefinitionName,

    // Tool call arguments (hashed).
    GenAiToolCallArguments,
    TraceloopEntityInput,
    InputValue,
    AiToolCallArgs,
    GenAiToolArgs,
    ToolArguments,
    ToolCallFunctionArguments,
    GcpVertexAgentToolCallArgs,
    SpringAiToolCallArguments,
    AgentopsEntityInput,
    GenAiPrompt,

    // Tool call result (hashed).
    GenAiToolCallResult,
    TraceloopEntityOutput,
    OutputValue,
    AiToolCallResult,
    ToolResponse,
    GcpVertexAgentToolResponse,
    SpringAiToolCallResult,
    AgentopsEntityOutput,
    GenAiCompletion,

    // Errors.
    ErrorType,
    OtelStatusCode,
    ExceptionType,
    /// <summary>Langfuse <c>langfuse.observation.level</c>: <c>ERROR</c> marks a failed observation.</summary>
    LangfuseObservationLevel,

    /// <summary><c>finish_reason</c> on a <c>gen_ai.choice</c> span event (Strands, older semconv event bodies).</summary>
    ChoiceFinishReason,

    /// <summary>
    /// <c>gen_ai.output.messages</c> (JSON, each message with a <c>finish_reason</c>): on the span, or on the
    /// <c>gen_ai.client.inference.operation.details</c> event (Strands with gen_ai_latest_experimental sets no
    /// gen_ai.response.finish_reasons). Only its finish reasons are read, at the rank of gen_ai.choice events.
    /// </summary>
    GenAiOutputMessages,

    /// <summary>
    /// <c>gen_ai.event.content</c> (Azure AI Inference / Azure AI Agents tracing): the JSON body of a message event; on a
    /// <c>gen_ai.choice</c> event it carries the choice's <c>finish_reason</c>. Only that is read.
    /// </summary>
    GenAiEventContent,

    // Agent hints used by the span-name rules (the agent keys themselves are configured, see OtlpDecoderOptions).
    GenAiAgentName,
    PydanticAgentName,
    GraphNodeId,

    // Usage serialised as a JSON (or Python repr) object in one string attribute, read at the lowest priority.
    /// <summary>MLflow <c>mlflow.chat.tokenUsage</c>: input/output/total/cache_read_input_tokens.</summary>
    MlflowChatTokenUsage,
    /// <summary>MLflow <c>mlflow.llm.cost</c>: total_cost (USD).</summary>
    MlflowLlmCost,
    /// <summary>LangSmith <c>gen_ai.usage.input_token_details</c>: cache_read.</summary>
    GenAiUsageInputTokenDetails,
    /// <summary>LangSmith <c>gen_ai.usage.output_token_details</c>: reasoning.</summary>
    GenAiUsageOutputTokenDetails,
    /// <summary>Langfuse <c>langfuse.observation.usage_details</c>: a JSON object of counts (input/output/total, cache, reasoning).</summary>
    LangfuseObservationUsageDetails,
    /// <summary>Logfire <c>gen_ai.usage.raw</c>: the provider's own usage object as JSON (OpenAI, Anthropic, Gemini names).</summary>
    GenAiUsageRaw,
    /// <summary>
    /// Google ADK <c>gcp.vertex.agent.llm_response</c>: the LlmResponse as JSON, whose <c>usage_metadata</c> holds
    /// <c>cached_content_token_count</c> and <c>thoughts_token_count</c> (ADK sets no attribute for them). Kept as a payload
    /// slice and scanned for those counts only, at the end of the span; the content is never read.
    /// </summary>
    GcpVertexAgentLlmResponse,
    /// <summary>Langfuse <c>langfuse.observation.cost_details</c>: a JSON object of costs (USD), <c>total</c>.</summary>
    LangfuseObservationCostDetails,

    // Retrieval results.
    /// <summary>OTel GenAI <c>gen_ai.retrieval.documents</c>: a JSON list of {id, score, ...}.</summary>
    GenAiRetrievalDocuments,
    /// <summary>OpenInference <c>retrieval.documents.{i}.document.{id,content,metadata}</c>: marks document i (the index is in the key).</summary>
    RetrievalDocument,
    /// <summary>OpenInference <c>retrieval.documents.{i}.document.score</c>.</summary>
    RetrievalDocumentScore,
    /// <summary>OpenLLMetry <c>db.vector.query.top_k</c>: the span is a vector query.</summary>
    DbVectorQueryTopK,
    /// <summary>OpenLLMetry <c>db.query.result.score</c> / <c>db.search.result.score</c> on a result event.</summary>
    DbQueryResultScore,

    /// <summary><c>agentsentinel.route</c> (<c>primary</c> / <c>fallback</c>): the route the agent says served the span.</summary>
    AgentSentinelRoute,

    /// <summary>A key that is only in the configured agent lists.</summary>
    ConfiguredAgentKey,
}
