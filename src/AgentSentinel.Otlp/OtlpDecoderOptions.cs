using System.Globalization;

namespace AgentSentinel.Otlp;

/// <summary>
/// Limits and agent-identity rules of the OTLP decoders (configuration section <c>Otlp</c>).
/// Defaults live in the initializers; <see cref="Validate"/> returns every problem, each naming its key.
/// </summary>
/// <remarks>
/// The two lists are ordered, best first. Note that <c>Microsoft.Extensions.Configuration</c> binding appends configured
/// items to a collection that already has items: to replace a default list, assign it in code or clear it before binding
/// (<see cref="Validate"/> reports duplicates, which is how an accidental append usually shows).
/// </remarks>
public sealed class OtlpDecoderOptions
{
    public const string SectionName = "Otlp";

    public const int DefaultMaxRecordBytes = 16 * 1024 * 1024;
    public const int MinMaxRecordBytes = 1024;
    public const int MaxMaxRecordBytes = 256 * 1024 * 1024;
    public const int DefaultMaxSpansPerRecord = 100_000;
    public const int MaxMaxSpansPerRecord = 10_000_000;
    public const int DefaultMaxAttributesPerSpan = 1024;
    public const int MaxMaxAttributesPerSpan = 65_536;
    public const int DefaultMaxAnyValueDepth = 16;
    public const int MaxMaxAnyValueDepth = 64;
    public const int DefaultStringCacheSize = 4096;
    public const int DefaultResourceCacheSize = 256;
    public const int MaxResourceCacheSize = 65_536;
    public const int MaxAgentAttributes = 32;
    public const int MaxAttributeKeyLength = 256;

    /// <summary>Records larger than this are rejected with <c>TooLarge</c> before any parsing. Default 16 MiB.</summary>
    public int MaxRecordBytes { get; set; } = DefaultMaxRecordBytes;

    /// <summary>A record with more spans is rejected with <c>LimitExceeded</c>.</summary>
    public int MaxSpansPerRecord { get; set; } = DefaultMaxSpansPerRecord;

    /// <summary>The largest attribute list (of a resource, span or span event) accepted; more gives <c>LimitExceeded</c>.</summary>
    public int MaxAttributesPerSpan { get; set; } = DefaultMaxAttributesPerSpan;

    /// <summary>How deeply arrays and key-value lists may nest inside one attribute value (1 = a flat array or list).</summary>
    public int MaxAnyValueDepth { get; set; } = DefaultMaxAnyValueDepth;

    /// <summary>
    /// Span attributes that name the agent (<c>AgentSpan.AgentName</c>), best first. <c>traceloop.entity.name</c> counts only
    /// on spans whose <c>traceloop.span.kind</c> is <c>agent</c>, and <c>graph.node.id</c> only on OpenInference AGENT spans.
    /// When none is present and <see cref="InferFromSpanNames"/> is set, <c>invoke_agent {name}</c>-style span names are used.
    /// Empty (the default) means <see cref="DefaultSpanAgentAttributes"/>; a configured list replaces them (configuration
    /// binding appends to a list, so the defaults are not kept in the property itself).
    /// </summary>
    public IList<string> SpanAgentAttributes { get; set; } = [];

    /// <summary>
    /// Resource attributes that name the agent (<c>AgentSpan.ResourceAgent</c>), best first. SDK default service names
    /// (<c>unknown_service</c>, <c>unknown_service:python</c>, ...) count as absent. Empty (the default) means
    /// <see cref="DefaultResourceAgentAttributes"/>; a configured list replaces them.
    /// </summary>
    public IList<string> ResourceAgentAttributes { get; set; } = [];

    /// <summary>The span attributes that name the agent when none are configured.</summary>
    public static IReadOnlyList<string> DefaultSpanAgentAttributes { get; } =
    [
        "gen_ai.agent.name",         // OTel GenAI, pydantic-ai (newer), OpenLIT
        "gen_ai.agent.id",           // OTel GenAI, OpenLIT
        "agent.name",                // OpenInference
        "agent_name",                // pydantic-ai (older)
        "traceloop.entity.name",     // OpenLLMetry, when traceloop.span.kind = agent
        "ai.telemetry.functionId",   // Vercel AI SDK
        "graph.node.id",             // OpenInference, on AGENT spans (openai-agents)
        "gen_ai.agent.role",         // OpenLIT (CrewAI role)
    ];

