using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// One policy of a policy file, with every setting resolved (built-in defaults ← the file's <c>defaults</c> ← the
/// policy's own keys, field by field).
/// </summary>
/// <param name="Name">Unique name within the file (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 64): safe in audit entries.</param>
/// <param name="Selector">Which agents and anomaly kinds it covers.</param>
/// <param name="Action">What it does with them.</param>
/// <param name="Fallback">The fallback the flag names: a model, <c>cached</c>, <c>human</c> or any operator-defined name.</param>
/// <param name="MinSeverity">Anomalies below this severity are not counted toward the trigger.</param>
/// <param name="Trigger">How many distinct anomalous traces within which window make it act.</param>
/// <param name="FlagTtl">The <c>expires_at</c> of each flag write, renewed while the incident lasts.</param>
/// <param name="Probe">How the incident probes its way back to primary.</param>
/// <param name="Recovery">The recovery test of probe traffic.</param>
public sealed record RemediationPolicy(
    string Name,
    AgentSelector Selector,
    PolicyAction Action,
    string Fallback,
    AnomalySeverity MinSeverity,
    TriggerSettings Trigger,
    TimeSpan FlagTtl,
    ProbeSettings Probe,
    RecoverySettings Recovery);
