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
    IReadOnlyList<DemoFaultOutcome> Faults);

/// <summary>One injected fault and what became of it.</summary>
internal sealed record DemoFaultOutcome(string Agent, string Fault, double StartedAtSeconds, bool Detected, double? SecondsToAnomaly, double? SecondsToFlag);

/// <summary>
/// Scores the demo against the faults it injected: a fault is detected by an anomaly of the matching kind on its agent
/// after it began; a flag flip on an agent with no active fault is a false flag.
/// </summary>
internal sealed class DemoScorer(IReadOnlyList<SimulatedAgent> agents, TimeProvider time, long startTimestamp) : SentinelObserver
{
    private readonly Lock _gate = new();
    private readonly List<(Anomaly Anomaly, double AtSeconds)> _anomalies = [];
    private readonly List<(RemediationAction Action, double AtSeconds)> _flags = [];

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

    public DemoSummary Summarize(long records, long spans)
    {
        lock (_gate)
        {
            var byName = agents.ToDictionary(a => a.Name, StringComparer.Ordinal);
            var outcomes = new List<DemoFaultOutcome>();
            foreach (var agent in agents.Where(a => a.Fault != FaultKind.None).OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                var expected = agent.Fault.ExpectedAnomaly();
                var anomaly = _anomalies.FirstOrDefault(x => x.Anomaly.Agent == agent.Name && x.Anomaly.Kind == expected && x.AtSeconds >= agent.FaultStartSeconds);
                var flag = _flags.FirstOrDefault(x => x.Action.Agent == agent.Name && x.Action.Route == FlagRoute.Fallback && x.AtSeconds >= agent.FaultStartSeconds);
                outcomes.Add(new DemoFaultOutcome(
                    agent.Name,
                    agent.Fault.Describe(),
                    Math.Round(agent.FaultStartSeconds, 2),
                    anomaly.Anomaly is not null,
                    anomaly.Anomaly is null ? null : Math.Round(anomaly.AtSeconds - agent.FaultStartSeconds, 2),
                    flag.Action is null ? null : Math.Round(flag.AtSeconds - agent.FaultStartSeconds, 2)));
            }

            bool Faulted(string agent, double at) => byName.TryGetValue(agent, out var a) && a.FaultActive(at);

            var falseFlags = _flags.Count(x => x.Action.Route == FlagRoute.Fallback && !Faulted(x.Action.Agent, x.AtSeconds));
            var falseAnomalies = _anomalies.Count(x => !Faulted(x.Anomaly.Agent, x.AtSeconds));
            var toFlag = outcomes.Where(o => o.SecondsToFlag is not null).Select(o => o.SecondsToFlag!.Value).Order().ToArray();
            double? median = toFlag.Length == 0
                ? null
                : Math.Round(toFlag.Length % 2 == 1 ? toFlag[toFlag.Length / 2] : (toFlag[(toFlag.Length / 2) - 1] + toFlag[toFlag.Length / 2]) / 2, 2);
            return new DemoSummary(
                outcomes.Count,
                outcomes.Count(o => o.Detected),
                falseFlags,
                falseAnomalies,
                median,
                agents.Count,
                records,
                spans,
                _flags.Count(x => x.Action.Route == FlagRoute.Fallback),
                outcomes);
        }
    }
}