    /// <summary>The resource attributes that name the agent when none are configured.</summary>
    public static IReadOnlyList<string> DefaultResourceAgentAttributes { get; } =
    [
        "gen_ai.agent.name",
        "service.name",
    ];

    /// <summary>The span agent attributes in force: the configured ones, else the defaults.</summary>
    public IReadOnlyList<string> EffectiveSpanAgentAttributes =>
        SpanAgentAttributes is { Count: > 0 } keys ? [.. keys] : DefaultSpanAgentAttributes;

    /// <summary>The resource agent attributes in force: the configured ones, else the defaults.</summary>
    public IReadOnlyList<string> EffectiveResourceAgentAttributes =>
        ResourceAgentAttributes is { Count: > 0 } keys ? [.. keys] : DefaultResourceAgentAttributes;

    /// <summary>
    /// Use span names as a last resort: the operation (<c>chat {model}</c>, <c>execute_tool {tool}</c>, <c>invoke_agent {agent}</c>,
    /// pydantic-ai's <c>running tool: {tool}</c> and <c>{agent} run</c>), and the model, tool or agent it names.
    /// Never overrides an attribute. Default true.
    /// </summary>
    public bool InferFromSpanNames { get; set; } = true;

    /// <summary>Entries of the intern table for agent, model, provider and tool names (bounded memory). Default 4096.</summary>
    public int StringCacheSize { get; set; } = DefaultStringCacheSize;

    /// <summary>
    /// Entries of the intern table of resource attribute sets (<c>AgentSpan.Resource</c>): a resource seen again shares its
    /// instance and costs no allocation. Size it above the number of distinct resources (agent replicas) that write to one
    /// consumer; beyond that a batch costs one small allocation. Default 256.
    /// </summary>
    public int ResourceCacheSize { get; set; } = DefaultResourceCacheSize;

    /// <summary>Every configuration error, each naming its key (e.g. <c>Otlp:MaxRecordBytes must be between 1024 and 268435456</c>).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Range(errors, nameof(MaxRecordBytes), MaxRecordBytes, MinMaxRecordBytes, MaxMaxRecordBytes);
        Range(errors, nameof(MaxSpansPerRecord), MaxSpansPerRecord, 1, MaxMaxSpansPerRecord);
        Range(errors, nameof(MaxAttributesPerSpan), MaxAttributesPerSpan, 1, MaxMaxAttributesPerSpan);
        Range(errors, nameof(MaxAnyValueDepth), MaxAnyValueDepth, 1, MaxMaxAnyValueDepth);
        Range(errors, nameof(StringCacheSize), StringCacheSize, 16, 1 << 20);
        Range(errors, nameof(ResourceCacheSize), ResourceCacheSize, 16, MaxResourceCacheSize);
        Keys(errors, nameof(SpanAgentAttributes), SpanAgentAttributes);
        Keys(errors, nameof(ResourceAgentAttributes), ResourceAgentAttributes);
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every error, if any.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid OTLP decoder options: " + string.Join("; ", errors));
        }
    }

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name} must be between {min} and {max}"));
        }
    }

    private static void Keys(List<string> errors, string name, IList<string>? keys)
    {
        if (keys is null)
        {
            errors.Add($"{SectionName}:{name} must be set (it may be empty)");
            return;
        }

        if (keys.Count > MaxAgentAttributes)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name} must have at most {MaxAgentAttributes} keys"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (string.IsNullOrWhiteSpace(key) || key.Length > MaxAttributeKeyLength)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name}:{i} must be a non-empty attribute key of at most {MaxAttributeKeyLength} characters"));
            }
            else if (!seen.Add(key))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name}:{i} repeats '{key}'"));
            }
        }
    }
}
