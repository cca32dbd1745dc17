using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>What a reader must do with the value of a key.</summary>
[Flags]
internal enum AttributeKeyFlags : byte
{
    None = 0,

    /// <summary>The value is needed (a known concept, or a configured agent key).</summary>
    Wanted = 1,

    /// <summary>
    /// A string value may be passed raw (a slice of the payload, JSON escapes unprocessed): it is only hashed or parsed
    /// at the end of the span if the span turns out to need it (tool arguments on tool spans, invocation parameters).
    /// </summary>
    Deferred = 2,

    /// <summary>An array value is delivered element by element (finish reasons).</summary>
    ArrayElements = 4,

    /// <summary>An array or key-value list value needs its canonical structure hash (tool arguments and results).</summary>
    StructureHash = 8,
}

/// <summary>
/// The classification of one attribute key, packed in 64 bits (id, flags, span-agent rank + 1, resource-agent rank + 1,
/// and for keys matched by pattern the index they carry) so that it travels in a register: a struct of byte fields was
/// assembled through memory at every call.
/// </summary>
internal readonly struct AttributeKey : IEquatable<AttributeKey>
{
    public static AttributeKey Unknown => default;

    private readonly ulong _bits;

    public AttributeKey(AttributeId id, AttributeKeyFlags flags, int spanAgentRank, int resourceAgentRank, int index = 0) =>
        _bits = (ulong)id | ((ulong)flags << 8) | ((ulong)(uint)(spanAgentRank + 1) << 16) | ((ulong)(uint)(resourceAgentRank + 1) << 24)
            | ((ulong)(uint)index << 32);

    public AttributeId Id => (AttributeId)(byte)_bits;

    public AttributeKeyFlags Flags => (AttributeKeyFlags)(byte)(_bits >> 8);

    /// <summary>Rank in the configured span agent keys, or -1.</summary>
    public int SpanAgentRank => (int)((_bits >> 16) & 0xFF) - 1;

    /// <summary>Rank in the configured resource agent keys, or -1.</summary>
    public int ResourceAgentRank => (int)((_bits >> 24) & 0xFF) - 1;

    /// <summary>For a key matched by pattern, the list index it names (<c>retrieval.documents.{i}.…</c>); else 0.</summary>
    public int Index => (int)(_bits >> 32);

    public bool IsWanted => (_bits & ((ulong)AttributeKeyFlags.Wanted << 8)) != 0;

    public bool IsDeferred => (_bits & ((ulong)AttributeKeyFlags.Deferred << 8)) != 0;

    public bool WantsArrayElements => (_bits & ((ulong)AttributeKeyFlags.ArrayElements << 8)) != 0;

    public bool WantsStructureHash => (_bits & ((ulong)AttributeKeyFlags.StructureHash << 8)) != 0;

    public static bool operator ==(AttributeKey left, AttributeKey right) => left._bits == right._bits;

    public static bool operator !=(AttributeKey left, AttributeKey right) => left._bits != right._bits;

    public AttributeKey WithSpanAgentRank(int rank) => new(Id, Flags, rank, ResourceAgentRank);

    public AttributeKey WithResourceAgentRank(int rank) => new(Id, Flags, SpanAgentRank, rank);

    public bool Equals(AttributeKey other) => _bits == other._bits;

    public override bool Equals(object? obj) => obj is AttributeKey other && Equals(other);

    public override int GetHashCode() => _bits.GetHashCode();

    public override string ToString() => $"{Id} {Flags} span:{SpanAgentRank} resource:{ResourceAgentRank} index:{Index}";
}

