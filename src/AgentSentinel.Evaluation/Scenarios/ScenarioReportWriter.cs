using System.Globalization;
using System.Text.Json;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>Writes a <see cref="ScenarioReport"/> as JSON (stable key order, numbers rounded) and as a console table.</summary>
public static class ScenarioReportWriter
{
    /// <summary>Writes the report as indented JSON. Same report, same bytes.</summary>
    public static void Write(Stream stream, ScenarioReport report)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();

        var c = report.Config;
        json.WriteStartObject("config");
        json.WriteNumber("seed", c.Seed);
        json.WriteNumber("agents", c.Agents);
        Number(json, "hours", c.Hours);
        Number(json, "clean_hours", c.CleanHours);
        Number(json, "burn_in_hours", c.BurnInHours);
        Number(json, "grace_minutes", c.GraceMinutes);
        Number(json, "incident_gap_minutes", c.IncidentGapMinutes);
        Number(json, "watermark_step_seconds", c.WatermarkStepSeconds);
        json.WriteStartArray("detector_kinds");
        foreach (var kind in c.DetectorKinds)
        {
            json.WriteStringValue(kind);
        }

        json.WriteEndArray();
        json.WriteEndObject();

        var scored = report.Kinds.Where(k => k.Events > 0).ToArray();
        json.WriteStartObject("summary");
        Number(json, "min_f1", scored.Length == 0 ? null : scored.Min(k => k.F1 ?? 0));
        Number(json, "mean_f1", scored.Length == 0 ? null : scored.Average(k => k.F1 ?? 0));
        json.WriteNumber("events", report.Kinds.Sum(k => k.Events));
        json.WriteNumber("detected", report.Kinds.Sum(k => k.Detected));
        Number(json, "false_incidents_per_100_agent_hours", (report.CleanIncidents ?? report.FaultIncidents).FalsePer100AgentHours);
        json.WriteEndObject();

