using System.Buffers.Text;
using System.Globalization;
using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>Which attribute list a value belongs to.</summary>
internal enum AttributeTarget : byte
{
    Resource,
    Span,
    Event,
}

/// <summary>
/// Turns the attributes of one span, fed one by one by a wire reader (protobuf or JSON), into an
/// <see cref="AgentSpan"/>. Both readers share it, so the two encodings cannot drift apart.
/// <para>
/// Precedence is "first match wins" per concept, in the column order of the mapping table (current OTel GenAI, legacy
/// OTel, OpenLLMetry, OpenInference, Vercel AI SDK, LangSmith, OpenLIT/pydantic-ai): each concept keeps the best
/// candidate seen so far, so the order of attributes in the span does not matter. Decisions that depend on the span as a
/// whole (span-name fallbacks, tool fields only on tool spans, conditional agent keys) are taken in <see cref="EndSpan"/>.
/// </para>
/// <para>
/// Not thread-safe; <see cref="Rent"/> hands out one instance per thread and call, so decoders stay thread-safe and
/// allocation-free in steady state.
/// </para>
/// </summary>
internal sealed class SpanNormalizer
{
    private const int NameCapacity = 256;
    private const int MaxCachedScratch = 64 * 1024;
    private const int MaxModelLength = 256;
    private const int RecentSlots = 8;
    private const int MaxMemoLength = 256;
    private const int ProviderSlot = 0;
    private const int RequestModelSlot = 1;
    private const int ResponseModelSlot = 2;
    private const int AgentSlot = 3;
    private const int ToolSlot = 4;
    private const int ResourceSlot = 5;
    private const int OtherSlot = 6;

    /// <summary>OpenInference document indices below this are counted exactly (a bit set); above, the largest index counts.</summary>
    private const int DocumentBits = 256;

    // The last priority of each count concept: serialised usage objects rank after them.
    private const int LastInputPriority = AttributeId.AiUsagePromptTokens - AttributeId.GenAiUsageInputTokens;
    private const int LastOutputPriority = AttributeId.AiUsageCompletionTokens - AttributeId.GenAiUsageOutputTokens;
    private const int LastTotalPriority = AttributeId.AiUsageTokens - AttributeId.GenAiUsageTotalTokens;
    private const int LastCachedPriority = AttributeId.GenAiUsageDetailsCacheReadTokens - AttributeId.GenAiUsageCacheReadInputTokens;
    private const int LastReasoningPriority = AttributeId.GenAiUsageDetailsThoughtsTokens - AttributeId.GenAiUsageReasoningOutputTokens;
    private const int LastCostPriority = AttributeId.OperationCost - AttributeId.GenAiUsageCost;

    /// <summary>Finish reasons from gen_ai.choice events rank after every finish-reason attribute.</summary>
    private const int ChoiceEventFinishPriority = AttributeId.AiResponseFinishReason - AttributeId.GenAiResponseFinishReasons + 1;

    /// <summary>Token counts from a span event (gen_ai.client.inference.operation.details) rank after every serialised usage object.</summary>
    private const int EventUsagePriority = 16 + AttributeId.AiUsageCompletionTokens - AttributeId.GenAiUsageOutputTokens;

    [ThreadStatic]
    private static SpanNormalizer? _threadCache;

    private readonly byte[] _name = new byte[NameCapacity];

    // Last value interned per concept: consecutive spans of a batch mostly repeat them, so one byte comparison
    // replaces a hash and a table probe.
    private readonly Utf8StringCache.Entry?[] _recent = new Utf8StringCache.Entry?[RecentSlots * 2];
    private byte[] _scratch = new byte[1024];

    // Last llm.invocation_parameters seen (unescaped, payload-backed) and the model read from it: OpenInference repeats
    // the same parameters on every LLM span of a run, so a byte comparison replaces a JSON scan.
    private readonly byte[] _lastInvocation = new byte[MaxMemoLength];
    private int _lastInvocationLength = -1;
    private string? _lastInvocationModel;

    // Last raw tool arguments and tool result hashed (one memo each) and their hashes: consecutive tool spans often
    // repeat them, so a byte comparison replaces a byte-at-a-time hash.
    private readonly byte[][] _lastHashed = [new byte[MaxMemoLength], new byte[MaxMemoLength]];
    private readonly int[] _lastHashedLength = [-1, -1];
    private readonly ulong[] _lastHash = new ulong[2];
    private NormalizerSettings _settings = null!;
    private NormalizerSettings? _lastSettings;
    private SpanBatch _batch = null!;

    private int _resourceStart;
    private string? _resourceAgent;
    private int _resourceAgentRank;

    // The attributes of the current resource, encoded for the resource cache (ResourceAttributesCache.TryAppend).
    private byte[] _resource = new byte[512];
    private int _resourceLength;

    private SpanState _span;

    // The names of the span, apart from the value fields: a struct without references is cleared with vector stores.
    private SpanNames _names;
    private EventKind _eventKind;
    private string? _eventExceptionType;
    private FinishReasons _eventFinishReasons;
    private double _eventScore;
    private bool _eventScored;
    private long _eventInput;
    private long _eventOutput;

    /// <summary>Takes this thread's instance (or a new one) and binds it to one decode call.</summary>
    public static SpanNormalizer Rent(NormalizerSettings settings, SpanBatch batch)
    {
        var normalizer = _threadCache ?? new SpanNormalizer();
        _threadCache = null;
        if (!ReferenceEquals(normalizer._lastSettings, settings))
        {
            // The remembered names belong to another decoder's intern table: start afresh, so that this decoder's
            // table is the one warmed up (and steady state stays allocation-free).
            normalizer._lastSettings = settings;
            Array.Clear(normalizer._recent);
            normalizer._lastInvocationLength = -1;
            normalizer._lastInvocationModel = null;
        }

        normalizer._settings = settings;
        normalizer._batch = batch;
        return normalizer;
    }

    public static void Return(SpanNormalizer normalizer)
    {
        normalizer._batch = null!;
        normalizer._settings = null!;
        normalizer._resourceAgent = null;
        normalizer._span = default;
        normalizer._names = default;
        _threadCache = normalizer;
    }

    // ---------------------------------------------------------------- resources

    public void BeginResourceSpans()
    {
        _resourceStart = _batch.Count;
        _resourceAgent = null;
        _resourceAgentRank = 0;
        _resourceLength = 0;
    }

    /// <summary>
    /// Stamps the resource's agent and its attributes (one shared, interned instance; <see cref="ResourceAttributes.Empty"/>
    /// when it has none) on the spans of this ResourceSpans (fields may arrive in any order).
    /// </summary>
    public void EndResourceSpans()
    {
        if (_resourceStart == _batch.Count)
        {
            return;
        }

        var resource = _settings.Resources.GetOrAdd(new ReadOnlySpan<byte>(_resource, 0, _resourceLength));
        var agent = _resourceAgent;
        for (var i = _resourceStart; i < _batch.Count; i++)
        {
            ref var span = ref _batch[i];
            span.Resource = resource;
            span.ResourceAgent = agent;
        }
    }

