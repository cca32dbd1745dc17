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

    // Provider.
    GenAiProviderName,
    GenAiSystem,
    LlmProvider,
    LlmSystem,
    AiModelProvider,
    LangsmithLsProvider,

    // Requested model.
    GenAiRequestModel,
    AiModelId,
    LangsmithLsModelName,
    LangfuseObservationModelName,
    LlmInvocationParameters,

    // Response model.
    GenAiResponseModel,
    LlmModelName,
    AiResponseModel,

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
    AiUsageCachedInputTokens,

    // Reasoning tokens.
    GenAiUsageReasoningOutputTokens,
    GenAiUsageReasoningTokens,
    LlmTokenCountCompletionReasoning,
    AiUsageReasoningTokens,
    GenAiUsageDetailsReasoningTokens,
    GenAiUsageDetailsThoughtsTokens,

    // Cost (USD).
    GenAiUsageCost,
    LlmCostTotal,
    OperationCost,

    // Finish reasons.
    GenAiResponseFinishReasons,
    GenAiCompletionFinishReason,
    LlmFinishReason,
    AiResponseFinishReason,

    // Tool name.
    GenAiToolName,
    TraceloopEntityName,
    ToolName,
    AiToolCallName,
    ToolCallFunctionName,

    // Tool call arguments (hashed).
    GenAiToolCallArguments,
    TraceloopEntityInput,
    InputValue,
    AiToolCallArgs,
    GenAiToolArgs,
    ToolArguments,
    ToolCallFunctionArguments,
    GcpVertexAgentToolCallArgs,
    GenAiPrompt,

    // Tool call result (hashed).
    GenAiToolCallResult,
    TraceloopEntityOutput,
    OutputValue,
    AiToolCallResult,
    ToolResponse,
    GcpVertexAgentToolResponse,
    GenAiCompletion,

    // Errors.
    ErrorType,
    OtelStatusCode,
    ExceptionType,

    /// <summary><c>finish_reason</c> on a <c>gen_ai.choice</c> span event (Strands, older semconv event bodies).</summary>
    ChoiceFinishReason,

    // Agent hints used by the span-name rules (the agent keys themselves are configured, see OtlpDecoderOptions).
    GenAiAgentName,
    PydanticAgentName,
    GraphNodeId,

    /// <summary>A key that is only in the configured agent lists.</summary>
    ConfiguredAgentKey,
}
