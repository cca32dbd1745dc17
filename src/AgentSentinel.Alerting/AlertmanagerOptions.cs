using System.Text.RegularExpressions;

namespace AgentSentinel.Alerting;

/// <summary>
/// Where and how <see cref="AlertmanagerNotifier"/> pushes incident alerts (config section <c>Alertmanager</c>).
/// With no <see cref="Urls"/> the notifier is off.
/// </summary>
public sealed partial class AlertmanagerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Alertmanager";

    /// <summary>The label names the notifier sets itself; <see cref="StaticLabels"/> may not use them.</summary>
    public static readonly IReadOnlyList<string> ReservedLabels = ["alertname", "kind", "severity", "agent"];

    /// <summary>
    /// Base URLs of every Alertmanager of the HA cluster (e.g. <c>http://am-0:9093</c>). Each alert is posted to every URL:
    /// Alertmanager's cluster deduplicates the notifications.
    /// </summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>How often firing alerts are re-sent (Alertmanager forgets an alert after its <c>endsAt</c>).</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Timeout of one POST to one Alertmanager.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>alertname</c> label of every incident alert.</summary>
    public string AlertName { get; set; } = "AgentSentinelIncident";

    /// <summary>Labels added to every alert (e.g. <c>cluster=prod-eu</c>) for routing; names must be Prometheus label names.</summary>
    public Dictionary<string, string> StaticLabels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Optional bearer token sent as <c>Authorization: Bearer …</c> (e.g. to an authenticating proxy in front of Alertmanager).</summary>
    public string? BearerToken { get; set; }

    /// <summary>Optional absolute URL sent as each alert's <c>generatorURL</c> (e.g. a dashboard or the admin API).</summary>
    public string? GeneratorUrl { get; set; }

    /// <summary>At most this many incidents are tracked (firing or waiting for their resolve to be delivered); more are dropped with a log line.</summary>
    public int MaxAlerts { get; set; } = 10_000;

    /// <summary>Attempts per Alertmanager to deliver a resolve before it is given up (the alert then lapses at its last <c>endsAt</c>).</summary>
    public int ResolveAttempts { get; set; } = 5;

    /// <summary>Alerts per POST; more are split over several requests.</summary>
    public int MaxAlertsPerRequest { get; set; } = 500;

    /// <summary>True when at least one URL is configured.</summary>
    public bool Enabled => Urls.Count > 0;

    /// <summary>
    /// How far ahead of now a firing alert's <c>endsAt</c> lies: four resend intervals, at least one minute. Like Prometheus
    /// (which uses four times its resend delay), this lets Alertmanager resolve the alerts of a dead AgentSentinel by itself,
    /// while three lost re-sends in a row do not make a live alert flap.
    /// </summary>
    public TimeSpan FiringLease => TimeSpan.FromTicks(Math.Max(ResendInterval.Ticks * 4, TimeSpan.FromMinutes(1).Ticks));

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        for (var i = 0; i < Urls.Count; i++)
        {
            var url = Urls[i];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                yield return $"{P}{nameof(Urls)}:{i} must be an absolute http(s) URL without query or fragment (was '{url}')";
            }
        }

        if (Urls.Count > 16)
        {
            yield return $"{P}{nameof(Urls)} may list at most 16 Alertmanagers (was {Urls.Count})";
        }

        if (Urls.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Urls.Count)
        {
            yield return $"{P}{nameof(Urls)} lists the same URL twice";
        }

        if (ResendInterval < TimeSpan.FromMilliseconds(100) || ResendInterval > TimeSpan.FromHours(1))
        {
            yield return $"{P}{nameof(ResendInterval)} must be between 00:00:00.1 and 01:00:00 (was {ResendInterval})";
        }

        if (RequestTimeout < TimeSpan.FromMilliseconds(10) || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{P}{nameof(RequestTimeout)} must be between 00:00:00.01 and 00:05:00 (was {RequestTimeout})";
        }

        if (!LabelName().IsMatch(AlertName ?? string.Empty))
        {
            yield return $"{P}{nameof(AlertName)} must match [a-zA-Z_][a-zA-Z0-9_]* (was '{AlertName}')";
        }

        foreach (var (name, value) in StaticLabels)
        {
            if (!LabelName().IsMatch(name) || name.StartsWith("__", StringComparison.Ordinal))
            {
                yield return $"{P}{nameof(StaticLabels)}:{name} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)";
            }
            else if (ReservedLabels.Contains(name, StringComparer.Ordinal))
            {
                yield return $"{P}{nameof(StaticLabels)}:{name} is set by AgentSentinel itself ({string.Join(", ", ReservedLabels)})";
            }

            if (string.IsNullOrEmpty(value) || value.Length > 128 || value.Any(char.IsControl))
            {
                yield return $"{P}{nameof(StaticLabels)}:{name} must be 1–128 characters without control characters";
            }
        }

        if (BearerToken is { } token && (token.Length == 0 || token.Any(c => char.IsControl(c) || c == ' ')))
        {
            yield return $"{P}{nameof(BearerToken)} must be non-empty, without spaces or control characters";
        }

        if (GeneratorUrl is { } g && !(Uri.TryCreate(g, UriKind.Absolute, out var gu) && (gu.Scheme == Uri.UriSchemeHttp || gu.Scheme == Uri.UriSchemeHttps)))
        {
            yield return $"{P}{nameof(GeneratorUrl)} must be an absolute http(s) URL (was '{g}')";
        }

        if (MaxAlerts is < 1 or > 1_000_000)
        {
            yield return $"{P}{nameof(MaxAlerts)} must be between 1 and 1000000 (was {MaxAlerts})";
        }

        if (ResolveAttempts is < 1 or > 100)
        {
            yield return $"{P}{nameof(ResolveAttempts)} must be between 1 and 100 (was {ResolveAttempts})";
        }

        if (MaxAlertsPerRequest is < 1 or > 10_000)
        {
            yield return $"{P}{nameof(MaxAlertsPerRequest)} must be between 1 and 10000 (was {MaxAlertsPerRequest})";
        }
    }

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelName();
}