    /// <summary>
    /// One attribute of the resource, whatever its key (readers deliver every resource attribute here, and the wanted ones
    /// to <see cref="OnAttribute"/> as well). Strings are kept, bools and numbers rendered invariantly; bytes, arrays and
    /// key-value lists are skipped, and so are over-long keys or values.
    /// </summary>
    public void OnResourceEntry(ReadOnlySpan<byte> key, in AttributeValue value)
    {
        Span<byte> number = stackalloc byte[32];
        scoped ReadOnlySpan<byte> text;
        int written;
        switch (value.Kind)
        {
            case AnyValueKind.String when !value.IsEscaped:
                text = value.Utf8;
                break;
            case AnyValueKind.Bool:
                text = value.Bool ? "true"u8 : "false"u8;
                break;
            case AnyValueKind.Int when Utf8Formatter.TryFormat(value.Int, number, out written):
                text = number[..written];
                break;
            case AnyValueKind.Double when value.Double.TryFormat(number, out written, default, CultureInfo.InvariantCulture):
                text = number[..written];
                break;
            default:
                return;
        }

        ResourceAttributesCache.TryAppend(ref _resource, ref _resourceLength, key, text);
    }

    // ---------------------------------------------------------------- spans

    public void BeginSpan()
    {
        _span = default;
        _names = default;
    }

    public void SetTraceId(TraceId id) => _span.TraceId = id;

    public void SetSpanId(SpanId id) => _span.SpanId = id;

    public void SetParentSpanId(SpanId id) => _span.ParentSpanId = id;

    public void SetStartTime(long unixNano) => _span.Start = unixNano;

    public void SetEndTime(long unixNano) => _span.End = unixNano;

    public void SetStatusCode(long code) => _span.StatusError = code == 2;

    /// <summary>Copies the span name (up to 256 bytes; a longer name is ignored by the name rules).</summary>
    public void SetSpanName(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > NameCapacity)
        {
            _span.NameLength = -1;
            return;
        }

