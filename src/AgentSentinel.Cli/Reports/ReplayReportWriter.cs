using System.Text.Encodings.Web;
using System.Text.Json;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Cli.Reports;

/// <summary>Counts a replay keeps besides what the pipeline recorded.</summary>
internal sealed record ReplayStats(long Records, long Spans, long DecodeErrors);

/// <summary>
/// Writes the replay report (schema documented in the README, section "Replay report"). Deterministic:
/// fixed key order, ordinal sorting, invariant number formatting, '\n' line ends.
/// </summary>
internal static class ReplayReportWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        NewLine = "\n",
        // Agent names are untrusted text: escape everything outside ASCII the default way, but keep '+', '<' etc. readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(Stream destination, ReplayStats stats, PipelineRecorder recorder)
    {
        using var json = new Utf8JsonWriter(destination, Options);
        var agents = recorder.Agents();
        json.WriteStartObject();

        json.WriteStartObject("stats");
        json.WriteNumber("records", stats.Records);
        json.WriteNumber("spans", stats.Spans);
        json.WriteNumber("traces", recorder.TraceCount);
        json.WriteNumber("agents", agents.Count);
        json.WriteNumber("decode_errors", stats.DecodeErrors);
        json.WriteEndObject();

        json.WriteStartObject("agents");
        foreach (var (agent, tally) in agents)
        {
            json.WriteStartObject(agent);
            json.WriteNumber("traces", tally.Traces);
            json.WriteNumber("spans", tally.Spans);
            json.WriteNumber("llm_calls", tally.LlmCalls);
            json.WriteNumber("tool_calls", tally.ToolCalls);
            json.WriteNumber("input_tokens", tally.InputTokens);
            json.WriteNumber("output_tokens", tally.OutputTokens);
            json.WriteStartArray("models");
            foreach (var model in tally.Models)
            {
                json.WriteStringValue(model);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartArray("anomalies");
        foreach (var anomaly in recorder.Anomalies())
        {
            json.WriteStartObject();
            json.WriteString("agent", anomaly.Agent);
            json.WriteString("kind", anomaly.Kind);
            json.WriteNumber("detected_at", anomaly.DetectedAtUnixNano);
            json.WriteNumber("score", Math.Round(anomaly.Score, 4));
            json.WriteStartObject("explanation");
            json.WriteString("feature", anomaly.Explanation.Feature);
            json.WriteNumber("observed", Math.Round(anomaly.Explanation.Observed, 4));
            json.WriteNumber("baseline", Math.Round(anomaly.Explanation.Baseline, 4));
            json.WriteNumber("spread", Math.Round(anomaly.Explanation.Spread, 4));
            json.WriteNumber("distance", Math.Round(anomaly.Explanation.Distance, 4));
            json.WriteString("summary", anomaly.Explanation.Summary);
            json.WriteEndObject();
            json.WriteStartArray("trace_ids");
            foreach (var id in anomaly.TraceIds)
            {
                json.WriteStringValue(id);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("remediations");
        foreach (var action in recorder.Remediations())
        {
            json.WriteStartObject();
            json.WriteString("agent", action.Agent);
            json.WriteString("route", action.Route.ToWireName());
            json.WriteString("fallback", action.Fallback);
            json.WriteNumber("at", action.AtUnixNano);
            json.WriteString("incident", action.Incident);
            json.WriteString("reason", action.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        destination.Write("\n"u8);
    }
}
