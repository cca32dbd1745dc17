using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Alerting;

/// <summary>
/// Turns what the caller knows into bounded label and annotation values: closed sets stay closed, untrusted names are
/// capped and cleaned so that they cannot break Alertmanager's routing, its JSON or a notification template.
/// </summary>
public static class AlertLabels
{
    /// <summary>Longest agent label value.</summary>
    public const int MaxAgentLength = 128;

    /// <summary>Longest annotation value.</summary>
    public const int MaxAnnotationLength = 1024;

    /// <summary>Most exemplar trace ids in the <c>trace_ids</c> annotation.</summary>
    public const int MaxTraceIds = 10;

    /// <summary>The value sent for a kind outside <see cref="AnomalyKinds.All"/>.</summary>
    public const string OtherKind = "other";

    private static readonly HashSet<string> Kinds = new(AnomalyKinds.All, StringComparer.Ordinal);

    /// <summary>
    /// The <c>agent</c> label: control characters and broken surrogates replaced by <c>_</c>; a name longer than
    /// <see cref="MaxAgentLength"/> keeps a prefix plus <c>~</c> and 8 hex digits of a hash of the whole name, so distinct
    /// agents stay distinct. Empty becomes <c>unknown</c>.
    /// </summary>
    public static string Agent(string? agent)
    {
        if (string.IsNullOrEmpty(agent))
        {
            return "unknown";
        }

        var clean = Clean(agent);
        if (clean.Length <= MaxAgentLength)
        {
            return clean;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(clean));
        var suffix = "~" + Convert.ToHexStringLower(hash, 0, 4);
        var cut = MaxAgentLength - suffix.Length;
        if (char.IsHighSurrogate(clean[cut - 1]))
        {
            cut--;
        }

        return string.Concat(clean.AsSpan(0, cut), suffix);
    }

    /// <summary>The <c>kind</c> label: the kind if it is one of <see cref="AnomalyKinds.All"/>, else <see cref="OtherKind"/>.</summary>
    public static string Kind(string? kind) => kind is not null && Kinds.Contains(kind) ? kind : OtherKind;

    /// <summary>The <c>severity</c> label: <c>critical</c> or <c>warning</c> (an undefined value is a warning).</summary>
    public static string Severity(AnomalySeverity severity) => severity.ToWireName();

    /// <summary>An annotation value: one line, capped at <see cref="MaxAnnotationLength"/> characters, control characters replaced.</summary>
    public static string Annotation(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var clean = Clean(value);
        if (clean.Length <= MaxAnnotationLength)
        {
            return clean;
        }

        var cut = MaxAnnotationLength - 1;
        if (char.IsHighSurrogate(clean[cut - 1]))
        {
            cut--;
        }

        return string.Concat(clean.AsSpan(0, cut), "…");
    }

    /// <summary>The <c>trace_ids</c> annotation: at most <see cref="MaxTraceIds"/> ids that are 1–32 hex digits, comma-separated.</summary>
    public static string TraceIds(IReadOnlyList<string>? traceIds)
    {
        if (traceIds is null || traceIds.Count == 0)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        var n = 0;
        foreach (var id in traceIds)
        {
            if (n == MaxTraceIds)
            {
                break;
            }

            if (string.IsNullOrEmpty(id) || id.Length > 32 || !id.All(char.IsAsciiHexDigit))
            {
                continue;
            }

            if (n++ > 0)
            {
                sb.Append(',');
            }

            sb.Append(id.ToLowerInvariant());
        }

        return sb.ToString();
    }

    /// <summary>The one-line <c>summary</c> annotation, e.g. <c>agent checkout-bot: token_spike (critical), fallback: route=fallback fallback=gpt-4o-mini</c>.</summary>
    internal static string SummaryLine(string agentLabel, string kindLabel, string severityLabel, string state, string remediation) =>
        Annotation(string.Create(
            CultureInfo.InvariantCulture,
            $"agent {agentLabel}: {kindLabel} ({severityLabel}), {Clean(state)}: {remediation}"));

    private static string Clean(string value)
    {
        var dirty = false;
        for (var i = 0; i < value.Length && !dirty; i++)
        {
            dirty = IsBad(value, i);
        }

        return !dirty
            ? value
            : string.Create(value.Length, value, static (span, v) =>
            {
                for (var i = 0; i < v.Length; i++)
                {
                    span[i] = IsBad(v, i) ? '_' : v[i];
                }
            });
    }

    private static bool IsBad(string v, int i)
    {
        var c = v[i];
        return char.IsControl(c)
            || (char.IsHighSurrogate(c) && !(i + 1 < v.Length && char.IsLowSurrogate(v[i + 1])))
            || (char.IsLowSurrogate(c) && !(i > 0 && char.IsHighSurrogate(v[i - 1])));
    }
}