        json.WriteStartObject("faults");
        foreach (var k in report.Kinds)
        {
            json.WriteStartObject(k.Kind);
            json.WriteNumber("events", k.Events);
            json.WriteNumber("detected", k.Detected);
            json.WriteNumber("tp", k.Detected);
            json.WriteNumber("fp", k.FalsePositives);
            json.WriteNumber("fn", k.Events - k.Detected);
            Number(json, "precision", k.Precision);
            Number(json, "recall", k.Recall);
            Number(json, "f1", k.F1);
            Number(json, "median_delay_traces", k.MedianDelayTraces);
            Number(json, "p90_delay_traces", k.P90DelayTraces);
            Number(json, "median_delay_seconds", k.MedianDelaySeconds);
            Number(json, "p90_delay_seconds", k.P90DelaySeconds);
            json.WriteStartObject("by_severity");
            foreach (var s in k.BySeverity)
            {
                json.WriteStartObject(s.Severity);
                json.WriteNumber("events", s.Events);
                json.WriteNumber("detected", s.Detected);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteStartArray("accepted_kinds");
            foreach (var accepted in FaultDetectionMap.AcceptedKinds(FaultDetectionMap.AllFaults.First(f => f.WireName() == k.Kind)))
            {
                json.WriteStringValue(accepted);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartArray("cross_detections");
        foreach (var x in report.CrossDetections)
        {
            json.WriteStartObject();
            json.WriteString("fault", x.Fault);
            json.WriteString("anomaly_kind", x.AnomalyKind);
            json.WriteNumber("count", x.Count);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        Detectors(json, "detectors", report.Detectors);
        FalseByAgent(json, report.FalseByAgent);
        Incidents(json, "false_incidents", report.FaultIncidents);
        Traffic(json, "traffic", report.FaultTraffic);

        json.WriteStartObject("clean");
        if (report.CleanIncidents is { } clean)
        {
            Incidents(json, "false_incidents", clean);
        }

        Detectors(json, "detectors", report.CleanDetectors);
        FalseByAgent(json, report.CleanFalseByAgent);
        if (report.CleanTraffic is { } cleanTraffic)
        {
            Traffic(json, "traffic", cleanTraffic);
        }

        json.WriteEndObject();

        json.WriteStartArray("events");
        foreach (var e in report.Events)
        {
            json.WriteStartObject();
            json.WriteString("agent", e.Agent);
            json.WriteString("kind", e.Kind);
            json.WriteString("variant", e.Variant);
            Number(json, "magnitude", e.Magnitude);
            json.WriteString("severity", e.Severity);
            Number(json, "share", e.Share);
            json.WriteString("onset", e.Onset);
            Number(json, "start_hours", e.StartHours);
            Number(json, "duration_minutes", e.DurationMinutes);
            json.WriteBoolean("detected", e.Detected);
            if (e.DetectedBy is null)
            {
                json.WriteNull("detected_by");
            }
            else
            {
                json.WriteString("detected_by", e.DetectedBy);
            }

            Number(json, "delay_seconds", e.DelaySeconds);
            Number(json, "delay_traces", e.DelayTraces);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Writes the per-kind table and the false-incident lines.</summary>
    public static void WriteSummary(TextWriter output, ScenarioReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"{"fault",-24} {"events",6} {"tp",4} {"fp",4} {"prec",6} {"recall",6} {"f1",6} {"delay tr",9} {"delay s",9}"));
        foreach (var k in report.Kinds)
        {
            output.WriteLine(string.Create(inv,
                $"{k.Kind,-24} {k.Events,6} {k.Detected,4} {k.FalsePositives,4} {F(k.Precision),6} {F(k.Recall),6} {F(k.F1),6} {F(k.MedianDelayTraces, "0"),9} {F(k.MedianDelaySeconds, "0"),9}"));
        }

        output.WriteLine(string.Create(inv,
            $"fault scenario: {Line(report.FaultIncidents)}"));
        if (report.CleanIncidents is { } clean)
        {
            output.WriteLine(string.Create(inv, $"clean scenario: {Line(clean)}"));
        }

        var crossTotal = report.CrossDetections.Sum(x => x.Count);
        output.WriteLine(string.Create(inv, $"cross-detections: {crossTotal}; detectors: {string.Join(", ", report.Config.DetectorKinds)}"));

        static string Line(IncidentSummary s) => string.Create(CultureInfo.InvariantCulture,
            $"{s.FalseIncidents} false of {s.Incidents} incidents over {s.CleanAgentHours:0} clean agent-hours = {s.FalsePer100AgentHours:0.00} per 100 agent-hours (95% upper {s.UpperBound95Per100AgentHours:0.00})");
    }

    private static string F(double? value, string format = "0.000") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, Math.Round(v, 4));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Detectors(Utf8JsonWriter json, string name, IReadOnlyList<DetectorCount> detectors)
    {
        json.WriteStartObject(name);
        foreach (var d in detectors)
        {
            json.WriteStartObject(d.Kind);
            json.WriteNumber("total", d.Total);
            json.WriteNumber("accepted", d.Accepted);
            json.WriteNumber("cross", d.Cross);
            json.WriteNumber("false", d.False);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void FalseByAgent(Utf8JsonWriter json, IReadOnlyList<AgentFalseAnomalies> counts)
    {
        json.WriteStartObject("false_anomalies_by_agent");
        foreach (var agent in counts.GroupBy(c => c.Agent, StringComparer.Ordinal))
        {
            json.WriteStartObject(agent.Key);
            foreach (var c in agent)
            {
                json.WriteNumber(c.Kind, c.Count);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void Incidents(Utf8JsonWriter json, string name, IncidentSummary s)
    {
        json.WriteStartObject(name);
        json.WriteNumber("incidents", s.Incidents);
        json.WriteNumber("false_incidents", s.FalseIncidents);
        Number(json, "clean_agent_hours", s.CleanAgentHours);
        Number(json, "per_agent_hour", s.CleanAgentHours > 0 ? s.FalseIncidents / s.CleanAgentHours : null);
        Number(json, "per_100_agent_hours", s.FalsePer100AgentHours);
        Number(json, "upper_95_per_100_agent_hours", s.UpperBound95Per100AgentHours);
        json.WriteEndObject();
    }

    private static void Traffic(Utf8JsonWriter json, string name, TrafficStats t)
    {
        json.WriteStartObject(name);
        json.WriteNumber("traces", t.Traces);
        json.WriteNumber("spans", t.Spans);
        json.WriteNumber("llm_calls", t.LlmCalls);
        json.WriteNumber("tool_calls", t.ToolCalls);
        json.WriteNumber("silenced_traces", t.SilencedTraces);
        Number(json, "tool_error_share", Share(t.ToolErrors, t.ToolCalls));
        Number(json, "length_share_of_answers", Share(t.LengthFinishes, t.FinalAnswers));
        Number(json, "content_filter_share_of_answers", Share(t.ContentFilterFinishes, t.FinalAnswers));
        Number(json, "error_trace_share", Share(t.ErrorTraces, t.Traces));
        Number(json, "empty_retrieval_share", Share(t.EmptyRetrievals, t.Retrievals));
        json.WriteEndObject();
    }

    private static double? Share(long part, long whole) => whole > 0 ? (double)part / whole : null;
}
