using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Core.Pipeline;

/// <summary>A baseline that finished its warm-up: the agent is now being judged.</summary>
public sealed record BaselineReady(string Agent, string Feature, double Median, double Spread, int Samples, long AtUnixNano);

/// <summary>
/// Watches what the pipeline decides: the console, the reports and tests subscribe.
/// Called from actor threads, possibly concurrently: implementations must be thread-safe and quick.
/// </summary>
public abstract class SentinelObserver
{
    public virtual void OnTraceCompleted(AgentTrace trace)
    {
    }

    public virtual void OnBaselineReady(BaselineReady ready)
    {
    }

    public virtual void OnAnomaly(Anomaly anomaly)
    {
    }

    public virtual void OnRemediation(RemediationAction action)
    {
    }

    /// <summary>An incident opened, changed phase (fallback, probe), recovered or was resolved.</summary>
    public virtual void OnIncident(IncidentUpdate update)
    {
    }
}
