using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Policies;
using Akka.Actor;

namespace AgentSentinel.Actors.Remediation;

/// <summary>Messages of the remediation actor (<c>/user/remediation</c>).</summary>
public static class RemediationProtocol
{
    /// <summary>Event from an agent actor: an anomaly was detected; <paramref name="Resource"/> is the agent's resource (policy selectors).</summary>
    public sealed record AnomalyDetected(Anomaly Anomaly, ResourceAttributes? Resource = null);

    /// <summary>Event from an agent actor: its recovery test decided probe <paramref name="Sequence"/>.</summary>
    public sealed record ProbeVerdict(string Agent, int Sequence, bool Recovered, string Summary, long AtUnixNano);

    /// <summary>Event from an agent actor entering an incident: its healthy reference sample (<c>ReferenceSample.ToSnapshot</c>), to save with the incident.</summary>
    public sealed record ReferenceCaptured(string Agent, string Snapshot);

    /// <summary>Event from trace assembly: event time has reached this watermark (unix ns): probes start, incidents move on.</summary>
    public sealed record WatermarkAdvanced(long WatermarkUnixNano);

    /// <summary>From the composition root: where the agent router is (remediation tells agents about probes and incidents).</summary>
    public sealed record AgentsAttached(IActorRef Router);

    /// <summary>From the agent router: how many agents have a live actor (the blast radius is a share of them).</summary>
    public sealed record FleetSize(int Agents);

    /// <summary>From the policy provider: a valid new policy file is in force.</summary>
    public sealed record PoliciesChanged(PolicySet Policies);

    /// <summary>
    /// Command from the composition root: the flag store is reachable again (e.g. Redis reconnected, possibly after a
    /// restart that lost its data). Remediation re-writes every decision it believes is still in force (by its wall-clock
    /// <c>expires_at</c>), with its original version: a store that kept the flag reports it stale, one that lost it applies it.
    /// </summary>
    public sealed record StoreReconnected
    {
        public static readonly StoreReconnected Instance = new();
    }

    /// <summary>A manual operation (from <see cref="ActorRemediationAdmin"/>); replied to with an <see cref="AdminResult"/>.</summary>
    public sealed record AdminCommand(Func<RemediationEngine, List<RemediationEffect>, AdminResult> Operation);

    /// <summary>Query: the overview of <see cref="IRemediationAdmin.ListAsync"/>.</summary>
    public sealed record GetOverview
    {
        public static readonly GetOverview Instance = new();
    }

    /// <summary>From the agent router: barrier <paramref name="Id"/> went to these agents; reply to <paramref name="ReplyTo"/> once each has passed it or stopped.</summary>
    public sealed record ExpectBarrier(long Id, IReadOnlyCollection<IActorRef> Agents, IActorRef ReplyTo, long Watermark);

    /// <summary>From an agent (the sender): every anomaly it found before barrier <paramref name="Id"/> has been sent.</summary>
    public sealed record AgentBarrierPassed(long Id);

    /// <summary>From the agent router: this agent actor has stopped (it will pass no barrier).</summary>
    public sealed record AgentStopped(IActorRef Agent);

    /// <summary>
    /// Reply to a flush: every trace closed before the barrier has been judged, every resulting decision made and
    /// reported, and no flag write is in flight (failed writes keep being retried in the background).
    /// </summary>
    public sealed record BarrierPassed(long Id);

    /// <summary>Query (for diagnostics and tests): the decisions remediation believes are in force.</summary>
    public sealed record GetFlags
    {
        public static readonly GetFlags Instance = new();
    }

    /// <summary>Reply to <see cref="GetFlags"/>: per agent, the latest decision and whether the store applied it.</summary>
    public sealed record Flags(IReadOnlyList<FlagStatus> Decisions);

    /// <summary>One agent's latest decision and its write state.</summary>
    public sealed record FlagStatus(FlagDecision Decision, bool Applied, int FailedAttempts);
}
