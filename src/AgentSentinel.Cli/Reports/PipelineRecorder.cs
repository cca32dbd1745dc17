using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Cli.Reports;

/// <summary>What the pipeline saw of one agent, summed over its completed traces.</summary>
internal sealed class AgentTally
{
    private readonly SortedSet<string> _models = new(StringComparer.Ordinal);

    public long Spans { get; private set; }
    public long LlmCalls { get; private set; }
    public long ToolCalls { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public long Traces { get; private set; }
    public IReadOnlyCollection<string> Models => _models;

    public void Add(AgentTrace trace)
    {
        var spans = trace.Spans.AsSpan();
        Span<bool> counted = spans.Length <= 256 ? stackalloc bool[spans.Length] : new bool[spans.Length];
        LlmCallAccounting.MarkCountedCalls(spans, counted);
        Traces++;
        Spans += spans.Length;
        for (var i = 0; i < spans.Length; i++)
        {
            ref readonly var span = ref spans[i];
            if (span.Operation == SpanOperation.ExecuteTool)
            {
                ToolCalls++;
            }

            if (!counted[i])
            {
                continue;
            }

            LlmCalls++;
            InputTokens += span.InputTokens ?? 0;
            OutputTokens += span.OutputTokens ?? 0;
            if (span.Model is { } model)
            {
                _models.Add(model);
            }
        }
    }
}

/// <summary>
/// Records everything the pipeline decides, for the replay report and the demo's summary.
/// Thread-safe: actors call it concurrently. Output orders are fixed (by event time, then agent) so that
/// a replay of the same records gives the same report byte for byte.
/// </summary>
internal sealed class PipelineRecorder : SentinelObserver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AgentTally> _agents = new(StringComparer.Ordinal);
    private readonly HashSet<TraceId> _traces = [];
    private readonly List<Anomaly> _anomalies = [];
    private readonly List<RemediationAction> _remediations = [];

    public override void OnTraceCompleted(AgentTrace trace)
    {
        lock (_gate)
        {
            if (!_agents.TryGetValue(trace.Agent, out var tally))
            {
                _agents[trace.Agent] = tally = new AgentTally();
            }

            tally.Add(trace);
            _traces.Add(trace.TraceId);
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
            _remediations.Add(action);
        }
    }

    public int TraceCount
    {
        get
        {
            lock (_gate)
            {
                return _traces.Count;
            }
        }
    }

    /// <summary>Agents in ordinal order with their tallies.</summary>
    public IReadOnlyList<KeyValuePair<string, AgentTally>> Agents()
    {
        lock (_gate)
        {
            return [.. _agents.OrderBy(a => a.Key, StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<Anomaly> Anomalies()
    {
        lock (_gate)
        {
            return [.. _anomalies
                .OrderBy(a => a.DetectedAtUnixNano)
                .ThenBy(a => a.Agent, StringComparer.Ordinal)
                .ThenBy(a => a.Kind, StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<RemediationAction> Remediations()
    {
        lock (_gate)
        {
            return [.. _remediations
                .OrderBy(r => r.AtUnixNano)
                .ThenBy(r => r.Agent, StringComparer.Ordinal)
                .ThenBy(r => r.Route)];
        }
    }
}
