using System.Globalization;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Alerting;

/// <summary>
/// Turns incident updates into Alertmanager alerts: an incident that opens or changes fires (and the notifier keeps it alive
/// while it lasts); one that recovers or is resolved is resolved with its end time. Names and numbers only.
/// </summary>
public sealed class IncidentAlertObserver(AlertmanagerNotifier notifier) : SentinelObserver
{
    public override void OnIncident(IncidentUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Change is IncidentChange.Recovered or IncidentChange.Resolved)
        {
            notifier.Resolve(update.Incident, FromUnixNano(update.AtUnixNano));
            return;
        }

        _ = AnomalySeverities.TryParse(update.Severity, out var severity);
        notifier.Fire(new IncidentAlert(
            update.Incident,
            update.Agent,
            update.Kind,
            severity,
            update.Phase,
            Remediation(update),
            update.Detail,
            update.TraceIds,
            FromUnixNano(update.OpenedAtUnixNano),
            update.Acknowledged,
            update.Policy));
    }

    /// <summary>One line: the remediation in force, e.g. <c>route=probe fallback=gpt-4o-mini trips=2 (policy everything-else)</c>.</summary>
    public static string Remediation(IncidentUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var route = update.Phase switch
        {
            "fallback" or "probe" => $"route={update.Phase} fallback={update.Fallback}",
            "pinned" => $"pinned by an operator{(update.Fallback is null ? string.Empty : " fallback=" + update.Fallback)}",
            "suppressed" => $"no flag: held by the {update.Limit} safety limit",
            "alert_only" => "no flag: the policy only alerts",
            _ => "route=primary",
        };
        var dryRun = update.DryRun ? " [dry run: no flag written]" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{route} trips={update.Trips} (policy {update.Policy}){dryRun}");
    }

    private static DateTimeOffset FromUnixNano(long unixNano) => DateTimeOffset.FromUnixTimeMilliseconds(unixNano / 1_000_000);
}
