using System.Buffers.Binary;
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
/// The classification of one attribute key, packed in 32 bits (id, flags, span-agent rank + 1, resource-agent rank + 1)
/// so that it travels in a register: a struct of four byte fields was assembled through memory at every call.
/// </summary>
internal readonly struct AttributeKey : IEquatable<AttributeKey>
{
    public static AttributeKey Unknown => default;

    private readonly uint _bits;

    public AttributeKey(AttributeId id, AttributeKeyFlags flags, int spanAgentRank, int resourceAgentRank) =>
        _bits = (uint)id | ((uint)flags << 8) | ((uint)(spanAgentRank + 1) << 16) | ((uint)(resourceAgentRank + 1) << 24);

    public AttributeId Id => (AttributeId)(byte)_bits;

    public AttributeKeyFlags Flags => (AttributeKeyFlags)(byte)(_bits >> 8);

    /// <summary>Rank in the configured span agent keys, or -1.</summary>
    public int SpanAgentRank => (int)((_bits >> 16) & 0xFF) - 1;

    /// <summary>Rank in the configured resource agent keys, or -1.</summary>
    public int ResourceAgentRank => (int)(_bits >> 24) - 1;

    public bool IsWanted => (_bits & ((uint)AttributeKeyFlags.Wanted << 8)) != 0;

    public bool IsDeferred => (_bits & ((uint)AttributeKeyFlags.Deferred << 8)) != 0;

    public bool WantsArrayElements => (_bits & ((uint)AttributeKeyFlags.ArrayElements << 8)) != 0;

    public bool WantsStructureHash => (_bits & ((uint)AttributeKeyFlags.StructureHash << 8)) != 0;

    public static bool operator ==(AttributeKey left, AttributeKey right) => left._bits == right._bits;

    public static bool operator !=(AttributeKey left, AttributeKey right) => left._bits != right._bits;

    public AttributeKey WithSpanAgentRank(int rank) => new(Id, Flags, rank, ResourceAgentRank);

    public AttributeKey WithResourceAgentRank(int rank) => new(Id, Flags, SpanAgentRank, rank);

    public bool Equals(AttributeKey other) => _bits == other._bits;

    public override bool Equals(object? obj) => obj is AttributeKey other && Equals(other);

    public override int GetHashCode() => (int)_bits;

    public override string ToString() => $"{Id} {Flags} span:{SpanAgentRank} resource:{ResourceAgentRank}";
}

/// <summary>
/// Maps attribute keys (UTF-8 bytes, straight from the payload) to <see cref="AttributeKey"/> without allocating.
/// Keys are bucketed by length and told apart by their first and last 8 bytes, so a miss (the common case: most keys
/// are content or framework noise) costs an array index and a couple of integer compares, and a full byte comparison
/// only happens for a real candidate.
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

    // Entries sorted by key length; _bucketStart[length] .. _bucketStart[length + 1] are the keys of that length.
    private readonly int[] _bucketStart;
    private readonly ulong[] _first;
    private readonly ulong[] _last;
    private readonly byte[][] _bytes;
    private readonly AttributeKey[] _values;
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

        var sorted = entries
            .Select(pair => (Bytes: Encoding.UTF8.GetBytes(pair.Key), Value: pair.Value))
            .OrderBy(entry => entry.Bytes.Length)
            .ToArray();
        var maxLength = sorted[^1].Bytes.Length;
        _bucketStart = new int[maxLength + 2];
        _first = new ulong[sorted.Length];
        _last = new ulong[sorted.Length];
        _bytes = new byte[sorted.Length][];
        _values = new AttributeKey[sorted.Length];
        var index = 0;
        for (var length = 0; length <= maxLength; length++)
        {
            _bucketStart[length] = index;
            while (index < sorted.Length && sorted[index].Bytes.Length == length)
            {
                var bytes = sorted[index].Bytes;
                _first[index] = First(bytes);
                _last[index] = Last(bytes);
                _bytes[index] = bytes;
                _values[index] = sorted[index].Value;
                index++;
            }
        }

        _bucketStart[maxLength + 1] = index;
        _completionFinishReason = new AttributeKey(
            AttributeId.GenAiCompletionFinishReason, FlagsFor(AttributeId.GenAiCompletionFinishReason), -1, -1);
    }

    /// <summary>
    /// Keys of the same length are compared by their first and last 8 bytes (two integer compares), and only a match of
    /// both on a key longer than 16 bytes costs a full comparison: a miss, the common case, is a few cycles.
    /// </summary>
    public AttributeKey Lookup(ReadOnlySpan<byte> key)
    {
        var length = key.Length;
        if ((uint)length + 1 < (uint)_bucketStart.Length && length >= 8)
        {
            var from = _bucketStart[length];
            var to = _bucketStart[length + 1];
            if (from < to)
            {
                var first = BinaryPrimitives.ReadUInt64LittleEndian(key);
                var last = BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(length - 8));
                for (var i = from; i < to; i++)
                {
                    if (_first[i] == first && _last[i] == last && (length <= 16 || MiddleEquals(key, _bytes[i])))
                    {
                        return _values[i];
                    }
                }
            }
        }
        else if ((uint)length + 1 < (uint)_bucketStart.Length)
        {
            var from = _bucketStart[length];
            var to = _bucketStart[length + 1];
            var first = First(key);
            for (var i = from; i < to; i++)
            {
                if (_first[i] == first)
                {
                    return _values[i];
                }
            }
        }

        return LookupPattern(key);
    }

    /// <summary>Keys matched by pattern: gen_ai.completion.{i}.finish_reason (OpenLLMetry legacy, one key per choice).</summary>
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

        return AttributeKey.Unknown;
    }

    /// <summary>Compares bytes 8 .. length - 8 (the ends are already known equal) eight at a time.</summary>
    private static bool MiddleEquals(ReadOnlySpan<byte> key, byte[] candidate)
    {
        if (candidate.Length != key.Length)
        {
            return false;
        }

        var limit = key.Length - 8;
        for (var offset = 8; offset < limit; offset += 8)
        {
            var at = Math.Min(offset, limit);
            if (BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(at)) != BinaryPrimitives.ReadUInt64LittleEndian(candidate.AsSpan(at)))
            {
                return false;
            }
        }

        return true;
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
        AttributeId.GenAiResponseFinishReasons or AttributeId.GenAiCompletionFinishReason
            or AttributeId.LlmFinishReason or AttributeId.AiResponseFinishReason or AttributeId.ChoiceFinishReason
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.ArrayElements,
        >= AttributeId.GenAiToolCallArguments and <= AttributeId.GenAiCompletion
            => AttributeKeyFlags.Wanted | AttributeKeyFlags.Deferred | AttributeKeyFlags.StructureHash,
        _ => AttributeKeyFlags.Wanted,
    };
}
