namespace AgentSentinel.Core.Spans;

/// <summary>
/// The route an agent says served a span, from the span attribute <c>agentsentinel.route</c> that AgentSentinel's flag
/// clients set (<c>primary</c> or <c>fallback</c>; <c>probe</c> traffic is tagged by the path it actually took).
/// </summary>
public enum SpanRouteHint : byte
{
    /// <summary>The span does not say.</summary>
    None,
    /// <summary>Served by the agent's primary path.</summary>
    Primary,
    /// <summary>Served by the fallback named in the agent's flag.</summary>
    Fallback,
}
