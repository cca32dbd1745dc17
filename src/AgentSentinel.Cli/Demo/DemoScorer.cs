using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Cli.Demo;

/// <summary>The demo's verdict, written with <c>--report</c>.</summary>
internal sealed record DemoSummary(
    int FaultsInjected,
    int FaultsDetected,
    int FalseFlags,
    int FalseAnomalies,
    double? MedianSecondsToFlag,
    int Agents,
    long Records,
    long Spans,
    long FlagFlips,
    int IncidentsOpened,
    int IncidentsRecovered,
    double? MedianSecondsToRecovery,
    int ProbesStarted,
    int ProbesFailed,
    IReadOnlyList<DemoFaultOutcome> Faults);

/// <summary>One injected fault and what became of it.</summary>
internal sealed record DemoFaultOutcome(
    string Agent,
    string Fault,
    double StartedAtSeconds,
    double? EndedAtSeconds,
    bool Detected,
    double? SecondsToAnomaly,
    double? SecondsToFlag,
    int Probes,
    int FailedProbes,
    double? SecondsToRecovery);

/// <summary>
/// Scores the demo against the faults it injected: a fault is detected by an anomaly of the matching kind on its agent
/// after it began; a flag flip to fallback on an agent with no active fault is a false flag. Incidents are counted from
/// the pipeline's incident updates: opened, recovered (a probe passed), and the event-time seconds from opening to
/// recovery.
/// </summary>
internal sealed class DemoScorer(IReadOnlyList<SimulatedAgent> agents, TimeProvider time, long startTimestamp) : SentinelObserver
{
    private readonly Lock _gate = new();
    private readonly List<(Anomaly Anomaly, double AtSeconds)> _anomalies = [];
    private readonly List<(RemediationAction Action, double AtSeconds)> _flags = [];
    private readonly List<IncidentUpdate> _incidents = [];

    /// <summary>A flag that follows a fault's end by less than this still belongs to it (probe traffic already in flight).</summary>
    private const double FaultGraceSeconds = 10;

    public override void OnAnomaly(Anomaly anomaly)
    {
        var at = time.GetElapsedTime(startTimestamp).TotalSeconds;
        lock (_gate)
        {
            _anomalies.Add((anomaly, at));
        }
    }

    public override void OnRemediation(RemediationAction action)
    {
        var at = time.GetElapsedTime(startTimestamp).TotalSeconds;
        lock (_gate)
        {
            _flags.Add((action, at));
        }
    }

    public override void OnIncident(IncidentUpdate update)
    {
        lock (_gate)
        {
            _incidents.Add(update);
        }
    }

    public DemoSummary Summarize(long records, long spans)
    {
        lock (_gate)
        {
            var byName = agents.ToDictionary(a => a.Name, StringComparer.Ordinal);
            var outcomes = new List<DemoFaultOutcome>();
            foreach (var agent in agents.Where(a => a.Fault != FaultKind.None).OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                var expected = agent.Fault.ExpectedAnomalies();
                var anomaly = _anomalies.FirstOrDefault(x => x.Anomaly.Agent == agent.Name && expected.Contains(x.Anomaly.Kind) && x.AtSeconds >= agent.FaultStartSeconds);
                var flag = _flags.FirstOrDefault(x => x.Action.Agent == agent.Name && x.Action.Route == FlagRoute.Fallback && x.AtSeconds >= agent.FaultStartSeconds);
                var steps = _incidents.Where(u => u.Agent == agent.Name).ToList();
                var recovered = steps.FirstOrDefault(u => u.Change == IncidentChange.Recovered);
                outcomes.Add(new DemoFaultOutcome(
                    agent.Name,
                    agent.Fault.Describe(),
                    Math.Round(agent.FaultStartSeconds, 2),
                    double.IsFinite(agent.FaultEndSeconds) ? Math.Round(agent.FaultEndSeconds, 2) : null,
                    anomaly.Anomaly is not null,
                    anomaly.Anomaly is null ? null : Math.Round(anomaly.AtSeconds - agent.FaultStartSeconds, 2),
                    flag.Action is null ? null : Math.Round(flag.AtSeconds - agent.FaultStartSeconds, 2),
                    steps.Count(u => u.Cause == "probe_started"),
                    steps.Count(u => u.Cause == "probe_failed"),
                    recovered is null ? null : Math.Round(recovered.SecondsOpen, 2)));
            }

            bool Faulted(string agent, double at) => byName.TryGetValue(agent, out var a) && (a.FaultActive(at) || a.FaultActive(at - FaultGraceSeconds));

            var falseFlags = _flags.Count(x => x.Action.Route == FlagRoute.Fallback && !Faulted(x.Action.Agent, x.AtSeconds));
            var falseAnomalies = _anomalies.Count(x => !Faulted(x.Anomaly.Agent, x.AtSeconds));
            var toFlag = outcomes.Where(o => o.SecondsToFlag is not null).Select(o => o.SecondsToFlag!.Value).Order().ToArray();
            var recoveries = _incidents.Where(u => u.Change == IncidentChange.Recovered).Select(u => u.SecondsOpen).ToArray();
            return new DemoSummary(
                outcomes.Count,
                outcomes.Count(o => o.Detected),
                falseFlags,
                falseAnomalies,
                Median(toFlag),
                agents.Count,
                records,
                spans,
                _flags.Count(x => x.Action.Route == FlagRoute.Fallback),
                _incidents.Count(u => u.Change == IncidentChange.Opened),
                recoveries.Length,
                Median(recoveries),
                _incidents.Count(u => u.Cause == "probe_started"),
                _incidents.Count(u => u.Cause == "probe_failed"),
                outcomes);
        }
    }

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? null
            : Math.Round(sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2, 2);
    }
}
