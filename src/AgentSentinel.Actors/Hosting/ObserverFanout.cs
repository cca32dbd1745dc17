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

    public void OnTraceCompleted(AgentTrace trace)
    {
        for (var i = 0; i < _observers.Length; i++)
        {
            try
            {
                _observers[i].OnTraceCompleted(trace);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(i, nameof(SentinelObserver.OnTraceCompleted), e);
            }
        }
    }

    public void OnBaselineReady(BaselineReady ready)
    {
        for (var i = 0; i < _observers.Length; i++)
        {
            try
            {
                _observers[i].OnBaselineReady(ready);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(i, nameof(SentinelObserver.OnBaselineReady), e);
            }
        }
    }

    public void OnAnomaly(Anomaly anomaly)
    {
        for (var i = 0; i < _observers.Length; i++)
        {
            try
            {
                _observers[i].OnAnomaly(anomaly);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(i, nameof(SentinelObserver.OnAnomaly), e);
            }
        }
    }

    public void OnRemediation(RemediationAction action)
    {
        for (var i = 0; i < _observers.Length; i++)
        {
            try
            {
                _observers[i].OnRemediation(action);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(i, nameof(SentinelObserver.OnRemediation), e);
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