/// <summary>
/// Maps attribute keys (UTF-8 bytes, straight from the payload) to <see cref="AttributeKey"/> without allocating.
/// Keys are hashed on their length and first and last 8 bytes into a small open-addressing index, so a miss (the
/// common case: most keys are content or framework noise) costs a multiply and one load of an empty bucket, and the
/// middle of a key is only compared for a real candidate.
/// </summary>
internal sealed class AttributeKeyTable
{
    private static readonly (string Key, AttributeId Id)[] KnownKeys =
    [
        ("gen_ai.operation.name", AttributeId.GenAiOperationName),
        ("traceloop.span.kind", AttributeId.TraceloopSpanKind),
        ("llm.request.type", AttributeId.LlmRequestType),
        ("openinference.span.kind", AttributeId.OpenInferenceSpanKind),
        ("ai.operationId", AttributeId.AiOperationId),
        ("langsmith.span.kind", AttributeId.LangsmithSpanKind),
        ("langfuse.observation.type", AttributeId.LangfuseObservationType),
        // MLflow tracing (mlflow/mlflow mlflow/tracing/constant.py SpanAttributeKey.SPAN_TYPE); MLflow JSON-encodes every
        // attribute value (mlflow/tracing/utils dump_span_attribute_value), so the value arrives quoted: "\"LLM\"".
        ("mlflow.spanType", AttributeId.MlflowSpanType),
        // AgentOps-AI/agentops agentops/semconv/span_attributes.py AGENTOPS_SPAN_KIND (values in span_kinds.py) and
        // LLM_REQUEST_TYPE, which AgentOps names gen_ai.request.type (OpenLLMetry's llm.request.type values).
        ("agentops.span.kind", AttributeId.AgentopsSpanKind),
        ("gen_ai.request.type", AttributeId.GenAiRequestType),
        // spring-projects/spring-ai ToolCallingObservationDocumentation SPRING_AI_KIND (SpringAiKind: tool_call,
        // chat_client, advisor, vector_store). Its tool spans say gen_ai.operation.name = framework, a weak value.
        ("spring.ai.kind", AttributeId.SpringAiKind),
        // Alibaba ARMS LLM trace fields, as LoongSuite's instrumentations write them (alibaba/loongsuite-python-agent,
        // loongsuite-java-agent GenAiSpanKindValues: LLM, AGENT, TOOL, EMBEDDING, RETRIEVER, RERANKER, MEMORY, ENTRY, STEP,
        // WORKFLOW; ARMS' own CHAIN, TASK), and its model key gen_ai.model_name.
        ("gen_ai.span.kind", AttributeId.GenAiSpanKind),

        ("gen_ai.provider.name", AttributeId.GenAiProviderName),
        ("gen_ai.system", AttributeId.GenAiSystem),
        ("llm.provider", AttributeId.LlmProvider),
        ("llm.system", AttributeId.LlmSystem),
        ("ai.model.provider", AttributeId.AiModelProvider),
        ("langsmith.metadata.ls_provider", AttributeId.LangsmithLsProvider),
        ("mlflow.llm.provider", AttributeId.MlflowLlmProvider), // mlflow/mlflow mlflow/tracing/constant.py MODEL_PROVIDER (JSON-quoted)

        ("gen_ai.request.model", AttributeId.GenAiRequestModel),
        // Arize-ai/openinference python/openinference-semantic-conventions/.../trace/__init__.py LLM_REQUEST_MODEL_NAME
        ("llm.request.model_name", AttributeId.LlmRequestModelName),
        ("ai.model.id", AttributeId.AiModelId),
        ("langsmith.metadata.ls_model_name", AttributeId.LangsmithLsModelName),
        ("langfuse.observation.model.name", AttributeId.LangfuseObservationModelName),
        ("gen_ai.model_name", AttributeId.GenAiModelName),
        ("mlflow.llm.model", AttributeId.MlflowLlmModel), // mlflow/mlflow mlflow/tracing/constant.py SpanAttributeKey.MODEL (JSON-quoted)
        ("llm.invocation_parameters", AttributeId.LlmInvocationParameters),

        ("gen_ai.response.model", AttributeId.GenAiResponseModel),
        // Arize-ai/openinference .../semconv/trace/__init__.py: LLM_RESPONSE_MODEL_NAME, EMBEDDING_MODEL_NAME (EMBEDDING
        // spans carry no llm.model_name), RerankerAttributes.RERANKER_MODEL_NAME.
        ("llm.response.model_name", AttributeId.LlmResponseModelName),
        ("llm.model_name", AttributeId.LlmModelName),
        ("ai.response.model", AttributeId.AiResponseModel),
        ("embedding.model_name", AttributeId.EmbeddingModelName),
        ("reranker.model_name", AttributeId.RerankerModelName),

        ("gen_ai.usage.input_tokens", AttributeId.GenAiUsageInputTokens),
        ("gen_ai.usage.prompt_tokens", AttributeId.GenAiUsagePromptTokens),
        ("llm.token_count.prompt", AttributeId.LlmTokenCountPrompt),
        ("ai.usage.inputTokens", AttributeId.AiUsageInputTokens),
        ("ai.usage.promptTokens", AttributeId.AiUsagePromptTokens),

        ("gen_ai.usage.output_tokens", AttributeId.GenAiUsageOutputTokens),
        ("gen_ai.usage.completion_tokens", AttributeId.GenAiUsageCompletionTokens),
        ("llm.token_count.completion", AttributeId.LlmTokenCountCompletion),
        ("ai.usage.outputTokens", AttributeId.AiUsageOutputTokens),
        ("ai.usage.completionTokens", AttributeId.AiUsageCompletionTokens),

        ("gen_ai.usage.total_tokens", AttributeId.GenAiUsageTotalTokens),
        ("llm.usage.total_tokens", AttributeId.LlmUsageTotalTokens),
        ("llm.token_count.total", AttributeId.LlmTokenCountTotal),
        ("ai.usage.totalTokens", AttributeId.AiUsageTotalTokens),
        ("ai.usage.tokens", AttributeId.AiUsageTokens),

        ("gen_ai.usage.cache_read.input_tokens", AttributeId.GenAiUsageCacheReadInputTokens),
        ("gen_ai.usage.cache_read_input_tokens", AttributeId.GenAiUsageCacheReadInputTokensLegacy),
        ("llm.token_count.prompt_details.cache_read", AttributeId.LlmTokenCountPromptCacheRead),
        // Arize-ai/openinference .../semconv/trace/__init__.py LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_INPUT
        ("llm.token_count.prompt_details.cache_input", AttributeId.LlmTokenCountPromptCacheInput),
        ("ai.usage.cachedInputTokens", AttributeId.AiUsageCachedInputTokens),
        // Vercel AI SDK 6 (vercel/ai packages/ai/src/generate-text/generate-text.ts): the usage details next to the v5 names.
        ("ai.usage.inputTokenDetails.cacheReadTokens", AttributeId.AiUsageInputTokenDetailsCacheReadTokens),
        // pydantic-ai: RequestUsage.cache_read_tokens, and the provider's own usage fields under gen_ai.usage.details.*
        // (pydantic/pydantic-ai pydantic_ai_slim/pydantic_ai/usage.py opentelemetry_attributes; Anthropic reports
        // cache_read_input_tokens). Langfuse reads exactly these two for the pydantic-ai scope (langfuse/langfuse
        // OtelIngestionProcessor, instrumentationScopeName === "pydantic-ai"); Logfire queries use details.cache_read_tokens.
        // Mastra's exporter before it adopted gen_ai.usage.cache_read.input_tokens (read as Mastra's by LangWatch:
        // langwatch "reads Mastra non-standard cached_input_tokens as fallback", value "150" as a string).
        ("gen_ai.usage.cached_input_tokens", AttributeId.GenAiUsageCachedInputTokens),
        ("gen_ai.usage.cache_read_tokens", AttributeId.GenAiUsageCacheReadTokens),
        ("gen_ai.usage.details.cache_read_input_tokens", AttributeId.GenAiUsageDetailsCacheReadInputTokens),
        ("gen_ai.usage.details.cache_read_tokens", AttributeId.GenAiUsageDetailsCacheReadTokens),

        ("gen_ai.usage.reasoning.output_tokens", AttributeId.GenAiUsageReasoningOutputTokens),
        ("gen_ai.usage.reasoning_tokens", AttributeId.GenAiUsageReasoningTokens),
        // traceloop/openllmetry opentelemetry-semantic-conventions-ai (legacy LLM_USAGE_REASONING_TOKENS, kept in 0.5.x)
        ("llm.usage.reasoning_tokens", AttributeId.LlmUsageReasoningTokens),
        ("llm.token_count.completion_details.reasoning", AttributeId.LlmTokenCountCompletionReasoning),
        ("ai.usage.reasoningTokens", AttributeId.AiUsageReasoningTokens),
        ("ai.usage.outputTokenDetails.reasoningTokens", AttributeId.AiUsageOutputTokenDetailsReasoningTokens), // vercel/ai 6
        ("gen_ai.usage.details.reasoning_tokens", AttributeId.GenAiUsageDetailsReasoningTokens),
        ("gen_ai.usage.details.thoughts_tokens", AttributeId.GenAiUsageDetailsThoughtsTokens),

        ("gen_ai.usage.cost", AttributeId.GenAiUsageCost),
        ("llm.cost.total", AttributeId.LlmCostTotal),
        // BerriAI/litellm litellm/integrations/opentelemetry.py set_attributes: gen_ai.cost.{key} for each key of the
        // standard logging payload's cost_breakdown (input_cost, output_cost, tool_usage_cost, total_cost).
        ("gen_ai.cost.total_cost", AttributeId.GenAiCostTotalCost),
        ("operation.cost", AttributeId.OperationCost),

        ("gen_ai.response.finish_reasons", AttributeId.GenAiResponseFinishReasons),
        // traceloop/openllmetry opentelemetry-semantic-conventions-ai: LLM_RESPONSE_FINISH_REASON / LLM_RESPONSE_STOP_REASON
        // (llm.response.*, e.g. the llama-index and bedrock instrumentations), renamed GEN_AI_RESPONSE_FINISH_REASON /
        // GEN_AI_RESPONSE_STOP_REASON (gen_ai.response.finish_reason / .stop_reason, singular) in 0.5.x.
        ("gen_ai.response.finish_reason", AttributeId.GenAiResponseFinishReason),
        ("llm.response.finish_reason", AttributeId.LlmResponseFinishReason),
        ("gen_ai.response.stop_reason", AttributeId.GenAiResponseStopReason),
        ("llm.response.stop_reason", AttributeId.LlmResponseStopReason),
        ("llm.finish_reason", AttributeId.LlmFinishReason),
        ("ai.response.finishReason", AttributeId.AiResponseFinishReason),

        ("gen_ai.tool.name", AttributeId.GenAiToolName),
        ("traceloop.entity.name", AttributeId.TraceloopEntityName),
        ("tool.name", AttributeId.ToolName),
        ("ai.toolCall.name", AttributeId.AiToolCallName),
        ("tool_call.function.name", AttributeId.ToolCallFunctionName),
        // spring-projects/spring-ai ToolCallingObservationDocumentation: TOOL_DEFINITION_NAME, TOOL_CALL_ARGUMENTS/RESULT.
        ("spring.ai.tool.definition.name", AttributeId.SpringAiToolDefinitionName),
        ("spring.ai.tool.call.arguments", AttributeId.SpringAiToolCallArguments),
        ("spring.ai.tool.call.result", AttributeId.SpringAiToolCallResult),
        // AgentOps-AI/agentops agentops/semconv/span_attributes.py AGENTOPS_ENTITY_INPUT / AGENTOPS_ENTITY_OUTPUT.
        ("agentops.entity.input", AttributeId.AgentopsEntityInput),
        ("agentops.entity.output", AttributeId.AgentopsEntityOutput),

        ("gen_ai.tool.call.arguments", AttributeId.GenAiToolCallArguments),
        ("traceloop.entity.input", AttributeId.TraceloopEntityInput),
        ("input.value", AttributeId.InputValue),
        ("ai.toolCall.args", AttributeId.AiToolCallArgs),
        ("gen_ai.tool.args", AttributeId.GenAiToolArgs),
        ("tool_arguments", AttributeId.ToolArguments),
        ("tool_call.function.arguments", AttributeId.ToolCallFunctionArguments),
        ("gcp.vertex.agent.tool_call_args", AttributeId.GcpVertexAgentToolCallArgs),
        ("gen_ai.prompt", AttributeId.GenAiPrompt),

        ("gen_ai.tool.call.result", AttributeId.GenAiToolCallResult),
        ("traceloop.entity.output", AttributeId.TraceloopEntityOutput),
        ("output.value", AttributeId.OutputValue),
        ("ai.toolCall.result", AttributeId.AiToolCallResult),
        ("tool_response", AttributeId.ToolResponse),
        ("gcp.vertex.agent.tool_response", AttributeId.GcpVertexAgentToolResponse),
        ("gen_ai.completion", AttributeId.GenAiCompletion),

        ("error.type", AttributeId.ErrorType),
        ("otel.status_code", AttributeId.OtelStatusCode),
        ("exception.type", AttributeId.ExceptionType),
        // langfuse/langfuse web/src/features/otel/server/attributes.ts OBSERVATION_LEVEL (DEBUG|DEFAULT|WARNING|ERROR).
        ("langfuse.observation.level", AttributeId.LangfuseObservationLevel),
        ("finish_reason", AttributeId.ChoiceFinishReason),
        // strands-agents/sdk-python src/strands/telemetry/tracer.py end_model_invoke_span (latest conventions): the stop
        // reason only travels as "finish_reason" inside gen_ai.output.messages of that event.
        ("gen_ai.output.messages", AttributeId.GenAiOutputMessages),
        // Azure/azure-sdk-for-js sdk/ai/ai-inference-rest/src/tracingHelper.ts addResponseChatMessageEvent: gen_ai.choice
        // events carry gen_ai.event.content = {"finish_reason":"tool_calls","index":0,"message":{...}} (the Azure AI Agents
        // SDKs write their message events the same way).
        ("gen_ai.event.content", AttributeId.GenAiEventContent),

        ("gen_ai.agent.name", AttributeId.GenAiAgentName),
        ("agent_name", AttributeId.PydanticAgentName),
        ("graph.node.id", AttributeId.GraphNodeId),

        // mlflow/mlflow mlflow/tracing/constant.py: CHAT_USAGE {"input_tokens","output_tokens","total_tokens",
        // "cache_read_input_tokens"} and LLM_COST {"input_cost","output_cost","total_cost"}, JSON objects in a string.
        ("mlflow.chat.tokenUsage", AttributeId.MlflowChatTokenUsage),
        ("mlflow.llm.cost", AttributeId.MlflowLlmCost),
        // langchain-ai/langsmith-sdk python/langsmith/_internal/otel/_otel_exporter.py: str(usage_metadata[...]), i.e. a
        // Python repr such as {'cache_read': 80, 'cache_creation': 0} / {'reasoning': 12}.
        ("gen_ai.usage.input_token_details", AttributeId.GenAiUsageInputTokenDetails),
        ("gen_ai.usage.output_token_details", AttributeId.GenAiUsageOutputTokenDetails),
        // langfuse/langfuse web/src/features/otel/server/attributes.ts OBSERVATION_USAGE_DETAILS / OBSERVATION_COST_DETAILS:
        // JSON objects in a string ({"input": 10, "output": 5, "total": 15} or the provider's own names).
        ("langfuse.observation.usage_details", AttributeId.LangfuseObservationUsageDetails),
        ("langfuse.observation.cost_details", AttributeId.LangfuseObservationCostDetails),
        // pydantic/logfire logfire/_internal/integrations/llm_providers/semconv.py USAGE_RAW, set by usage.py
        // get_usage_attributes: usage.model_dump() (OpenAI prompt_tokens_details.cached_tokens, completion_tokens_details.
        // reasoning_tokens; Anthropic cache_read_input_tokens), a JSON object in a string.
        ("gen_ai.usage.raw", AttributeId.GenAiUsageRaw),
        // google/adk-python src/google/adk/telemetry/tracing.py trace_call_llm: llm_response.model_dump_json(exclude_none=True).
        ("gcp.vertex.agent.llm_response", AttributeId.GcpVertexAgentLlmResponse),

        // Retrieval. OTel GenAI (open-telemetry/semantic-conventions model/gen-ai/registry.yaml): gen_ai.retrieval.documents,
        // a list of {id, score, ...} (a JSON string where structured values are not supported). OpenInference's flattened
        // retrieval.documents.{i}.document.* keys are matched by pattern (LookupPattern).
        ("gen_ai.retrieval.documents", AttributeId.GenAiRetrievalDocuments),
        // traceloop/openllmetry opentelemetry-semantic-conventions-ai: VECTOR_DB_QUERY_TOP_K on vector queries (qdrant,
        // azure search, ...); the results are one db.query.result / db.search.result event each (pinecone, chroma, milvus,
        // marqo), scored by db.query.result.score / db.search.result.score (a distance is not a relevance score).
        ("db.vector.query.top_k", AttributeId.DbVectorQueryTopK),
        ("db.query.result.score", AttributeId.DbQueryResultScore),
        ("db.search.result.score", AttributeId.DbQueryResultScore),
        ("db.pinecone.query.result.score", AttributeId.DbQueryResultScore), // opentelemetry-instrumentation-pinecone < 0.9

        // Set by AgentSentinel's flag clients on the spans of each request: which route served it (SpanRouteHint).
        ("agentsentinel.route", AttributeId.AgentSentinelRoute),
    ];

