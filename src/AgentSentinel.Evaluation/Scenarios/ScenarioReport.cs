namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>The outcome of <c>agentsentinel eval scenarios</c>: per-fault scores, false incidents, traffic. No wall-clock values.</summary>
public sealed record ScenarioReport(
    ScenarioConfig Config,
    IReadOnlyList<FaultKindScore> Kinds,
    IReadOnlyList<CrossDetection> CrossDetections,
    IReadOnlyList<DetectorCount> Detectors,
    IncidentSummary FaultIncidents,
    TrafficStats FaultTraffic,
    IncidentSummary? CleanIncidents,
    IReadOnlyList<DetectorCount> CleanDetectors,
    TrafficStats? CleanTraffic,
    IReadOnlyList<EventResult> Events,
    IReadOnlyList<AgentFalseAnomalies> FalseByAgent,
    IReadOnlyList<AgentFalseAnomalies> CleanFalseByAgent);

/// <summary>False anomalies of one kind for one agent (where to look when tuning a detector).</summary>
public sealed record AgentFalseAnomalies(string Agent, string Kind, int Count);

/// <summary>The settings a report was produced with.</summary>
public sealed record ScenarioConfig(
    int Seed,
    int Agents,
    double Hours,
    double CleanHours,
    double BurnInHours,
    double GraceMinutes,
    double IncidentGapMinutes,
    double WatermarkStepSeconds,
    IReadOnlyList<string> DetectorKinds);

/// <summary>Event-level scores of one fault kind.</summary>
/// <param name="Kind">The fault kind's wire name.</param>
/// <param name="Events">Faults of this kind injected.</param>
/// <param name="Detected">Of those, detected by an accepted anomaly kind within [start, end + grace] (the true positives).</param>
/// <param name="FalsePositives">Anomalies whose primary fault is this kind, outside every fault window of their agent.</param>
/// <param name="Precision">Detected / (detected + false positives); null when both are zero.</param>
/// <param name="Recall">Detected / events; null without events.</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when nothing was detected).</param>
/// <param name="MedianDelayTraces">Median over detected events of the agent's traces from the fault's start to the detection.</param>
/// <param name="P90DelayTraces">90th percentile of the same.</param>
/// <param name="MedianDelaySeconds">Median event-time seconds from the fault's start to the first accepted anomaly.</param>
/// <param name="P90DelaySeconds">90th percentile of the same.</param>
/// <param name="BySeverity">Recall per magnitude third (low, medium, high).</param>
public sealed record FaultKindScore(
    string Kind,
    int Events,
    int Detected,
    int FalsePositives,
    double? Precision,
    double? Recall,
    double? F1,
    double? MedianDelayTraces,
    double? P90DelayTraces,
    double? MedianDelaySeconds,
    double? P90DelaySeconds,
    IReadOnlyList<SeverityRecall> BySeverity);

/// <summary>Events and detections of one magnitude third.</summary>
public sealed record SeverityRecall(string Severity, int Events, int Detected);

/// <summary>Anomalies of a kind not accepted for the fault whose window they fell in (not false: something was wrong).</summary>
public sealed record CrossDetection(string Fault, string AnomalyKind, int Count);

/// <summary>What one anomaly kind did: accepted detections, cross-detections, false anomalies.</summary>
public sealed record DetectorCount(string Kind, int Total, int Accepted, int Cross, int False);

/// <summary>Incidents (anomalies of one agent merged while less than the incident gap apart) and the false ones.</summary>
/// <param name="Incidents">All incidents.</param>
/// <param name="FalseIncidents">Incidents overlapping no fault window (+ grace) of their agent.</param>
/// <param name="CleanAgentHours">Agent-hours of traffic outside fault windows (+ grace).</param>
/// <param name="FalsePer100AgentHours">False incidents per 100 clean agent-hours.</param>
/// <param name="UpperBound95Per100AgentHours">One-sided 95 % Poisson upper bound on that rate.</param>
public sealed record IncidentSummary(int Incidents, int FalseIncidents, double CleanAgentHours, double FalsePer100AgentHours, double UpperBound95Per100AgentHours);

/// <summary>One injected fault and whether and how fast it was detected.</summary>
public sealed record EventResult(
    string Agent,
    string Kind,
    string Variant,
    double Magnitude,
    string Severity,
    double Share,
    string Onset,
    double StartHours,
    double DurationMinutes,
    bool Detected,
    string? DetectedBy,
    double? DelaySeconds,
    int? DelayTraces);
