using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Cli.Demo;

/// <summary>
/// Prints what happens, as it happens: baselines becoming ready, anomalies with their explanation, flag flips, and
/// the agents' own view of their route. Agent names here are the demo's own; span content is never printed.
/// </summary>
internal sealed class DemoConsole(TextWriter output, TimeProvider time, long startTimestamp) : SentinelObserver
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _readyAgents = new(StringComparer.Ordinal);

    public void Line(string tag, string text)
    {
        var elapsed = time.GetElapsedTime(startTimestamp).TotalSeconds;
        lock (_gate)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{elapsed,6:0.0}s] {tag,-9} {text}"));
        }
    }

    public override void OnBaselineReady(BaselineReady ready)
    {
        lock (_gate)
        {
            // One line per agent is enough to show warm-up; the rest is in the report.
            if (!_readyAgents.Add(ready.Agent))
            {
                return;
            }
        }

        Line("baseline", string.Create(CultureInfo.InvariantCulture,
            $"{ready.Agent,-22} {ready.Feature} median {ready.Median:0.#} spread {ready.Spread:0.#} after {ready.Samples} samples"));
    }

    public override void OnAnomaly(Anomaly anomaly) =>
        Line("ANOMALY", string.Create(CultureInfo.InvariantCulture,
            $"{anomaly.Agent,-22} {anomaly.Kind}: {anomaly.Explanation.Summary}; traces {string.Join(',', anomaly.TraceIds.Take(2))}"));

    public override void OnRemediation(RemediationAction action) =>
        Line("FLAG", action.Route == FlagRoute.Primary
            ? $"{action.Agent,-22} back to primary ({action.Reason}), incident {action.Incident}"
            : $"{action.Agent,-22} -> {action.Route.ToWireName()} '{action.Fallback}' ({action.Reason}), incident {action.Incident}");

    public override void OnIncident(IncidentUpdate update)
    {
        if (update.Cause is "opened" or "probe_started" or "probe_failed" or "recovered" or "quiet")
        {
            Line("INCIDENT", string.Create(CultureInfo.InvariantCulture,
                $"{update.Agent,-22} {update.Incident} {update.Kind}: {update.Cause} -> {update.Phase}{(update.Trips > 1 ? $" (trip {update.Trips})" : string.Empty)}; {update.Detail}"));
        }
    }

    public void AgentRoute(SimulatedAgent agent, FlagRoute route, string fallback) =>
        Line("agent", route == FlagRoute.Primary
            ? $"{agent.Name,-22} polled its flag: back on its primary model {agent.Archetype.Model}"
            : $"{agent.Name,-22} polled its flag: now routing to {route.ToWireName()} '{fallback}'");
}
