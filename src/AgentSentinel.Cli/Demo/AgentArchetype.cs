namespace AgentSentinel.Cli.Demo;

/// <summary>Which instrumentation convention a simulated agent's spans follow.</summary>
internal enum SpanConvention
{
    /// <summary>OTel GenAI semantic conventions, current names.</summary>
    OtelGenAi,
    /// <summary>OTel GenAI before 1.37: gen_ai.system, prompt/completion tokens.</summary>
    OtelGenAiLegacy,
    /// <summary>Arize OpenInference.</summary>
    OpenInference,
}

/// <summary>The shape of one kind of agent's normal traffic.</summary>
/// <param name="Name">Archetype name, also the agent name's prefix.</param>
/// <param name="TracesPerSecond">Mean request rate of one agent.</param>
/// <param name="MinLlmCalls">Fewest model calls per request.</param>
/// <param name="MaxLlmCalls">Most model calls per request.</param>
/// <param name="InputTokens">Median input tokens per model call.</param>
/// <param name="OutputTokens">Median output tokens per model call.</param>
/// <param name="CallLatencyMs">Median latency of one model call.</param>
/// <param name="Tools">Tools the agent calls between model calls (empty: none).</param>
/// <param name="Retrieval">Whether each request starts with a retrieval.</param>
/// <param name="Model">The primary model.</param>
/// <param name="Provider">The provider, as gen_ai.provider.name.</param>
internal sealed record AgentArchetype(
    string Name,
    double TracesPerSecond,
    int MinLlmCalls,
    int MaxLlmCalls,
    double InputTokens,
    double OutputTokens,
    double CallLatencyMs,
    string[] Tools,
    bool Retrieval,
    string Model,
    string Provider)
{
    public static readonly AgentArchetype ChatAssistant = new(
        "chat-assistant", 4.0, 1, 1, 650, 220, 900, [], false, "gpt-4o", "openai");

    public static readonly AgentArchetype Rag = new(
        "rag-answerer", 3.0, 1, 1, 2400, 300, 1400, [], true, "claude-sonnet-4", "anthropic");

    public static readonly AgentArchetype ReactAgent = new(
        "react-agent", 2.0, 2, 5, 1200, 180, 1100, ["search_web", "get_weather", "run_sql"], false, "gpt-4.1", "openai");

    public static readonly AgentArchetype Planner = new(
        "planner", 1.5, 3, 6, 1800, 400, 1600, ["create_plan", "delegate", "summarize"], true, "gemini-2.5-pro", "gcp.gemini");

    public static IReadOnlyList<AgentArchetype> All { get; } = [ChatAssistant, Rag, ReactAgent, Planner];
}
