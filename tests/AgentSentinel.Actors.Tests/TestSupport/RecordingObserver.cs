using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>Records every callback (thread-safe) and renders them per agent, in the order each agent produced them.</summary>
internal sealed class RecordingObserver : SentinelObserver
{
    private readonly Lock _gate = new();
    private readonly List<AgentTrace> _traces = [];
    private readonly List<Anomaly> _anomalies = [];
    private readonly List<BaselineReady> _ready = [];
    private readonly List<RemediationAction> _actions = [];
    private readonly List<IncidentUpdate> _incidents = [];

    public IReadOnlyList<AgentTrace> Traces
    {
        get
        {
            lock (_gate)
            {
                return [.. _traces];
            }
        }
    }

    public IReadOnlyList<Anomaly> Anomalies
    {
        get
        {
            lock (_gate)
            {
                return [.. _anomalies];
            }
        }
    }

    public IReadOnlyList<BaselineReady> Ready
    {
        get
        {
            lock (_gate)
            {
                return [.. _ready];
            }
        }
    }

    public IReadOnlyList<RemediationAction> Actions
    {
        get
        {
            lock (_gate)
            {
                return [.. _actions];
            }
        }
    }

    public IReadOnlyList<IncidentUpdate> Incidents
    {
        get
        {
            lock (_gate)
            {
                return [.. _incidents];
            }
        }
    }

    public override void OnIncident(IncidentUpdate update)
    {
        lock (_gate)
        {
            _incidents.Add(update);
        }
    }

    public override void OnTraceCompleted(AgentTrace trace)
    {
        lock (_gate)
        {
            _traces.Add(trace);
        }
    }

    public override void OnBaselineReady(BaselineReady ready)
    {
        lock (_gate)
        {
            _ready.Add(ready);
        }
    }

    public override void OnAnomaly(Anomaly anomaly)
    {
        lock (_gate)
        {
            _anomalies.Add(anomaly);
        }
    }

    public override void OnRemediation(RemediationAction action)
    {
        lock (_gate)
        {
            _actions.Add(action);
        }
    }

    /// <summary>Everything observed, one line per event, grouped by agent in each agent's own order (which is deterministic).</summary>
    public IReadOnlyList<string> Transcript()
    {
        lock (_gate)
        {
            var lines = new List<(string Agent, int Kind, int Index, string Line)>();
            for (var i = 0; i < _traces.Count; i++)
            {
                var t = _traces[i];
                lines.Add((t.Agent, 0, i, string.Create(CultureInfo.InvariantCulture, $"trace {t.TraceId} spans={t.Spans.Length} root={t.RootSeen} at={t.CompletedAtUnixNano}")));
            }

            for (var i = 0; i < _anomalies.Count; i++)
            {
                var a = _anomalies[i];
                var e = a.Explanation;
                lines.Add((a.Agent, 1, i, string.Create(CultureInfo.InvariantCulture, $"anomaly {a.Kind} at={a.DetectedAtUnixNano} score={a.Score:R} {e.Feature} {e.Observed:R}/{e.Baseline:R}/{e.Spread:R} [{string.Join(',', a.TraceIds)}]")));
            }

            for (var i = 0; i < _ready.Count; i++)
            {
                var r = _ready[i];
                lines.Add((r.Agent, 2, i, string.Create(CultureInfo.InvariantCulture, $"ready {r.Feature} {r.Median:R}/{r.Spread:R} n={r.Samples} at={r.AtUnixNano}")));
            }

            for (var i = 0; i < _actions.Count; i++)
            {
                var a = _actions[i];
                lines.Add((a.Agent, 3, i, string.Create(CultureInfo.InvariantCulture, $"action {a.Route} {a.Fallback} at={a.AtUnixNano} {a.Incident} {a.Reason}")));
            }

            return [.. lines
                .OrderBy(l => l.Agent, StringComparer.Ordinal)
                .ThenBy(l => l.Kind)
                .ThenBy(l => l.Index)
                .Select(l => l.Agent + ": " + l.Line)];
        }
    }
}