        utf8.CopyTo(_name);
        _span.NameLength = utf8.Length;
    }

    public void BeginEvent()
    {
        _eventKind = EventKind.Other;
        _eventExceptionType = null;
        _eventFinishReasons = FinishReasons.None;
        _eventScored = false;
        _eventInput = -1;
        _eventOutput = -1;
    }

    public void SetEventName(ReadOnlySpan<byte> utf8) =>
        _eventKind = utf8.SequenceEqual("exception"u8) ? EventKind.Exception
            : utf8.SequenceEqual("gen_ai.choice"u8) || utf8.SequenceEqual("gen_ai.client.inference.operation.details"u8) ? EventKind.Choice
            : utf8.SequenceEqual("db.query.result"u8) || utf8.SequenceEqual("db.search.result"u8) || utf8.SequenceEqual("db.pinecone.query.result"u8)
                ? EventKind.RetrievalResult
            : EventKind.Other;

    /// <summary>
    /// Applies an <c>exception</c> event (error, exception.type), a <c>gen_ai.choice</c> event (finish_reason), or an
    /// OpenLLMetry vector-DB result event (one retrieved document, maybe scored).
    /// </summary>
    public void EndEvent()
    {
        if (_eventKind == EventKind.RetrievalResult)
        {
            ref var s = ref _span;
            s.ResultEvents++;
            if (_eventScored && (!s.ResultEventScored || _eventScore > s.ResultEventTopScore))
            {
                s.ResultEventTopScore = _eventScore;
                s.ResultEventScored = true;
            }

            return;
        }

        if (_eventKind == EventKind.Exception)
        {
            _span.ExceptionEvent = true;
            if (_eventExceptionType is not null && Better(ref _span.ErrorTypePri, 1))
            {
                _names.ErrorType = _eventExceptionType;
            }
        }
        else if (_eventKind == EventKind.Choice)
        {
            if (_eventFinishReasons != FinishReasons.None && BetterOrEqual(ref _span.FinishPri, ChoiceEventFinishPriority))
            {
                _span.FinishReasons |= _eventFinishReasons;
            }

            // The gen_ai.client.inference.operation.details event repeats the span's attributes (usage included): it only
            // fills counts the span itself did not report, after every other source.
            if (_eventInput >= 0 && Better(ref _span.InputPri, EventUsagePriority))
            {
                _span.Input = _eventInput;
            }

            if (_eventOutput >= 0 && Better(ref _span.OutputPri, EventUsagePriority))
            {
                _span.Output = _eventOutput;
            }
        }
    }

    public void OnAttribute(AttributeTarget target, AttributeKey key, in AttributeValue value)
    {
        switch (target)
        {
            case AttributeTarget.Span:
                OnSpanAttribute(key, value);
                break;
            case AttributeTarget.Resource:
                OnResourceAttribute(key, value);
                break;
            default:
                if (key.Id == AttributeId.ExceptionType && value.IsPlainString)
                {
                    _eventExceptionType = Intern(value.Utf8);
                }
                else if (key.Id is AttributeId.ChoiceFinishReason or (>= AttributeId.GenAiResponseFinishReasons and <= AttributeId.AiResponseFinishReason)
                         && value.IsPlainString)
                {
                    _eventFinishReasons |= ConventionVocabulary.FinishReason(value.Utf8);
                }
                else if (key.Id is >= AttributeId.GenAiUsageInputTokens and <= AttributeId.AiUsagePromptTokens
                         && _eventInput < 0 && value.TryGetCount(out var eventInput))
                {
                    _eventInput = eventInput;
                }
                else if (key.Id is >= AttributeId.GenAiUsageOutputTokens and <= AttributeId.AiUsageCompletionTokens
                         && _eventOutput < 0 && value.TryGetCount(out var eventOutput))
                {
                    _eventOutput = eventOutput;
                }
                else if (key.Id is AttributeId.GenAiOutputMessages or AttributeId.GenAiEventContent && value.Kind == AnyValueKind.String)
                {
                    _eventFinishReasons |= ConventionVocabulary.FinishReasonsInMessages(value.Utf8);
                }
                else if (key.Id == AttributeId.DbQueryResultScore && value.TryGetNumber(out var score))
                {
                    _eventScore = score;
                    _eventScored = true;
                }

                break;
        }
    }

    /// <summary>Resolves the span and appends it to the batch. <paramref name="payload"/> backs deferred values.</summary>
    public void EndSpan(ReadOnlySpan<byte> payload)
    {
        ref var s = ref _span;
        var name = s.NameLength > 0 ? new ReadOnlySpan<byte>(_name, 0, s.NameLength) : default;
        var infer = _settings.InferFromSpanNames;

        // 0. LangSmith's OTel exporter derives gen_ai.operation.name from the run type with two lossy entries
        // (WELL_KNOWN_OPERATION_NAMES: retriever -> embeddings, prompt -> chat; langchain-ai/langsmith-sdk
        // python/langsmith/_internal/otel/_otel_exporter.py): its own langsmith.span.kind on the same span tells them apart.
        if (s.OperationPri == 1)
        {
            if (s.LangsmithRetriever && s.Operation == SpanOperation.Embeddings)
            {
                s.Operation = SpanOperation.Retrieval;
            }
            else if (s.LangsmithPrompt && s.Operation == SpanOperation.Chat)
            {
                s.Operation = SpanOperation.Other;
            }
        }

        // 1. Operation: conventions first; then the span name; then "a tool name and nothing else" means a tool span.
        var nameOperation = SpanOperation.Unknown;
        Range nameArgument = default;
        var nameArgumentKind = SpanNameArgument.None;
        if (infer && !name.IsEmpty && NeedsSpanName(ref s))
        {
            nameOperation = SpanNameRules.Classify(name, s.HasAgentAttribute, out nameArgument, out nameArgumentKind);
        }

        if (s.OperationPri == 0)
        {
            if (nameOperation != SpanOperation.Unknown)
            {
                s.Operation = nameOperation;
            }
            else if (s.WeakOperation != SpanOperation.Unknown)
            {
                // A convention was present but only said "other" (a value we do not model) or Spring AI's generic
                // "framework": nothing better named the operation.
                s.Operation = s.WeakOperation;
            }
            else if (s.HasToolNameAttribute)
            {
                s.Operation = SpanOperation.ExecuteTool;
            }
            else if ((s.RequestModelPri != 0 || s.ResponseModelPri != 0) && (s.InputPri != 0 || s.OutputPri != 0))
            {
                // A model and its token usage, and nothing else to go by: a model call (e.g. Google ADK's call_llm).
                s.Operation = SpanOperation.Chat;
            }
            else if (s.VectorQuery || s.ResultEvents > 0)
            {
                // OpenLLMetry's vector-DB instrumentations (pinecone.query, chroma.query, qdrant.query_points): no GenAI
                // operation, but a top_k or one result event per retrieved document.
                s.Operation = SpanOperation.Retrieval;
            }
        }

        var nameArgumentUsable = nameOperation == s.Operation && nameArgumentKind != SpanNameArgument.None;

        // 2. Agent keys that only name an agent on agent spans.
        if (_names.TraceloopEntityName is not null && s.TraceloopKind == TraceloopKind.Agent && s.TraceloopEntityAgentSlot > 0)
        {
            TrySetAgent(s.TraceloopEntityAgentSlot - 1, _names.TraceloopEntityName);
        }

        if (_names.GraphNodeId is not null && s.OpenInferenceKindAgent && s.GraphNodeAgentSlot > 0)
        {
            TrySetAgent(s.GraphNodeAgentSlot - 1, _names.GraphNodeId);
        }

        if (nameArgumentUsable && nameArgumentKind == SpanNameArgument.Agent && _names.AgentName is null)
        {
            _names.AgentName = Intern(name[nameArgument]);
        }

        // 3. Tool fields only describe tool spans.
        string? toolName = null;
        ulong argumentsHash = 0, resultHash = 0;
        if (s.Operation == SpanOperation.ExecuteTool)
        {
            if (_names.TraceloopEntityName is not null && s.TraceloopKind == TraceloopKind.Tool && Better(ref s.ToolNamePri, 1))
            {
                _names.ToolName = _names.TraceloopEntityName;
            }

            toolName = _names.ToolName;
            if (toolName is null && infer && !name.IsEmpty)
            {
                if (nameArgumentUsable && nameArgumentKind == SpanNameArgument.Tool)
                {
                    toolName = Intern(name[nameArgument]);
                }
                else if (s.LangsmithTool)
                {
                    toolName = Intern(name);
                }
            }

            argumentsHash = Resolve(ref s.Arguments, payload, 0);
            resultHash = Resolve(ref s.Result, payload, 1);
        }

        // 4. Models: OpenInference's requested model hides in llm.invocation_parameters; else "chat {model}".
        if (_names.RequestModel is null)
        {
            _names.RequestModel = s.InvocationParameters.Pri != 0
                ? ModelFromInvocationParameters(ref s.InvocationParameters, payload)
                : _names.InvocationModel;
        }

        if (_names.RequestModel is null && nameArgumentUsable && nameArgumentKind == SpanNameArgument.Model)
        {
            _names.RequestModel = Intern(name[nameArgument]);
        }

        // 5. Tokens: ADK's cached and thinking tokens only travel inside its llm_response JSON; then total as reported,
        // else the sum of what was reported.
        if (s.AdkLlmResponse.Pri != 0 && s.AdkLlmResponse.Offset >= 0 && (s.CachedPri == 0 || s.ReasoningPri == 0))
        {
            OnAdkUsage(payload.Slice(s.AdkLlmResponse.Offset, s.AdkLlmResponse.Length), s.AdkLlmResponse.Escaped);
        }

        long? total = s.TotalPri != 0 ? s.Total
            : s.InputPri != 0 || s.OutputPri != 0 ? s.Input + s.Output
            : null;

        ref var span = ref _batch.Add();
        span.TraceId = s.TraceId;
        span.SpanId = s.SpanId;
        span.ParentSpanId = s.ParentSpanId;
        span.StartUnixNano = s.Start;
        span.EndUnixNano = s.End;
        span.AgentName = _names.AgentName;
        span.Operation = s.Operation;
        span.Provider = _names.Provider;
        span.RequestModel = _names.RequestModel;
        span.ResponseModel = _names.ResponseModel;
        span.InputTokens = s.InputPri != 0 ? s.Input : null;
        span.OutputTokens = s.OutputPri != 0 ? s.Output : null;
        span.TotalTokens = total;
        span.CachedInputTokens = s.CachedPri != 0 ? s.Cached : null;
        span.ReasoningTokens = s.ReasoningPri != 0 ? s.Reasoning : null;
        span.CostUsd = s.CostPri != 0 ? s.Cost : null;
        span.FinishReasons = s.FinishReasons;
        span.ToolName = toolName;
        span.ToolArgumentsHash = argumentsHash;
        span.ToolResultHash = resultHash;
        span.RouteHint = s.Route;
        span.IsError = s.StatusError || s.ErrorAttribute || s.ExceptionEvent;
        span.ErrorType = _names.ErrorType;
        ResolveRetrieval(ref s, ref span, payload);
    }

    /// <summary>
    /// Documents a retrieval returned and their best score, best source first: OTel GenAI <c>gen_ai.retrieval.documents</c>,
    /// OpenInference <c>retrieval.documents.{i}.document.*</c> (distinct indices), OpenLLMetry result events, LangSmith's
    /// retriever output (<c>gen_ai.completion</c> = <c>{"documents": [...]}</c>). An empty list counts 0; so does an
    /// OpenInference RETRIEVER span that reports its output but no document. Contents are never read.
    /// </summary>
    private void ResolveRetrieval(ref SpanState s, ref AgentSpan span, ReadOnlySpan<byte> payload)
    {
        if (TryRetrieval(ref s, payload, out var count, out var score, out var scored))
        {
            span.RetrievalDocuments = count;
            span.RetrievalTopScore = scored ? score : null;
        }
    }

    private bool TryRetrieval(ref SpanState s, ReadOnlySpan<byte> payload, out int count, out double score, out bool scored)
    {
        if (ReadDocumentList(ref s.RetrievalJson, payload, documentsProperty: false, out count, out score, out scored))
        {
            return true;
        }

        if (s.DocumentCount != 0 || s.DocumentHighMax != 0)
        {
            count = s.DocumentCount + Math.Max(0, s.DocumentHighMax - DocumentBits);
            (score, scored) = (s.DocumentTopScore, s.DocumentScored);
            return true;
        }

        if (s.ResultEvents > 0)
        {
            count = s.ResultEvents;
            (score, scored) = (s.ResultEventTopScore, s.ResultEventScored);
            return true;
        }

        if (s.LangsmithRetriever && ReadDocumentList(ref s.LangsmithOutput, payload, documentsProperty: true, out count, out score, out scored))
        {
            return true;
        }

        (count, score, scored) = (0, 0, false);
        return s.OpenInferenceRetriever && s.HasOutputValue && s.Operation == SpanOperation.Retrieval;
    }

    private bool ReadDocumentList(ref DocumentList list, ReadOnlySpan<byte> payload, bool documentsProperty, out int count, out double score, out bool scored)
    {
        (count, score, scored) = (list.Count, list.TopScore, list.Scored);
        if (list.State != DocumentListState.Deferred)
        {
            return list.State == DocumentListState.Read;
        }

        ref var slot = ref list.Raw;
        var raw = payload.Slice(slot.Offset, slot.Length);
        if (!slot.Escaped)
        {
            return RetrievalDocuments.TryRead(raw, documentsProperty, out count, out score, out scored);
        }

        var buffer = RentScratch(raw.Length);
        try
        {
            var length = JsonStrings.Unescape(payload, slot.Offset, slot.Length, buffer);
            count = 0;
            score = 0;
            scored = false;
            return length >= 0 && RetrievalDocuments.TryRead(buffer.AsSpan(0, length), documentsProperty, out count, out score, out scored);
        }
        finally
        {
            ReturnScratch(buffer);
        }
    }

    /// <summary>Marks OpenInference document <paramref name="index"/>: distinct indices below 256 in a bit set, above it the largest.</summary>
    private static void MarkDocument(ref SpanState s, int index)
    {
        if (index >= DocumentBits)
        {
            s.DocumentHighMax = Math.Max(s.DocumentHighMax, index + 1);
            return;
        }

        ref var word = ref s.DocumentBits0;
        switch (index >> 6)
        {
            case 1:
                word = ref s.DocumentBits1;
                break;
            case 2:
                word = ref s.DocumentBits2;
                break;
            case 3:
                word = ref s.DocumentBits3;
                break;
        }

        var bit = 1UL << (index & 63);
        if ((word & bit) == 0)
        {
            word |= bit;
            s.DocumentCount++;
        }
    }

    /// <summary>Whether the span name could still tell something the attributes did not (most spans: no).</summary>
    private bool NeedsSpanName(ref SpanState s) =>
        s.OperationPri == 0
        || (_names.RequestModel is null && s.Operation is SpanOperation.Chat or SpanOperation.TextCompletion or SpanOperation.GenerateContent or SpanOperation.Embeddings)
        || (_names.ToolName is null && s.Operation == SpanOperation.ExecuteTool)
        || (_names.AgentName is null && s.Operation is SpanOperation.InvokeAgent or SpanOperation.CreateAgent);

    // ---------------------------------------------------------------- attribute handling

    private void OnResourceAttribute(AttributeKey key, in AttributeValue value)
    {
        if (key.ResourceAgentRank < 0 || !value.IsPlainString || value.Utf8.StartsWith("unknown_service"u8))
        {
            return;
        }

        var slot = key.ResourceAgentRank + 1;
        if (_resourceAgentRank == 0 || slot < _resourceAgentRank)
        {
            _resourceAgentRank = slot;
            _resourceAgent = Intern(value.Utf8, ResourceSlot);
        }
    }

    private void OnSpanAttribute(AttributeKey key, in AttributeValue value)
    {
        ref var s = ref _span;
        if (key.SpanAgentRank >= 0 && value.IsPlainString)
        {
            // traceloop.entity.name and graph.node.id name an agent only on agent spans: decided in EndSpan.
            switch (key.Id)
            {
                case AttributeId.TraceloopEntityName:
                    s.TraceloopEntityAgentSlot = key.SpanAgentRank + 1;
                    break;
                case AttributeId.GraphNodeId:
                    s.GraphNodeAgentSlot = key.SpanAgentRank + 1;
                    _names.GraphNodeId ??= Intern(value.Utf8);
                    break;
                default:
                    s.HasAgentAttribute = true;
                    TrySetAgent(key.SpanAgentRank, value.Utf8);
                    break;
            }
        }

        var id = key.Id;
        switch (id)
        {
            case >= AttributeId.GenAiOperationName and <= AttributeId.GenAiSpanKind:
                OnOperation(id, value);
                break;

            case >= AttributeId.GenAiProviderName and <= AttributeId.MlflowLlmProvider:
                // LiteLLM writes "Unknown" when it has no provider (litellm/integrations/opentelemetry.py LLM_SYSTEM).
                if (value.IsPlainString && !(value.Utf8.Length == 7 && Ascii.EqualsIgnoreCase(value.Utf8, "unknown"u8))
                    && Better(ref s.ProviderPri, id - AttributeId.GenAiProviderName))
                {
                    _names.Provider = InternLower(id == AttributeId.MlflowLlmProvider ? ConventionVocabulary.Unquote(value.Utf8) : value.Utf8);
                }

                break;

            case >= AttributeId.GenAiRequestModel and <= AttributeId.MlflowLlmModel:
                if (value.IsPlainString && !IsNoneValue(value.Utf8) && Better(ref s.RequestModelPri, id - AttributeId.GenAiRequestModel))
                {
                    _names.RequestModel = Intern(id == AttributeId.MlflowLlmModel ? ConventionVocabulary.Unquote(value.Utf8) : value.Utf8, RequestModelSlot);
                }

                break;

            case AttributeId.LlmInvocationParameters:
                if (value.Kind == AnyValueKind.String && s.InvocationParameters.Pri == 0 && _names.InvocationModel is null)
                {
                    if (value.Offset >= 0)
                    {
                        Defer(ref s.InvocationParameters, 0, value); // parsed in EndSpan, only if no better model came
                    }
                    else if (!value.IsEscaped)
                    {
                        _names.InvocationModel = ModelFromJson(value.Utf8);
                    }
                }

                break;

            case >= AttributeId.GenAiResponseModel and <= AttributeId.RerankerModelName:
                if (value.IsPlainString && !IsNoneValue(value.Utf8) && Better(ref s.ResponseModelPri, id - AttributeId.GenAiResponseModel))
                {
                    _names.ResponseModel = Intern(value.Utf8, ResponseModelSlot);
                }

                break;

            case >= AttributeId.GenAiUsageInputTokens and <= AttributeId.AiUsagePromptTokens:
                SetCount(ref s.Input, ref s.InputPri, id - AttributeId.GenAiUsageInputTokens, value);
                break;
            case >= AttributeId.GenAiUsageOutputTokens and <= AttributeId.AiUsageCompletionTokens:
                SetCount(ref s.Output, ref s.OutputPri, id - AttributeId.GenAiUsageOutputTokens, value);
                break;
            case >= AttributeId.GenAiUsageTotalTokens and <= AttributeId.AiUsageTokens:
                SetCount(ref s.Total, ref s.TotalPri, id - AttributeId.GenAiUsageTotalTokens, value);
                break;
            case >= AttributeId.GenAiUsageCacheReadInputTokens and <= AttributeId.GenAiUsageDetailsCacheReadTokens:
                SetCount(ref s.Cached, ref s.CachedPri, id - AttributeId.GenAiUsageCacheReadInputTokens, value);
                break;
            case >= AttributeId.GenAiUsageReasoningOutputTokens and <= AttributeId.GenAiUsageDetailsThoughtsTokens:
                SetCount(ref s.Reasoning, ref s.ReasoningPri, id - AttributeId.GenAiUsageReasoningOutputTokens, value);
                break;

            case >= AttributeId.GenAiUsageCost and <= AttributeId.OperationCost:
                if (value.TryGetNumber(out var cost) && cost >= 0 && Better(ref s.CostPri, id - AttributeId.GenAiUsageCost))
                {
                    s.Cost = cost;
                }

                break;

            case >= AttributeId.GenAiResponseFinishReasons and <= AttributeId.AiResponseFinishReason:
                if (value.IsPlainString)
                {
                    var reason = ConventionVocabulary.FinishReason(value.Utf8);
                    if (reason != FinishReasons.None && BetterOrEqual(ref s.FinishPri, id - AttributeId.GenAiResponseFinishReasons))
                    {
                        s.FinishReasons |= reason;
                    }
                }

                break;

            case AttributeId.TraceloopEntityName:
                if (value.IsPlainString)
                {
                    _names.TraceloopEntityName ??= Intern(value.Utf8);
                }

                break;

            case >= AttributeId.GenAiToolName and <= AttributeId.SpringAiToolDefinitionName:
                if (value.IsPlainString)
                {
                    s.HasToolNameAttribute = true;
                    if (Better(ref s.ToolNamePri, id - AttributeId.GenAiToolName))
                    {
                        _names.ToolName = Intern(value.Utf8, ToolSlot);
                    }
                }

                break;

            case >= AttributeId.GenAiToolCallArguments and <= AttributeId.GenAiPrompt:
                if (s.Arguments.Pri == 0 || id - AttributeId.GenAiToolCallArguments + 1 < s.Arguments.Pri)
                {
                    Defer(ref s.Arguments, id - AttributeId.GenAiToolCallArguments, value);
                }

                break;

            case >= AttributeId.GenAiToolCallResult and <= AttributeId.GenAiCompletion:
                if (id == AttributeId.OutputValue)
                {
                    s.HasOutputValue = true;
                }
                else if (id == AttributeId.GenAiCompletion)
                {
                    OnDocumentList(ref s.LangsmithOutput, value, documentsProperty: true); // read only if the span turns out a LangSmith retriever
                }

                if (s.Result.Pri == 0 || id - AttributeId.GenAiToolCallResult + 1 < s.Result.Pri)
                {
                    Defer(ref s.Result, id - AttributeId.GenAiToolCallResult, value);
                }

                break;

            case AttributeId.ErrorType:
                if (value.IsPlainString)
                {
                    s.ErrorAttribute = true;
                    if (Better(ref s.ErrorTypePri, 0))
                    {
                        _names.ErrorType = Intern(value.Utf8);
                    }
                }

                break;

            case AttributeId.ExceptionType:
                if (value.IsPlainString)
                {
                    s.ErrorAttribute = true;
                    if (Better(ref s.ErrorTypePri, 1))
                    {
                        _names.ErrorType = Intern(value.Utf8);
                    }
                }

                break;

            case AttributeId.LangfuseObservationLevel:
                if (value.IsPlainString && value.Utf8.Length == 5 && Ascii.EqualsIgnoreCase(value.Utf8, "ERROR"u8))
                {
                    s.ErrorAttribute = true;
                }

                break;

            case AttributeId.OtelStatusCode:
                if (value.IsPlainString && value.Utf8.Length == 5 && Ascii.EqualsIgnoreCase(value.Utf8, "ERROR"u8))
                {
                    s.StatusError = true;
                }

                break;

            case AttributeId.GenAiAgentName or AttributeId.PydanticAgentName:
                if (value.IsPlainString)
                {
                    s.HasAgentAttribute = true;
                }

                break;

            case AttributeId.GenAiOutputMessages:
                if (value.Kind == AnyValueKind.String)
                {
                    var reasons = ConventionVocabulary.FinishReasonsInMessages(value.Utf8);
                    if (reasons != FinishReasons.None && BetterOrEqual(ref s.FinishPri, ChoiceEventFinishPriority))
                    {
                        s.FinishReasons |= reasons;
                    }
                }

                break;

            case AttributeId.GenAiRetrievalDocuments:
                OnDocumentList(ref s.RetrievalJson, value, documentsProperty: false);
                break;

            case AttributeId.RetrievalDocument:
                MarkDocument(ref s, key.Index);
                break;

            case AttributeId.RetrievalDocumentScore:
                MarkDocument(ref s, key.Index);
                if (value.TryGetNumber(out var documentScore) && (!s.DocumentScored || documentScore > s.DocumentTopScore))
                {
                    s.DocumentTopScore = documentScore;
                    s.DocumentScored = true;
                }

                break;

            case AttributeId.DbVectorQueryTopK:
                s.VectorQuery = true;
                break;

            case AttributeId.AgentSentinelRoute:
                s.Route = value.IsPlainString ? ConventionVocabulary.Route(value.Utf8) : SpanRouteHint.None;
                break;

            case AttributeId.GcpVertexAgentLlmResponse:
                if (value.Kind == AnyValueKind.String)
                {
                    if (value.Offset >= 0)
                    {
                        Defer(ref s.AdkLlmResponse, 0, value); // scanned in EndSpan, only for what the span lacks
                    }
                    else if (!value.IsEscaped)
                    {
                        OnAdkUsage(value.Utf8, raw: false);
                    }
                }

                break;

            case >= AttributeId.MlflowChatTokenUsage and <= AttributeId.LangfuseObservationCostDetails:
                if (value.IsPlainString)
                {
                    OnSerializedUsage(id, value.Utf8);
                }

                break;
        }
    }

    /// <summary>
    /// Usage serialised into one string (MLflow JSON, LangSmith Python repr): each count ranks after every attribute of its
    /// concept, so it only fills what the span did not report otherwise.
    /// </summary>
    private void OnSerializedUsage(AttributeId id, ReadOnlySpan<byte> text)
    {
        ref var s = ref _span;
        long count;
        switch (id)
        {
            case AttributeId.MlflowChatTokenUsage:
                if (JsonStrings.TryFindCount(text, "input_tokens"u8, out count) && Better(ref s.InputPri, LastInputPriority + 1))
                {
                    s.Input = count;
                }

                if (JsonStrings.TryFindCount(text, "output_tokens"u8, out count) && Better(ref s.OutputPri, LastOutputPriority + 1))
                {
                    s.Output = count;
                }

                if (JsonStrings.TryFindCount(text, "total_tokens"u8, out count) && Better(ref s.TotalPri, LastTotalPriority + 1))
                {
                    s.Total = count;
                }

                if (JsonStrings.TryFindCount(text, "cache_read_input_tokens"u8, out count) && Better(ref s.CachedPri, LastCachedPriority + 1))
                {
                    s.Cached = count;
                }

                break;
            case AttributeId.MlflowLlmCost:
                if (JsonStrings.TryFindNumber(text, "total_cost"u8, out var cost) && cost >= 0 && Better(ref s.CostPri, LastCostPriority + 1))
                {
                    s.Cost = cost;
                }

                break;
            case AttributeId.GenAiUsageInputTokenDetails:
                if (JsonStrings.TryFindCount(text, "cache_read"u8, out count) && Better(ref s.CachedPri, LastCachedPriority + 2))
                {
                    s.Cached = count;
                }

                break;
            case AttributeId.GenAiUsageOutputTokenDetails:
                if (JsonStrings.TryFindCount(text, "reasoning"u8, out count) && Better(ref s.ReasoningPri, LastReasoningPriority + 1))
                {
                    s.Reasoning = count;
                }

                break;
            case AttributeId.LangfuseObservationUsageDetails or AttributeId.GenAiUsageRaw:
                OnUsageObject(text);
                break;
            case AttributeId.LangfuseObservationCostDetails:
                if (JsonStrings.TryFindNumber(text, "total"u8, out var totalCost) && totalCost >= 0 && Better(ref s.CostPri, LastCostPriority + 2))
                {
                    s.Cost = totalCost;
                }

                break;
        }
    }

    /// <summary>
    /// A usage object serialised as JSON: Langfuse's <c>langfuse.observation.usage_details</c> (its own names <c>input</c>,
    /// <c>output</c>, <c>total</c>, <c>input_cache_read</c>, <c>output_reasoning</c>, or the provider's names as the SDK got
    /// them) and Logfire's <c>gen_ai.usage.raw</c> (the provider's usage: OpenAI <c>prompt_tokens</c> /
    /// <c>prompt_tokens_details.cached_tokens</c> / <c>completion_tokens_details.reasoning_tokens</c>, Anthropic
    /// <c>input_tokens</c> / <c>cache_read_input_tokens</c>, Gemini <c>prompt_token_count</c> / <c>cached_content_token_count</c>
    /// / <c>thoughts_token_count</c>). Per concept the first name present wins; every count ranks after the attributes.
    /// </summary>
    private void OnUsageObject(ReadOnlySpan<byte> text)
    {
        ref var s = ref _span;
        if ((JsonStrings.TryFindCount(text, "input"u8, out var count) || JsonStrings.TryFindCount(text, "input_tokens"u8, out count)
                || JsonStrings.TryFindCount(text, "prompt_tokens"u8, out count) || JsonStrings.TryFindCount(text, "prompt_token_count"u8, out count))
            && Better(ref s.InputPri, LastInputPriority + 1))
        {
            s.Input = count;
        }

        if ((JsonStrings.TryFindCount(text, "output"u8, out count) || JsonStrings.TryFindCount(text, "output_tokens"u8, out count)
                || JsonStrings.TryFindCount(text, "completion_tokens"u8, out count) || JsonStrings.TryFindCount(text, "candidates_token_count"u8, out count))
            && Better(ref s.OutputPri, LastOutputPriority + 1))
        {
            s.Output = count;
        }

        if ((JsonStrings.TryFindCount(text, "total"u8, out count) || JsonStrings.TryFindCount(text, "total_tokens"u8, out count)
                || JsonStrings.TryFindCount(text, "total_token_count"u8, out count))
            && Better(ref s.TotalPri, LastTotalPriority + 1))
        {
            s.Total = count;
        }

        if ((JsonStrings.TryFindCount(text, "cache_read_input_tokens"u8, out count) || JsonStrings.TryFindCount(text, "input_cache_read"u8, out count)
                || JsonStrings.TryFindCount(text, "input_cached_tokens"u8, out count) || JsonStrings.TryFindCount(text, "cached_tokens"u8, out count)
                || JsonStrings.TryFindCount(text, "cached_content_token_count"u8, out count))
            && Better(ref s.CachedPri, LastCachedPriority + 3))
        {
            s.Cached = count;
        }

        if ((JsonStrings.TryFindCount(text, "reasoning_tokens"u8, out count) || JsonStrings.TryFindCount(text, "output_reasoning"u8, out count)
                || JsonStrings.TryFindCount(text, "output_reasoning_tokens"u8, out count) || JsonStrings.TryFindCount(text, "thoughts_token_count"u8, out count))
            && Better(ref s.ReasoningPri, LastReasoningPriority + 2))
        {
            s.Reasoning = count;
        }
    }

    /// <summary>
    /// Google ADK's <c>usage_metadata</c> inside <c>gcp.vertex.agent.llm_response</c> (google-genai field names), decoded
    /// text or the raw content of a JSON string alike: only the cached and thinking counts, after every other source.
    /// </summary>
    private void OnAdkUsage(ReadOnlySpan<byte> text, bool raw)
    {
        ref var s = ref _span;
        if (s.CachedPri == 0 && JsonStrings.TryFindCount(text, "cached_content_token_count"u8, out var count, raw))
        {
            Better(ref s.CachedPri, LastCachedPriority + 4);
            s.Cached = count;
        }

        if (s.ReasoningPri == 0 && JsonStrings.TryFindCount(text, "thoughts_token_count"u8, out count, raw))
        {
            Better(ref s.ReasoningPri, LastReasoningPriority + 3);
            s.Reasoning = count;
        }
    }

    private void OnOperation(AttributeId id, in AttributeValue value)
    {
        if (!value.IsPlainString)
        {
            return;
        }

        ref var s = ref _span;
        var operation = ConventionVocabulary.Operation(id, value.Utf8);
        switch (id)
        {
            case AttributeId.TraceloopSpanKind:
                s.TraceloopKind = operation switch
                {
                    SpanOperation.InvokeAgent => TraceloopKind.Agent,
                    SpanOperation.ExecuteTool => TraceloopKind.Tool,
                    _ => TraceloopKind.Other,
                };
                break;
            case AttributeId.OpenInferenceSpanKind:
                s.OpenInferenceKindAgent = operation == SpanOperation.InvokeAgent;
                s.OpenInferenceRetriever = operation == SpanOperation.Retrieval;
                break;
            case AttributeId.LangsmithSpanKind:
                s.LangsmithTool = operation == SpanOperation.ExecuteTool;
                s.LangsmithRetriever = operation == SpanOperation.Retrieval;
                s.LangsmithPrompt = Ascii.EqualsIgnoreCase(value.Utf8, "prompt"u8);
                break;
        }

        var priority = id - AttributeId.GenAiOperationName;
        if (operation == SpanOperation.Other
            || (id == AttributeId.GenAiOperationName && operation == SpanOperation.Chain && Ascii.EqualsIgnoreCase(value.Utf8, "framework"u8)))
        {
            // Weak: a word we do not model (AgentOps' "agent.run", Mastra's "workflow_step") or Spring AI's generic
            // "framework" must not hide what a later convention (spring.ai.kind, agentops.span.kind) or the span name says.
            if (Better(ref s.WeakOperationPri, priority))
            {
                s.WeakOperation = operation;
            }
        }
        else if (operation != SpanOperation.Unknown && Better(ref s.OperationPri, priority))
        {
            s.Operation = operation;
        }
    }

    /// <summary>
    /// Micrometer's <c>KeyValue.NONE_VALUE</c> ("none"): Spring AI writes it as the request/response model when there is
    /// none (DefaultChatModelObservationConvention REQUEST_MODEL_NONE / RESPONSE_MODEL_NONE), so it names no model.
    /// </summary>
    private static bool IsNoneValue(ReadOnlySpan<byte> value) => value.Length == 4 && value.SequenceEqual("none"u8);

    private void TrySetAgent(int rank, ReadOnlySpan<byte> utf8)
    {
        if (_span.AgentRank == 0 || rank + 1 < _span.AgentRank)
        {
            _span.AgentRank = rank + 1;
            _names.AgentName = Intern(utf8, AgentSlot);
        }
    }

    private void TrySetAgent(int rank, string value)
    {
        if (_span.AgentRank == 0 || rank + 1 < _span.AgentRank)
        {
            _span.AgentRank = rank + 1;
            _names.AgentName = value;
        }
    }

    /// <summary>
    /// Keeps a JSON document list for <see cref="EndSpan"/> as a slice of the payload (read once, only when needed); a
    /// string that is not in the payload (already unescaped) is read now and kept as its result.
    /// </summary>
    private static void OnDocumentList(ref DocumentList list, in AttributeValue value, bool documentsProperty)
    {
        list = default;
        if (value.Kind != AnyValueKind.String)
        {
            return; // structured lists arrive as a structure hash only: not read (see README)
        }

        if (value.Offset >= 0)
        {
            list.Raw.Offset = value.Offset;
            list.Raw.Length = value.Utf8.Length;
            list.Raw.Escaped = value.IsEscaped;
            list.State = DocumentListState.Deferred;
        }
        else if (!value.IsEscaped)
        {
            list.State = DocumentListState.Unreadable;
            if (RetrievalDocuments.TryRead(value.Utf8, documentsProperty, out list.Count, out list.TopScore, out list.Scored))
            {
                list.State = DocumentListState.Read;
            }
        }
    }

    private static void SetCount(ref long field, ref byte pri, int priority, in AttributeValue value)
    {
        if (value.TryGetCount(out var count) && Better(ref pri, priority))
        {
            field = count;
        }
    }

    /// <summary>Strict "first match wins": a candidate replaces the current one only if its priority is better.</summary>
    private static bool Better(ref byte slot, int priority)
    {
        var encoded = priority + 1;
        if (slot != 0 && slot <= encoded)
        {
            return false;
        }

        slot = (byte)encoded;
        return true;
    }

    /// <summary>For set-valued concepts (finish reasons): equal priority accumulates, better priority restarts.</summary>
    private bool BetterOrEqual(ref byte slot, int priority)
    {
        var encoded = priority + 1;
        if (slot != 0 && slot < encoded)
        {
            return false;
        }

        if (slot != encoded)
        {
            slot = (byte)encoded;
            _span.FinishReasons = FinishReasons.None;
        }

        return true;
    }

    // ---------------------------------------------------------------- deferred values (tool arguments/results, invocation parameters)

    /// <summary>
    /// Keeps a value for <see cref="EndSpan"/>: a string that points into the payload is kept as a slice (it is hashed only
    /// if the span is a tool span); anything else is hashed now.
    /// </summary>
    private static void Defer(ref DeferredValue slot, int priority, in AttributeValue value)
    {
        slot = default;
        switch (value.Kind)
        {
            case AnyValueKind.String when value.Offset >= 0:
                slot.Offset = value.Offset;
                slot.Length = value.Utf8.Length;
                slot.Escaped = value.IsEscaped;
                break;
            case AnyValueKind.String:
                slot.Hash = Fnv1a64.NonZero(Fnv1a64.Hash(value.Utf8));
                slot.Offset = -1;
                break;
            case AnyValueKind.Bytes:
                slot.Hash = Fnv1a64.NonZero(Fnv1a64.Hash(value.Utf8));
                slot.Offset = -1;
                break;
            case AnyValueKind.Array or AnyValueKind.KeyValueList:
                slot.Hash = Fnv1a64.NonZero(value.StructureHash);
                slot.Offset = -1;
                break;
            case AnyValueKind.Empty:
                return;
            default:
                var fnv = Fnv1a64.Create();
                StructureHash.AppendScalar(ref fnv, value);
                slot.Hash = Fnv1a64.NonZero(fnv.Value);
                slot.Offset = -1;
                break;
        }

        slot.Pri = (byte)(priority + 1);
    }

    private ulong Resolve(ref DeferredValue slot, ReadOnlySpan<byte> payload, int memo)
    {
        if (slot.Pri == 0)
        {
            return 0;
        }

        if (slot.Offset < 0)
        {
            return slot.Hash;
        }

        var raw = payload.Slice(slot.Offset, slot.Length);
        if (!slot.Escaped)
        {
            return HashRaw(raw, memo);
        }

        var buffer = RentScratch(raw.Length);
        try
        {
            var length = JsonStrings.Unescape(payload, slot.Offset, slot.Length, buffer);
            return length < 0 ? 0 : Fnv1a64.NonZero(Fnv1a64.Hash(buffer.AsSpan(0, length)));
        }
        finally
        {
            ReturnScratch(buffer);
        }
    }

    /// <summary>FNV-1a of an unescaped value, remembered for the next span (the same bytes give the same hash).</summary>
    private ulong HashRaw(ReadOnlySpan<byte> raw, int memo)
    {
        var last = _lastHashed[memo];
        if (raw.Length == _lastHashedLength[memo] && raw.SequenceEqual(last.AsSpan(0, raw.Length)))
        {
            return _lastHash[memo];
        }

        var hash = Fnv1a64.NonZero(Fnv1a64.Hash(raw));
        if (raw.Length <= MaxMemoLength)
        {
            raw.CopyTo(last);
            _lastHashedLength[memo] = raw.Length;
            _lastHash[memo] = hash;
        }

        return hash;
    }

    private string? ModelFromInvocationParameters(ref DeferredValue slot, ReadOnlySpan<byte> payload)
    {
        if (slot.Offset < 0)
        {
            return null; // only payload-backed strings are kept for this
        }

        var raw = payload.Slice(slot.Offset, slot.Length);
        if (!slot.Escaped)
        {
            if (raw.Length == _lastInvocationLength && raw.SequenceEqual(_lastInvocation.AsSpan(0, _lastInvocationLength)))
            {
                return _lastInvocationModel;
            }

            var model = ModelFromJson(raw);
            if (raw.Length <= MaxMemoLength)
            {
                raw.CopyTo(_lastInvocation);
                _lastInvocationLength = raw.Length;
                _lastInvocationModel = model;
            }

            return model;
        }

        byte[]? buffer = null;
        try
        {
            var json = raw;
            if (slot.Escaped)
            {
                buffer = RentScratch(raw.Length);
                var length = JsonStrings.Unescape(payload, slot.Offset, slot.Length, buffer);
                if (length < 0)
                {
                    return null;
                }

                json = buffer.AsSpan(0, length);
            }

            return ModelFromJson(json);
        }
        finally
        {
            if (buffer is not null)
            {
                ReturnScratch(buffer);
            }
        }
    }

    private string? ModelFromJson(ReadOnlySpan<byte> json)
    {
        Span<byte> model = stackalloc byte[MaxModelLength];
        var modelLength = JsonStrings.FindTopLevelStringFast(json, "model"u8, model);
        if (modelLength == -2)
        {
            modelLength = JsonStrings.FindTopLevelString(json, "model"u8, model);
        }

        return modelLength > 0 ? Intern(model[..modelLength]) : null;
    }

    /// <summary>A scratch buffer for unescaping: the cached one when small enough, else a pooled one.</summary>
    internal byte[] RentScratch(int length)
    {
        if (length <= _scratch.Length)
        {
            return _scratch;
        }

        if (length <= MaxCachedScratch)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
            return _scratch;
        }

        return System.Buffers.ArrayPool<byte>.Shared.Rent(length);
    }

    internal void ReturnScratch(byte[] buffer)
    {
        if (!ReferenceEquals(buffer, _scratch))
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string Intern(ReadOnlySpan<byte> utf8) => Intern(utf8, OtherSlot);

    private string Intern(ReadOnlySpan<byte> utf8, int slot)
    {
        if (utf8.IsEmpty || utf8.Length > Utf8StringCache.MaxCachedLength)
        {
            return _settings.Strings.GetOrAdd(utf8);
        }

        // Two ways per concept: batches often alternate two values (e.g. the response models of two frameworks).
        var recent = _recent;
        var way = slot * 2;
        var first = recent[way];
        if (first is not null && utf8.SequenceEqual(first.Utf8))
        {
            return first.Value;
        }

        var second = recent[way + 1];
        if (second is not null && utf8.SequenceEqual(second.Utf8))
        {
            return second.Value;
        }

        var entry = _settings.Strings.GetOrAddEntry(utf8);
        recent[way + 1] = first;
        recent[way] = entry;
        return entry.Value;
    }

    /// <summary>
    /// Provider names are folded to lower case ("OpenAI" and "openai" are one label), then known spellings of the other
    /// conventions onto the OTel well-known values (<see cref="ProviderNames"/>).
    /// </summary>
    private string InternLower(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 128)
        {
            return Intern(utf8, ProviderSlot);
        }

        Span<byte> buffer = stackalloc byte[128];
        var lower = utf8.IndexOfAnyInRange((byte)'A', (byte)'Z') < 0 ? utf8 : ConventionVocabulary.ToLowerAscii(utf8, buffer);
        return ProviderNames.Canonical(lower) ?? Intern(lower, ProviderSlot);
    }

    private enum EventKind : byte
    {
        Other = 0,
        Exception,
        Choice,
        RetrievalResult,
    }

    private enum TraceloopKind : byte
    {
        None = 0,
        Agent,
        Tool,
        Other,
    }

    private enum DocumentListState : byte
    {
        None = 0,
        Deferred,
        Read,
        Unreadable,
    }

    /// <summary>A JSON document list: a payload slice read in EndSpan, or a value already read.</summary>
    private struct DocumentList
    {
        public DeferredValue Raw;
        public DocumentListState State;
        public int Count;
        public double TopScore;
        public bool Scored;
    }

    private struct DeferredValue
    {
        /// <summary>0 = none; else priority + 1.</summary>
        public byte Pri;
        public bool Escaped;
        public int Offset;
        public int Length;
        public ulong Hash;
    }

    /// <summary>Per-span accumulator. Priorities are stored as priority + 1 so that <c>default</c> means "not seen".</summary>
    private struct SpanState
    {
        public TraceId TraceId;
        public SpanId SpanId;
        public SpanId ParentSpanId;
        public long Start;
        public long End;
        public int NameLength;

        public SpanOperation Operation;
        public byte OperationPri;
        /// <summary>An operation only a weak value named (Other, Spring AI's "framework"): used when nothing better did.</summary>
        public SpanOperation WeakOperation;
        public byte WeakOperationPri;
        public byte ProviderPri;
        public byte RequestModelPri;
        public byte ResponseModelPri;
        public DeferredValue InvocationParameters;

        public long Input;
        public byte InputPri;
        public long Output;
        public byte OutputPri;
        public long Total;
        public byte TotalPri;
        public long Cached;
        public byte CachedPri;
        public long Reasoning;
        public byte ReasoningPri;
        public double Cost;
        public byte CostPri;
        public FinishReasons FinishReasons;
        public byte FinishPri;

        public byte ToolNamePri;
        public bool HasToolNameAttribute;
        public DeferredValue Arguments;
        public DeferredValue Result;
        /// <summary>ADK <c>gcp.vertex.agent.llm_response</c> (payload slice), scanned in EndSpan for two usage counts.</summary>
        public DeferredValue AdkLlmResponse;

        public int AgentRank;
        public bool HasAgentAttribute;
        /// <summary>Configured agent rank of traceloop.entity.name + 1 (0 = not configured or not seen).</summary>
        public int TraceloopEntityAgentSlot;
        public TraceloopKind TraceloopKind;
        public int GraphNodeAgentSlot;
        public bool OpenInferenceKindAgent;
        public bool LangsmithTool;
        public bool LangsmithRetriever;
        public bool LangsmithPrompt;

        public SpanRouteHint Route;

        public bool StatusError;
        public bool ErrorAttribute;
        public bool ExceptionEvent;
        public byte ErrorTypePri;

        // Retrieval results.
        public DocumentList RetrievalJson;
        public DocumentList LangsmithOutput;
        public ulong DocumentBits0;
        public ulong DocumentBits1;
        public ulong DocumentBits2;
        public ulong DocumentBits3;
        public int DocumentCount;
        /// <summary>Largest OpenInference document index at or above <see cref="DocumentBits"/>, + 1 (0 = none).</summary>
        public int DocumentHighMax;
        public double DocumentTopScore;
        public bool DocumentScored;
        public int ResultEvents;
        public double ResultEventTopScore;
        public bool ResultEventScored;
        public bool VectorQuery;
        public bool OpenInferenceRetriever;
        public bool HasOutputValue;
    }

    /// <summary>Per-span names (interned strings), kept apart from <see cref="SpanState"/>. Null = not seen.</summary>
    private struct SpanNames
    {
        public string? Provider;
        public string? RequestModel;
        public string? ResponseModel;
        public string? InvocationModel;
        public string? ToolName;
        public string? AgentName;
        public string? TraceloopEntityName;
        public string? GraphNodeId;
        public string? ErrorType;
    }
}
