using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Core.Spans;
using Prometheus;

namespace AgentSentinel.Telemetry;

/// <summary>
/// Every metric AgentSentinel exports, in one place. Labels take only values from closed sets
/// (decode error kinds, anomaly kinds, routes, outcomes): never an agent id, a model name or any span value.
/// </summary>
public static class SentinelMetrics
{
    // ---- ingestion -------------------------------------------------------------------------------------
    public static readonly Counter RecordsConsumed = Metrics.CreateCounter(
        "agentsentinel_records_consumed_total", "Records read from the source (Kafka or replay).",
        new CounterConfiguration { LabelNames = ["source"] });

    public static readonly Counter SpansDecoded = Metrics.CreateCounter(
        "agentsentinel_spans_decoded_total", "Spans decoded and handed to the pipeline.");

    public static readonly Counter DecodeFailures = Metrics.CreateCounter(
        "agentsentinel_decode_failures_total", "Records that could not be decoded, by reason.",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter DeadLettered = Metrics.CreateCounter(
        "agentsentinel_dead_lettered_total", "Records copied to the dead-letter topic.");

    public static readonly Counter DeadLetterFailures = Metrics.CreateCounter(
        "agentsentinel_dead_letter_failures_total", "Dead-letter writes that failed (the record's offset is then not stored).");

    public static readonly Counter SinkFailures = Metrics.CreateCounter(
        "agentsentinel_sink_failures_total", "Hand-offs of a decoded record to the pipeline that failed; the record is retried and its offset held.");

    public static readonly Gauge ConsumerLag = Metrics.CreateGauge(
        "agentsentinel_kafka_consumer_lag_records", "Records between the consumer's position and the high watermark, summed over assigned partitions.");

    public static readonly Gauge InFlightRecords = Metrics.CreateGauge(
        "agentsentinel_kafka_in_flight_records", "Records handed to the pipeline whose offsets are not yet stored.");

    public static readonly Counter PartitionPauses = Metrics.CreateCounter(
        "agentsentinel_kafka_partition_pauses_total", "Times the consumer paused its partitions because too much work was in flight.");

    public static readonly Histogram RecordProcessingSeconds = Metrics.CreateHistogram(
        "agentsentinel_record_processing_seconds", "Wall time from a record being consumed to the pipeline having taken it.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });

    // ---- pipeline ----------------------------------------------------------------------------------------
    public static readonly Counter TracesCompleted = Metrics.CreateCounter(
        "agentsentinel_traces_completed_total", "Agent traces assembled and judged, by how they closed.",
        new CounterConfiguration { LabelNames = ["closed_by"] });

    public static readonly Gauge OpenTraces = Metrics.CreateGauge(
        "agentsentinel_open_traces", "Traces being assembled.");

    public static readonly Gauge ActiveAgents = Metrics.CreateGauge(
        "agentsentinel_active_agents", "Agents with a live actor.");

    public static readonly Counter LateSpans = Metrics.CreateCounter(
        "agentsentinel_late_spans_total", "Spans that arrived after their trace was closed.");

    public static readonly Counter AnomaliesDetected = Metrics.CreateCounter(
        "agentsentinel_anomalies_detected_total", "Anomalies detected, by kind.",
        new CounterConfiguration { LabelNames = ["kind"] });

    // ---- remediation ---------------------------------------------------------------------------------------
    public static readonly Counter FlagWrites = Metrics.CreateCounter(
        "agentsentinel_flag_writes_total", "Flag writes, by route and outcome (applied, stale, failed).",
        new CounterConfiguration { LabelNames = ["route", "outcome"] });

    public static readonly Gauge AgentsInFallback = Metrics.CreateGauge(
        "agentsentinel_agents_in_fallback", "Agents whose flag currently routes away from primary.");

    public static readonly Counter RemediationTransitions = Metrics.CreateCounter(
        "agentsentinel_remediation_transitions_total", "Incident lifecycle transitions, by the state entered (fallback, probe, primary) and cause.",
        new CounterConfiguration { LabelNames = ["to", "cause"] });

    public static readonly Counter RemediationsSuppressed = Metrics.CreateCounter(
        "agentsentinel_remediations_suppressed_total", "Decisions not written because a safety limit held them (blast_radius, flip_rate, kill_switch).",
        new CounterConfiguration { LabelNames = ["limit"] });

    public static readonly Counter RemediationsDryRun = Metrics.CreateCounter(
        "agentsentinel_remediations_dry_run_total", "Decisions taken in dry run: audited, not written.");

    public static readonly Gauge AgentsInProbe = Metrics.CreateGauge(
        "agentsentinel_agents_in_probe", "Agents whose flag currently sends a share of traffic back to primary (route=probe).");

    public static readonly Gauge AuditBacklog = Metrics.CreateGauge(
        "agentsentinel_audit_backlog", "Audit-only entries (dry run, suppressed, alert only) waiting for the store, oldest first.");

    public static readonly Counter AuditEntriesDropped = Metrics.CreateCounter(
        "agentsentinel_audit_entries_dropped_total", "Audit-only entries never written, by reason (backlog_full: the store was away too long; invalid: refused by the store).",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Gauge KillSwitchEngaged = Metrics.CreateGauge(
        "agentsentinel_kill_switch_engaged", "1 while the global kill switch holds every automated remediation, else 0.");

    public static readonly Counter PolicyReloads = Metrics.CreateCounter(
        "agentsentinel_policy_reloads_total", "Policy file (re)loads, by outcome (applied, rejected: the previous policies stay in force).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter AdminRequests = Metrics.CreateCounter(
        "agentsentinel_admin_requests_total", "Admin API requests, by operation and outcome (done, unchanged, not_found, invalid, unauthorized, unavailable, error, aborted).",
        new CounterConfiguration { LabelNames = ["operation", "outcome"] });

    // ---- alerting ------------------------------------------------------------------------------------------
    public static readonly Counter AlertsSent = Metrics.CreateCounter(
        "agentsentinel_alerts_sent_total", "Alert posts to Alertmanager, by outcome (delivered, failed), summed over URLs.",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Gauge AlertsFiring = Metrics.CreateGauge(
        "agentsentinel_alerts_firing", "Incident alerts AgentSentinel is keeping alive in Alertmanager.");

    public static readonly Gauge RedisConnected = Metrics.CreateGauge(
        "agentsentinel_redis_connected", "1 while the flag store's interactive connection to Redis is up, else 0 (alert on 0 for a while).");

    /// <summary>
    /// Publishes every known label value at zero, so that rate() and increase() see the first event of a kind
    /// (a labelled series otherwise appears only on its first increment).
    /// </summary>
    static SentinelMetrics()
    {
        foreach (var source in (string[])["kafka", "replay"])
        {
            RecordsConsumed.WithLabels(source);
        }

        foreach (var kind in Enum.GetValues<DecodeErrorKind>().Where(k => k != DecodeErrorKind.None))
        {
            DecodeFailures.WithLabels(DecodeFailure.KindName(kind));
        }

        foreach (var closedBy in (string[])["root", "idle", "evicted", "flush"])
        {
            TracesCompleted.WithLabels(closedBy);
        }

        foreach (var kind in AnomalyKinds.All)
        {
            AnomaliesDetected.WithLabels(kind);
        }

        foreach (var limit in (string[])["blast_radius", "flip_rate", "kill_switch"])
        {
            RemediationsSuppressed.WithLabels(limit);
        }

        foreach (var outcome in (string[])["applied", "rejected"])
        {
            PolicyReloads.WithLabels(outcome);
        }

        foreach (var reason in (string[])["backlog_full", "invalid"])
        {
            AuditEntriesDropped.WithLabels(reason);
        }

        foreach (var outcome in (string[])["delivered", "failed"])
        {
            AlertsSent.WithLabels(outcome);
        }

        foreach (var route in Enum.GetValues<FlagRoute>())
        {
            foreach (var outcome in (string[])["applied", "stale", "failed"])
            {
                FlagWrites.WithLabels(route.ToWireName(), outcome);
            }
        }
    }
}
