using System.Buffers.Binary;
using System.Numerics;
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

/// <summary>The classification of one attribute key.</summary>
internal readonly record struct AttributeKey(AttributeId Id, AttributeKeyFlags Flags, sbyte SpanAgentRank, sbyte ResourceAgentRank)
{
    public static readonly AttributeKey Unknown = new(AttributeId.None, AttributeKeyFlags.None, -1, -1);

    public bool IsWanted => (Flags & AttributeKeyFlags.Wanted) != 0;

    public bool IsDeferred => (Flags & AttributeKeyFlags.Deferred) != 0;

    public bool WantsArrayElements => (Flags & AttributeKeyFlags.ArrayElements) != 0;

    public bool WantsStructureHash => (Flags & AttributeKeyFlags.StructureHash) != 0;
}

/// <summary>
/// Maps attribute keys (UTF-8 bytes, straight from the payload) to <see cref="AttributeKey"/> without allocating.
/// Open addressing with linear probing over a table at most a quarter full; the hash mixes the length and three
/// 8-byte words of the key, so a miss (the common case: most keys are content or framework noise) usually costs
/// one hash and one probe, and a byte comparison only happens when the 64-bit hashes agree.
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

        ("gen_ai.provider.name", AttributeId.GenAiProviderName),
        ("gen_ai.system", AttributeId.GenAiSystem),
        ("llm.provider", AttributeId.LlmProvider),
        ("llm.system", AttributeId.LlmSystem),
        ("ai.model.provider", AttributeId.AiModelProvider),
        ("langsmith.metadata.ls_provider", AttributeId.LangsmithLsProvider),

        ("gen_ai.request.model", AttributeId.GenAiRequestModel),
        ("ai.model.id", AttributeId.AiModelId),
        ("langsmith.metadata.ls_model_name", AttributeId.LangsmithLsModelName),
        ("langfuse.observation.model.name", AttributeId.LangfuseObservationModelName),
        ("llm.invocation_parameters", AttributeId.LlmInvocationParameters),

        ("gen_ai.response.model", AttributeId.GenAiResponseModel),
        ("llm.model_name", AttributeId.LlmModelName),
        ("ai.response.model", AttributeId.AiResponseModel),

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
        ("ai.usage.cachedInputTokens", AttributeId.AiUsageCachedInputTokens),

        ("gen_ai.usage.reasoning.output_tokens", AttributeId.GenAiUsageReasoningOutputTokens),
        ("gen_ai.usage.reasoning_tokens", AttributeId.GenAiUsageReasoningTokens),
        ("llm.token_count.completion_details.reasoning", AttributeId.LlmTokenCountCompletionReasoning),
        ("ai.usage.reasoningTokens", AttributeId.AiUsageReasoningTokens),
        ("gen_ai.usage.details.reasoning_tokens", AttributeId.GenAiUsageDetailsReasoningTokens),
        ("gen_ai.usage.details.thoughts_tokens", AttributeId.GenAiUsageDetailsThoughtsTokens),

        ("gen_ai.usage.cost", AttributeId.GenAiUsageCost),
        ("llm.cost.total", AttributeId.LlmCostTotal),
        ("operation.cost", AttributeId.OperationCost),

        ("gen_ai.response.finish_reasons", AttributeId.GenAiResponseFinishReasons),
        ("llm.finish_reason", AttributeId.LlmFinishReason),
        ("ai.response.finishReason", AttributeId.AiResponseFinishReason),

        ("gen_ai.tool.name", AttributeId.GenAiToolName),
        ("traceloop.entity.name", AttributeId.TraceloopEntityName),
        ("tool.name", AttributeId.ToolName),
        ("ai.toolCall.name", AttributeId.AiToolCallName),
        ("tool_call.function.name", AttributeId.ToolCallFunctionName),

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
        ("finish_reason", AttributeId.ChoiceFinishReason),

        ("gen_ai.agent.name", AttributeId.GenAiAgentName),
        ("agent_name", AttributeId.PydanticAgentName),
        ("graph.node.id", AttributeId.GraphNodeId),
    ];

    private static readonly byte[] CompletionPrefix = "gen_ai.completion."u8.ToArray();
    private static readonly byte[] FinishReasonSuffix = ".finish_reason"u8.ToArray();

    private readonly byte[]?[] _keys;
    private readonly ulong[] _hashes;
    private readonly AttributeKey[] _values;
    private readonly int _mask;
    private readonly int _minLength;
    private readonly int _maxLength;
    private readonly AttributeKey _completionFinishReason;

    /// <param name="spanAgentKeys">Span attribute keys naming the agent, best first.</param>
    /// <param name="resourceAgentKeys">Resource attribute keys naming the agent, best first.</param>
    public AttributeKeyTable(IReadOnlyList<string> spanAgentKeys, IReadOnlyList<string> resourceAgentKeys)
    {
        ArgumentNullException.ThrowIfNull(spanAgentKeys);
        ArgumentNullException.ThrowIfNull(resourceAgentKeys);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spanAgentKeys.Count, sbyte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resourceAgentKeys.Count, sbyte.MaxValue);

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
                entries[key] = existing with { SpanAgentRank = (sbyte)i };
            }
        }

        for (var i = 0; i < resourceAgentKeys.Count; i++)
        {
            var key = resourceAgentKeys[i];
            var existing = entries.TryGetValue(key, out var e) ? e : new AttributeKey(AttributeId.ConfiguredAgentKey, AttributeKeyFlags.Wanted, -1, -1);
            if (existing.ResourceAgentRank < 0)
            {
                entries[key] = existing with { ResourceAgentRank = (sbyte)i };
            }
        }

        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, entries.Count * 4));
        _keys = new byte[size][];
        _hashes = new ulong[size];
        _values = new AttributeKey[size];
        _mask = size - 1;
        _minLength = int.MaxValue;
        foreach (var (key, value) in entries)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            _minLength = Math.Min(_minLength, bytes.Length);
            _maxLength = Math.Max(_maxLength, bytes.Length);
            var hash = Hash(bytes);
            var slot = (int)hash & _mask;
            while (_keys[slot] is not null)
            {
                slot = (slot + 1) & _mask;
            }

            _keys[slot] = bytes;
            _hashes[slot] = hash;
            _values[slot] = value;
        }

        _completionFinishReason = new AttributeKey(
            AttributeId.GenAiCompletionFinishReason, FlagsFor(AttributeId.GenAiCompletionFinishReason), -1, -1);

        SpanAgentRankCount = spanAgentKeys.Count;
    }

    /// <summary>The rank given to an agent name derived from a span name (after every configured key).</summary>
    public int SpanAgentRankCount { get; }

    public AttributeKey Lookup(ReadOnlySpan<byte> key)
    {
        if (key.Length >= _minLength && key.Length <= _maxLength)
        {
            var hash = Hash(key);
            var slot = (int)hash & _mask;
            for (var probe = 0; probe <= _mask; probe++)
            {
                var candidate = _keys[slot];
                if (candidate is null)
                {
                    break;
                }

                if (_hashes[slot] == hash && key.SequenceEqual(candidate))
                {
                    return _values[slot];
                }

                slot = (slot + 1) & _mask;
            }
        }

        // gen_ai.completion.{i}.finish_reason (OpenLLMetry legacy, one key per choice).
        if (key.Length > CompletionPrefix.Length + FinishReasonSuffix.Length
            && key[0] == (byte)'g'
            && key.EndsWith(FinishReasonSuffix)
            && key.StartsWith(CompletionPrefix))
        {
            return _completionFinishReason;
        }

        return AttributeKey.Unknown;
    }

    private static AttributeKeyFlags FlagsFor(AttributeId id) => id switch
    {
        AttributeId.LlmInvocationParameters => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred,
        AttributeId.GenAiResponseFinishReasons or AttributeId.GenAiCompletionFinishReason
            or AttributeId.LlmFinishReason or AttributeId.AiResponseFinishReason or AttributeId.ChoiceFinishReason
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.ArrayElements,
        >= AttributeId.GenAiToolCallArguments and <= AttributeId.GenAiCompletion
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred | AttributeKeyFlags.StructureHash,
        _ => AttributeKeyFlags.Wanted,
    };

    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        ulong first, middle, last;
        if (key.Length >= 8)
        {
            first = BinaryPrimitives.ReadUInt64LittleEndian(key);
            middle = BinaryPrimitives.ReadUInt64LittleEndian(key.Slice((key.Length - 8) >> 1, 8));
            last = BinaryPrimitives.ReadUInt64LittleEndian(key[^8..]);
        }
        else
        {
            first = 0;
            for (var i = 0; i < key.Length; i++)
            {
                first |= (ulong)key[i] << (i * 8);
            }

            middle = 0;
            last = 0;
        }

        var h = ((ulong)key.Length * 0x9E3779B97F4A7C15UL) ^ (first * 0xC2B2AE3D27D4EB4FUL);
        h = (h ^ (h >> 31)) + (middle * 0x165667B19E3779F9UL);
        h = (h ^ (h >> 29)) + (last * 0xD6E8FEB86659FD93UL);
        h ^= h >> 32;
        return h;
    }
}
