using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Tests.TestSupport;

/// <summary>Feeds traces to one detector and collects what it finds, with the index of the trace that fired.</summary>
internal static class DetectorRun
{
    public static List<(int Trace, Anomaly Anomaly)> Run(IAgentDetector detector, IEnumerable<AgentTrace> traces)
    {
        var found = new List<(int, Anomaly)>();
        var n = 0;
        foreach (var trace in traces)
        {
            if (detector.Observe(trace, TraceFeatures.Compute(trace)) is { } anomaly)
            {
                found.Add((n, anomaly));
            }

            n++;
        }

        return found;
    }
}
