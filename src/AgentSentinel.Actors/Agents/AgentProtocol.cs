using AgentSentinel.Core.Traces;
using AgentSentinel.Remediation.Lifecycle;
using Akka.Actor;

namespace AgentSentinel.Actors.Agents;

/// <summary>Messages of the agent router (<c>/user/agents</c>) and its per-agent children.</summary>
public static class AgentProtocol
{
    /// <summary>
    /// A message for one agent: the router routes on <see cref="AgentId"/> (as a cluster-sharding message extractor
    /// would), creating the agent's actor on demand.
    /// </summary>
    public interface IAgentMessage
    {
        string AgentId { get; }
    }

    /// <summary>Command: judge one completed trace of the agent.</summary>
    public sealed record ObserveTrace(AgentTrace Trace) : IAgentMessage
    {
        public string AgentId => Trace.Agent;
    }

    /// <summary>
    /// Command from remediation: an incident with this <paramref name="Fallback"/> is in force for the agent (null: none).
    /// While one is, the agent keeps its healthy reference sample frozen and leaves traces served by the fallback out of
    /// detection (they come from another model or a cache, not from the agent's primary path).
    /// </summary>
    /// <param name="Reference">After a restart: the reference sample saved with the incident, for an actor that lost its own.</param>
    public sealed record SetRemediationMode(string AgentId, string? Fallback, string? Reference = null) : IAgentMessage;

    /// <summary>Command from remediation: judge this probe's traffic with the recovery test and report the verdict.</summary>
    public sealed record StartProbe(string AgentId, ProbeSpec Probe) : IAgentMessage;

    /// <summary>
    /// Command to the router (flush): pass barrier <paramref name="Id"/> through every live agent to remediation, which
    /// replies <see cref="Remediation.RemediationProtocol.BarrierPassed"/> to <paramref name="ReplyTo"/> once every agent
    /// has handed over what it found before the barrier.
    /// </summary>
    public sealed record Barrier(long Id, IActorRef ReplyTo, long Watermark);

    /// <summary>
    /// Event from trace assembly to the router, which passes it to every live agent: event time has reached
    /// <paramref name="WatermarkUnixNano"/> (sent after the traces the same step closed, throttled by
    /// <see cref="PipelineOptions.AgentWatermarkInterval"/>). Agents let their time-driven detectors (silence) judge it.
    /// It does not count as activity: an idle agent is still passivated (see <see cref="PipelineOptions.AgentSilenceWatch"/>).
    /// </summary>
    public sealed record AdvanceWatermark(long WatermarkUnixNano) : INotInfluenceReceiveTimeout;

    /// <summary>From the router to each agent: forward the barrier to remediation after everything received before it.</summary>
    public sealed record AgentBarrier(long Id);

    /// <summary>From an idle agent to the router: stop me (the router buffers my messages until I have stopped).</summary>
    public sealed record Passivate
    {
        public static readonly Passivate Instance = new();
    }

    /// <summary>Query to the router: which agents have a live actor. Replied to with <see cref="Agents"/>.</summary>
    public sealed record GetAgents
    {
        public static readonly GetAgents Instance = new();
    }

    /// <summary>The agents with a live actor, in ordinal order.</summary>
    public sealed record Agents(IReadOnlyList<string> AgentIds);
}