    private static readonly byte[] CompletionPrefix = "gen_ai.completion."u8.ToArray();
    private static readonly byte[] FinishReasonSuffix = ".finish_reason"u8.ToArray();
    private static readonly byte[] DocumentsPrefix = "retrieval.documents."u8.ToArray();
    private static readonly byte[] DocumentInfix = "document."u8.ToArray();
    private static readonly byte[] ScoreSuffix = "score"u8.ToArray();

    /// <summary>The largest document index taken from a key (bigger ones are not a document list anyone returns).</summary>
    public const int MaxDocumentIndex = 1 << 20;

    // A small open-addressing index (linear probing, load factor <= 1/8, 2 bytes a bucket) over a dense array of
    // entries, keyed by (length, first 8 bytes, last 8 bytes): both stay in L1 next to the payload. A miss is usually
    // one load of an empty bucket; a hit one bucket and one entry, plus a comparison of the middle for long keys.
    private readonly ushort[] _index;
    private readonly Slot[] _slots;
    private readonly int _shift;
    private readonly AttributeKey _completionFinishReason;

    /// <param name="spanAgentKeys">Span attribute keys naming the agent, best first.</param>
    /// <param name="resourceAgentKeys">Resource attribute keys naming the agent, best first.</param>
    public AttributeKeyTable(IReadOnlyList<string> spanAgentKeys, IReadOnlyList<string> resourceAgentKeys)
    {
        ArgumentNullException.ThrowIfNull(spanAgentKeys);
        ArgumentNullException.ThrowIfNull(resourceAgentKeys);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spanAgentKeys.Count, 254);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resourceAgentKeys.Count, 254);

        var entries = new Dictionary<string, AttributeKey>(StringComparer.Ordinal);
        foreach (var (key, id) in KnownKeys)
        {
            entries[key] = new AttributeKey(id, FlagsFor(id), -1, -1);
        }

        for (var i = 0; i < spanAgentKeys.Count; i++)
        {
            var key = spanAgentKeys[i];
            var existing = entries.TryGetValue(key, out var e) ? e : new AttributeKey(AttributeId.ConfiguredAgentKey, AttributeKeyFlags.Wanted, -1, -1);
            if (existing.SpanAgentRank < 0)
            {
                entries[key] = existing.WithSpanAgentRank(i);
            }
        }

        for (var i = 0; i < resourceAgentKeys.Count; i++)
        {
            var key = resourceAgentKeys[i];
            var existing = entries.TryGetValue(key, out var e) ? e : new AttributeKey(AttributeId.ConfiguredAgentKey, AttributeKeyFlags.Wanted, -1, -1);
            if (existing.ResourceAgentRank < 0)
            {
                entries[key] = existing.WithResourceAgentRank(i);
            }
        }

        var bits = Math.Max(8, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)entries.Count * 8)));
        _shift = 64 - bits;
        _index = new ushort[1 << bits];
        _slots = new Slot[entries.Count];
        var mask = _index.Length - 1;
        var count = 0;
        foreach (var (key, value) in entries)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            var first = First(bytes);
            var last = Last(bytes);
            var index = Index(bytes.Length, first, last);
            while (_index[index] != 0)
            {
                index = (index + 1) & mask;
            }

            _slots[count] = new Slot
            {
                First = first,
                Word8 = bytes.Length >= 16 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)) : 0,
                Word16 = bytes.Length >= 24 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)) : 0,
                Last = last,
                Bytes = bytes,
                Value = value,
                Length = bytes.Length,
            };
            _index[index] = (ushort)++count;
        }

        _completionFinishReason = new AttributeKey(
            AttributeId.GenAiCompletionFinishReason, FlagsFor(AttributeId.GenAiCompletionFinishReason), -1, -1);
    }

    /// <summary>
    /// One hash of the length and the first and last 8 bytes, then a probe: keys of up to 16 bytes are told apart by
    /// those alone; longer ones that match them have their middle compared. A miss, the common case, is a few cycles.
    /// </summary>
    public AttributeKey Lookup(ReadOnlySpan<byte> key)
    {
        var length = key.Length;
        ulong first, last;
        if (length >= 8)
        {
            first = BinaryPrimitives.ReadUInt64LittleEndian(key);
            last = BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(length - 8));
        }
        else
        {
            first = First(key);
            last = 0;
        }

        var buckets = _index;
        var slots = _slots;
        var mask = buckets.Length - 1;
        var index = Index(length, first, last);
        int entry;
        while ((entry = buckets[index]) != 0)
        {
            ref readonly var slot = ref slots[entry - 1];
            if (slot.Length == length && slot.First == first && slot.Last == last && (length <= 16 || MiddleEquals(key, slot)))
            {
                return slot.Value;
            }

            index = (index + 1) & mask;
        }

        return LookupPattern(key);
    }

    /// <summary>
    /// Bytes 8 .. length - 8 of a key longer than 16 bytes whose ends already match: up to 32 bytes the words at 8 and
    /// 16 cover them (no loop, no indirection); longer keys are compared in full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool MiddleEquals(ReadOnlySpan<byte> key, in Slot slot)
    {
        if (key.Length > 32)
        {
            return key.SequenceEqual(slot.Bytes);
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(8)) == slot.Word8
            && (key.Length <= 24 || BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(16)) == slot.Word16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(int length, ulong first, ulong last) =>
        (int)(((first + BitOperations.RotateLeft(last, 29)) ^ (ulong)length) * 0x9E3779B97F4A7C15UL >> _shift);

    /// <summary>
    /// Keys matched by pattern: gen_ai.completion.{i}.finish_reason (OpenLLMetry legacy, one key per choice), and
    /// OpenInference's retrieval.documents.{i}.document.{id,score,content,metadata} (Arize-ai/openinference
    /// spec/semantic_conventions.md), whose index travels in the key (<see cref="AttributeKey.Index"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private AttributeKey LookupPattern(ReadOnlySpan<byte> key)
    {
        var length = key.Length;
        if (length > CompletionPrefix.Length + FinishReasonSuffix.Length
            && key[0] == (byte)'g'
            && key.EndsWith(FinishReasonSuffix)
            && key.StartsWith(CompletionPrefix))
        {
            return _completionFinishReason;
        }

        if (length > DocumentsPrefix.Length + 2 + DocumentInfix.Length && key[0] == (byte)'r' && key.StartsWith(DocumentsPrefix))
        {
            return LookupDocumentKey(key[DocumentsPrefix.Length..]);
        }

        return AttributeKey.Unknown;
    }

    /// <summary>{i}.document.{field}: the index parsed from the bytes (no allocation), the score told apart.</summary>
    private static AttributeKey LookupDocumentKey(ReadOnlySpan<byte> rest)
    {
        var index = 0;
        var digits = 0;
        while (digits < rest.Length && rest[digits] is >= (byte)'0' and <= (byte)'9')
        {
            index = (index * 10) + (rest[digits] - '0');
            if (++digits > 7 || index > MaxDocumentIndex)
            {
                return AttributeKey.Unknown;
            }
        }

        if (digits == 0 || digits >= rest.Length || rest[digits] != (byte)'.' || !rest[(digits + 1)..].StartsWith(DocumentInfix))
        {
            return AttributeKey.Unknown;
        }

        var field = rest[(digits + 1 + DocumentInfix.Length)..];
        if (field.IsEmpty)
        {
            return AttributeKey.Unknown;
        }

        var id = field.SequenceEqual(ScoreSuffix) ? AttributeId.RetrievalDocumentScore : AttributeId.RetrievalDocument;
        return new AttributeKey(id, AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred, -1, -1, index);
    }

    private static ulong First(ReadOnlySpan<byte> key)
    {
        if (key.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt64LittleEndian(key);
        }

        ulong value = 0;
        for (var i = 0; i < key.Length; i++)
        {
            value |= (ulong)key[i] << (i * 8);
        }

        return value;
    }

    private static ulong Last(ReadOnlySpan<byte> key) =>
        key.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(key[^8..]) : 0;

    private static AttributeKeyFlags FlagsFor(AttributeId id) => id switch
    {
        AttributeId.LlmInvocationParameters => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred,
        // Raw (never unescaped, never copied): only scanned for "finish_reason" values.
        AttributeId.GenAiOutputMessages or AttributeId.GenAiEventContent => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred,
        // Raw: scanned once at the end of the span for two counts (never unescaped, never copied).
        AttributeId.GcpVertexAgentLlmResponse => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred,
        // Raw: a JSON list read once, at the end of the span (never copied, contents never kept).
        AttributeId.GenAiRetrievalDocuments => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred,
        >= AttributeId.GenAiResponseFinishReasons and <= AttributeId.AiResponseFinishReason or AttributeId.ChoiceFinishReason
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.ArrayElements,
        >= AttributeId.GenAiToolCallArguments and <= AttributeId.GenAiCompletion
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred | AttributeKeyFlags.StructureHash,
        _ => AttributeKeyFlags.Wanted,
    };

    private struct Slot
    {
        public ulong First;
        public ulong Word8;
        public ulong Word16;
        public ulong Last;
        public byte[] Bytes;
        public AttributeKey Value;

        public int Length;
    }
}
