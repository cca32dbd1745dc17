using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>The scores of one scenario run.</summary>
internal sealed record ScenarioScore(
    IReadOnlyList<FaultKindScore> Kinds,
    IReadOnlyList<CrossDetection> CrossDetections,
    IReadOnlyList<DetectorCount> Detectors,
    IncidentSummary Incidents,
    IReadOnlyList<EventResult> Events,
    IReadOnlyList<AgentFalseAnomalies> FalseByAgent);

/// <summary>
/// Scores anomalies against labelled faults. A fault is detected when an anomaly of an accepted kind
/// (<see cref="FaultDetectionMap"/>) for its agent lies in [start, end + grace]. An anomaly in no fault window of its
/// agent is false, and counts against the fault kind it is primarily about; one inside another fault's window is a
/// cross-detection. Anomalies of one agent less than the incident gap apart form one incident.
/// </summary>
internal static class ScenarioScorer
{
    private static readonly string[] Severities = ["low", "medium", "high"];

    public static ScenarioScore Score(
        IReadOnlyList<FaultLabel> faults,
        IReadOnlyList<Anomaly> anomalies,
        IReadOnlyDictionary<string, long[]> traceTimes,
        long startUnixNano,
        long endUnixNano,
        TimeSpan grace,
        TimeSpan incidentGap)
    {
        var graceNanos = grace.Ticks * 100;
        var byAgent = anomalies
            .GroupBy(a => a.Agent, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(a => a.DetectedAtUnixNano).ThenBy(a => a.Kind, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        var faultsByAgent = faults
            .GroupBy(f => f.Agent, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

        // Events.
        var events = new List<EventResult>(faults.Count);
        foreach (var fault in faults)
        {
            Anomaly? first = null;
            foreach (var anomaly in byAgent.GetValueOrDefault(fault.Agent) ?? [])
            {
                if (anomaly.DetectedAtUnixNano >= fault.StartUnixNano
                    && anomaly.DetectedAtUnixNano <= fault.EndUnixNano + graceNanos
                    && FaultDetectionMap.Accepts(fault.Kind, anomaly.Kind))
                {
                    first = anomaly;
                    break;
                }
            }

            int? delayTraces = null;
            if (first is not null && traceTimes.TryGetValue(fault.Agent, out var times))
            {
                delayTraces = CountBetween(times, fault.StartUnixNano, first.DetectedAtUnixNano);
            }

            events.Add(new EventResult(
                fault.Agent,
                fault.Kind.WireName(),
                fault.Variant,
                fault.Magnitude,
                fault.Severity,
                fault.Share,
                fault.Onset,
                Math.Round((fault.StartUnixNano - startUnixNano) / 3.6e12, 4),
                Math.Round((fault.EndUnixNano - fault.StartUnixNano) / 6e10, 2),
                first is not null,
                first?.Kind,
                first is null ? null : Math.Round((first.DetectedAtUnixNano - fault.StartUnixNano) / 1e9, 3),
                delayTraces));
        }

        // Anomalies: accepted, cross or false.
        var falseByFault = new Dictionary<FaultKind, int>();
        var cross = new SortedDictionary<(string Fault, string Kind), int>();
        var detectorCounts = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        var falseByAgent = new SortedDictionary<(string Agent, string Kind), int>();
        foreach (var anomaly in anomalies)
        {
            if (!detectorCounts.TryGetValue(anomaly.Kind, out var counts))
            {
                detectorCounts[anomaly.Kind] = counts = new int[4];
            }

            counts[0]++;
            FaultLabel? container = null;
            var accepted = false;
            foreach (var fault in faultsByAgent.GetValueOrDefault(anomaly.Agent) ?? [])
            {
                if (anomaly.DetectedAtUnixNano >= fault.StartUnixNano && anomaly.DetectedAtUnixNano <= fault.EndUnixNano + graceNanos)
                {
                    container ??= fault;
                    accepted |= FaultDetectionMap.Accepts(fault.Kind, anomaly.Kind);
                }
            }

            if (accepted)
            {
                counts[1]++;
            }
            else if (container is not null)
            {
                counts[2]++;
                var key = (container.Kind.WireName(), anomaly.Kind);
                cross[key] = cross.GetValueOrDefault(key) + 1;
            }
            else
            {
                counts[3]++;
                falseByAgent[(anomaly.Agent, anomaly.Kind)] = falseByAgent.GetValueOrDefault((anomaly.Agent, anomaly.Kind)) + 1;
                if (FaultDetectionMap.PrimaryFault(anomaly.Kind) is { } primary)
                {
                    falseByFault[primary] = falseByFault.GetValueOrDefault(primary) + 1;
                }
            }
        }

        var kinds = new List<FaultKindScore>();
        foreach (var kind in FaultDetectionMap.AllFaults)
        {
            var name = kind.WireName();
            var mine = events.Where(e => e.Kind == name).ToArray();
            var detected = mine.Where(e => e.Detected).ToArray();
            kinds.Add(KindScore(name, mine.Length, detected.Length, falseByFault.GetValueOrDefault(kind),
                [.. detected.Select(e => (double)(e.DelayTraces ?? 0))],
                [.. detected.Select(e => e.DelaySeconds ?? 0)],
                [.. Severities.Select(s => new SeverityRecall(s, mine.Count(e => e.Severity == s), detected.Count(e => e.Severity == s)))]));
        }

        var incidents = Incidents(byAgent, faultsByAgent, traceTimes.Keys, startUnixNano, endUnixNano, graceNanos, incidentGap.Ticks * 100);
        return new ScenarioScore(
            kinds,
            [.. cross.Select(c => new CrossDetection(c.Key.Fault, c.Key.Kind, c.Value))],
            [.. detectorCounts.Select(d => new DetectorCount(d.Key, d.Value[0], d.Value[1], d.Value[2], d.Value[3]))],
            incidents,
            events,
            [.. falseByAgent.Select(f => new AgentFalseAnomalies(f.Key.Agent, f.Key.Kind, f.Value))]);
    }

    internal static FaultKindScore KindScore(string kind, int events, int detected, int falsePositives, double[] delayTraces, double[] delaySeconds, IReadOnlyList<SeverityRecall> bySeverity)
    {
        double? precision = detected + falsePositives > 0 ? (double)detected / (detected + falsePositives) : null;
        double? recall = events > 0 ? (double)detected / events : null;
        double? f1 = (precision, recall) switch
        {
            ({ } p, { } r) when p + r > 0 => 2 * p * r / (p + r),
            (_, 0) or (0, _) => 0,
            _ => null,
        };
        return new FaultKindScore(
            kind, events, detected, falsePositives, precision, recall, f1,
            Statistics.Percentile(delayTraces, 0.5), Statistics.Percentile(delayTraces, 0.9),
            Statistics.Percentile(delaySeconds, 0.5), Statistics.Percentile(delaySeconds, 0.9),
            bySeverity);
    }

    /// <summary>Merges each agent's anomalies into incidents and counts those that overlap no fault window.</summary>
    internal static IncidentSummary Incidents(
        IReadOnlyDictionary<string, Anomaly[]> anomaliesByAgent,
        IReadOnlyDictionary<string, FaultLabel[]> faultsByAgent,
        IEnumerable<string> agents,
        long startUnixNano,
        long endUnixNano,
        long graceNanos,
        long gapNanos)
    {
        int total = 0, falseIncidents = 0;
        double cleanNanos = 0;
        foreach (var agent in agents.Order(StringComparer.Ordinal))
        {
            var windows = (faultsByAgent.GetValueOrDefault(agent) ?? [])
                .Select(f => (Start: f.StartUnixNano, End: f.EndUnixNano + graceNanos))
                .OrderBy(w => w.Start)
                .ToArray();
            cleanNanos += (endUnixNano - startUnixNano) - CoveredNanos(windows, startUnixNano, endUnixNano);
            var list = anomaliesByAgent.GetValueOrDefault(agent) ?? [];
            var i = 0;
            while (i < list.Length)
            {
                var first = list[i].DetectedAtUnixNano;
                var last = first;
                i++;
                while (i < list.Length && list[i].DetectedAtUnixNano - last < gapNanos)
                {
                    last = list[i].DetectedAtUnixNano;
                    i++;
                }

                total++;
                if (!windows.Any(w => first <= w.End && last >= w.Start))
                {
                    falseIncidents++;
                }
            }
        }

        var cleanHours = cleanNanos / 3.6e12;
        var per100 = cleanHours > 0 ? falseIncidents * 100 / cleanHours : 0;
        var upper = cleanHours > 0 ? Statistics.PoissonUpperBound(falseIncidents) * 100 / cleanHours : double.PositiveInfinity;
        return new IncidentSummary(total, falseIncidents, cleanHours, per100, upper);
    }

    private static double CoveredNanos((long Start, long End)[] windows, long start, long end)
    {
        double covered = 0;
        var reach = start;
        foreach (var (s, e) in windows)
        {
            var from = Math.Max(s, reach);
            var to = Math.Min(e, end);
            if (to > from)
            {
                covered += to - from;
                reach = to;
            }
        }

        return covered;
    }

    /// <summary>Traces completed in [from, to] (the trace that triggered a detection included).</summary>
    private static int CountBetween(long[] sortedTimes, long from, long to)
    {
        var lo = LowerBound(sortedTimes, from);
        var hi = LowerBound(sortedTimes, to + 1);
        return Math.Max(0, hi - lo);
    }

    private static int LowerBound(long[] sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
