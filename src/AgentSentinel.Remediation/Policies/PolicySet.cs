using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// A validated policy file: the policies in order (first match wins), the safety limits, where it came from and a
/// fingerprint of its content. Immutable and thread-safe; replaced as a whole on reload (<see cref="PolicyProvider"/>).
/// </summary>
public sealed class PolicySet
{
    /// <summary>The logical name of the embedded copy of <c>deploy/policies.yaml</c>.</summary>
    public const string DefaultResourceName = "AgentSentinel.Remediation.Policies.default-policies.yaml";

    /// <summary>The <see cref="Source"/> of <see cref="Default"/>.</summary>
    public const string DefaultSource = "default";

    private static readonly Lazy<PolicySet> DefaultSet = new(LoadDefault, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly RemediationPolicy[] _policies;

    private PolicySet(RemediationPolicy[] policies, RemediationPolicy defaults, SafetySettings safety, string source, string fingerprint)
    {
        _policies = policies;
        Defaults = defaults;
        Safety = safety;
        Source = source;
        Fingerprint = fingerprint;
    }

    /// <summary>The policy AgentSentinel ships: parsed from the embedded copy of <c>deploy/policies.yaml</c>.</summary>
    public static PolicySet Default => DefaultSet.Value;

    /// <summary>The policies in file order; the first that matches decides.</summary>
    public IReadOnlyList<RemediationPolicy> Policies => _policies;

    /// <summary>
    /// The file's <c>defaults</c> resolved over the built-in ones, as a policy named <c>defaults</c> that matches
    /// everything (for decisions no policy names, e.g. an operator's manual pin).
    /// </summary>
    public RemediationPolicy Defaults { get; }

    /// <summary>The safety limits.</summary>
    public SafetySettings Safety { get; }

    /// <summary>The file path, or <c>default</c>.</summary>
    public string Source { get; }

    /// <summary>
    /// 16 hex digits of a SHA-256 of the resolved content (not of the text: reformatting, comments, key order, YAML vs
    /// JSON do not change it). Audit entries name it, so one can tell which policy version decided.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Builds a set from policies already resolved (tests, or code-built policies). Not validated beyond names being
    /// unique; prefer <see cref="PolicyLoader"/> for anything an operator wrote.
    /// </summary>
    public static PolicySet Create(IEnumerable<RemediationPolicy> policies, SafetySettings safety, string source, RemediationPolicy? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(safety);
        ArgumentException.ThrowIfNullOrEmpty(source);
        RemediationPolicy[] list = [.. policies];
        var duplicate = list.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"policy name '{duplicate.Key}' is used more than once", nameof(policies));
        }

        defaults ??= PolicyBinder.BuiltInDefaults;
        return new PolicySet(list, defaults, safety, source, ComputeFingerprint(list, defaults, safety));
    }

    /// <summary>The first policy covering an anomaly of <paramref name="kind"/> on <paramref name="agent"/>, or null (no
    /// action: the anomaly is still reported). Allocates nothing.</summary>
    public RemediationPolicy? Resolve(string agent, ResourceAttributes resource, string kind)
    {
        foreach (var policy in _policies)
        {
            if (policy.Selector.Matches(agent, resource, kind))
            {
                return policy;
            }
        }

        return null;
    }

    /// <summary>The policy named <paramref name="name"/>, or null.</summary>
    public RemediationPolicy? Find(string name)
    {
        foreach (var policy in _policies)
        {
            if (string.Equals(policy.Name, name, StringComparison.Ordinal))
            {
                return policy;
            }
        }

        return null;
    }

    /// <summary>The canonical text the fingerprint is computed from: one line per policy, then the safety limits.</summary>
    public string ToCanonicalString() => Canonical(_policies, Defaults, Safety);

    /// <inheritdoc />
    public override string ToString() => $"{Source} ({_policies.Length} policies, {Fingerprint})";

    private static string ComputeFingerprint(RemediationPolicy[] policies, RemediationPolicy defaults, SafetySettings safety)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(policies, defaults, safety)));
        return Convert.ToHexStringLower(bytes.AsSpan(0, 8));
    }

    private static string Canonical(RemediationPolicy[] policies, RemediationPolicy defaults, SafetySettings safety)
    {
        var sb = new StringBuilder();
        sb.Append("version=1\n");
        Line(sb, defaults);
        foreach (var p in policies)
        {
            Line(sb, p);
        }

        sb.Append(CultureInfo.InvariantCulture, $"safety max_fallback_share={D(safety.MaxFallbackShare)} min_agents_always_allowed={safety.MinAgentsAlwaysAllowed} ")
          .Append(CultureInfo.InvariantCulture, $"max_flips_per_agent_per_hour={safety.MaxFlipsPerAgentPerHour} dry_run={(safety.DryRun ? "true" : "false")}\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, RemediationPolicy p)
    {
        var probe = p.Probe;
        var r = p.Recovery;
        sb.Append(CultureInfo.InvariantCulture, $"policy {p.Name.Length}:{p.Name} match {p.Selector} action={PolicyBinder.ActionName(p.Action)} ")
          .Append(CultureInfo.InvariantCulture, $"fallback={p.Fallback.Length}:{p.Fallback} min_severity={p.MinSeverity.ToWireName()} ")
          .Append(CultureInfo.InvariantCulture, $"trigger={p.Trigger.AnomalousTraces}/{p.Trigger.Window.Ticks} flag_ttl={p.FlagTtl.Ticks} ")
          .Append(CultureInfo.InvariantCulture, $"probe={probe.After.Ticks},{D(probe.Ratio)},{probe.MinTraces},{probe.MaxDuration.Ticks},{D(probe.Backoff.Multiplier)},{probe.Backoff.Max.Ticks},{probe.MaxTrips} ")
          .Append(CultureInfo.InvariantCulture, $"recovery={D(r.Alpha)},{D(r.Beta)},{D(r.FaultRateMultiplier)},{D(r.MinRateIncrease)}\n");
    }

    private static string D(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static PolicySet LoadDefault()
    {
        using var stream = typeof(PolicySet).Assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException($"The embedded default policy '{DefaultResourceName}' is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return PolicyLoader.Parse(reader.ReadToEnd(), PolicyFormat.Yaml, DefaultSource);
    }

    internal static PolicySet FromValidated(RemediationPolicy[] policies, RemediationPolicy defaults, SafetySettings safety, string source) =>
        new(policies, defaults, safety, source, ComputeFingerprint(policies, defaults, safety));
}
