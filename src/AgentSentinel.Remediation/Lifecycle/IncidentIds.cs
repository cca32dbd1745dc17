using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>
/// Incident ids: <c>inc-</c> + 12 hex digits of the SHA-256 of <c>agent|kind|detectedAtUnixNano</c>. Stable across runs
/// and processes (no random, no clock), so a replay names its incidents as the live run did.
/// </summary>
public static class IncidentIds
{
    /// <summary>The id of the incident an anomaly of <paramref name="kind"/> at <paramref name="detectedAtUnixNano"/> opens.</summary>
    public static string For(string agent, string kind, long detectedAtUnixNano)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{agent}|{kind}|{detectedAtUnixNano}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "inc-" + Convert.ToHexStringLower(hash[..6]);
    }
}
