namespace AgentSentinel.Core.Spans;

/// <summary>
/// One span, normalised from whichever GenAI convention produced it. A value type: decoders fill a
/// reusable buffer of these, and a batch travels as one array.
/// Span content (prompts, completions, tool arguments) is never copied here; tool arguments and results
/// are kept only as 64-bit hashes so that repeated identical calls can be recognised.
/// </summary>
public record struct AgentSpan
{
    public TraceId TraceId { get; set; }
    public SpanId SpanId { get; set; }
    /// <summary>Empty for a root span.</summary>
    public SpanId ParentSpanId { get; set; }
    public long StartUnixNano { get; set; }
    public long EndUnixNano { get; set; }

    /// <summary>Agent named on the span itself by any convention (gen_ai.agent.name, agent.name, ...), else null.</summary>
    public string? AgentName { get; set; }
    /// <summary>Agent identity taken from the resource (configured keys, else service.name), else null.</summary>
    public string? ResourceAgent { get; set; }

    public SpanOperation Operation { get; set; }
    public string? Provider { get; set; }
    public string? RequestModel { get; set; }
    public string? ResponseModel { get; set; }

    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    /// <summary>As reported, or input + output when the convention gives only those.</summary>
    public long? TotalTokens { get; set; }
    public long? CachedInputTokens { get; set; }
    public long? ReasoningTokens { get; set; }
    /// <summary>Cost in USD when the instrumentation reports it (OpenLIT, OpenInference, pydantic-ai).</summary>
    public double? CostUsd { get; set; }

    public FinishReasons FinishReasons { get; set; }
    public string? ToolName { get; set; }
    /// <summary>Hash of the tool call arguments (0 = none reported).</summary>
    public ulong ToolArgumentsHash { get; set; }
    /// <summary>Hash of the tool call result (0 = none reported).</summary>
    public ulong ToolResultHash { get; set; }

    /// <summary>Documents a retrieval span returned (null = not reported; 0 = an empty retrieval).</summary>
    public int? RetrievalDocuments { get; set; }
    /// <summary>The best relevance score among the retrieved documents (null = not reported).</summary>
    public double? RetrievalTopScore { get; set; }

    /// <summary>The route that served the span, when the agent tags it (<c>agentsentinel.route</c>).</summary>
    public SpanRouteHint RouteHint { get; set; }

    /// <summary>The attributes of the span's resource (shared by every span of the resource; never null once decoded).</summary>
    public ResourceAttributes? Resource { get; set; }

    /// <summary>Status ERROR, or an error.type / exception event.</summary>
    public bool IsError { get; set; }
    /// <summary>error.type or the exception type; a class name, never a message.</summary>
    public string? ErrorType { get; set; }

    public readonly long DurationNanos => EndUnixNano > StartUnixNano ? EndUnixNano - StartUnixNano : 0;

    /// <summary>The model that answered, else the one requested.</summary>
    public readonly string? Model => ResponseModel ?? RequestModel;
}
