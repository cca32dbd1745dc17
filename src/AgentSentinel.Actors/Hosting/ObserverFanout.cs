using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Traces;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Hosting;

/// <summary>
/// Calls every observer, isolating the pipeline from their failures: an observer that throws is logged (once per
/// observer) and skipped for that call; the pipeline and the other observers carry on. Thread-safe.
/// </summary>
internal sealed class ObserverFanout(IReadOnlyList<SentinelObserver> observers, ILogger logger)
{
    private readonly SentinelObserver[] _observers = [.. observers];
    private readonly int[] _failed = new int[observers.Count];

    public void OnTraceCompleted(AgentTrace trace) =>
        Notify(static (o, t) => o.OnTraceCompleted(t), trace, nameof(SentinelObserver.OnTraceCompleted));

    public void OnBaselineReady(BaselineReady ready) =>
        Notify(static (o, r) => o.OnBaselineReady(r), ready, nameof(SentinelObserver.OnBaselineReady));

    public void OnAnomaly(Anomaly anomaly) =>
        Notify(static (o, a) => o.OnAnomaly(a), anomaly, nameof(SentinelObserver.OnAnomaly));

    public void OnRemediation(RemediationAction action) =>
        Notify(static (o, a) => o.OnRemediation(a), action, nameof(SentinelObserver.OnRemediation));

    public void OnIncident(IncidentUpdate update) =>
        Notify(static (o, u) => o.OnIncident(u), update, nameof(SentinelObserver.OnIncident));

    private void Notify<T>(Action<SentinelObserver, T> callback, T value, string name)
    {
        for (var i = 0; i < _observers.Length; i++)
        {
            try
            {
                callback(_observers[i], value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(i, name, e);
            }
        }
    }

    private void Failed(int index, string callback, Exception exception)
    {
        if (Interlocked.Exchange(ref _failed[index], 1) == 0)
        {
            Log.ObserverFailed(logger, _observers[index].GetType().Name, callback, exception);
        }
    }
}
