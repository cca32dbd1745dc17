using System.Globalization;
using System.Text;
using AgentSentinel.Core.Remediation;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Flags;

/// <summary>The flag hash of contract v1: field names, how a decision's values are validated and cleaned, how a hash is read back.</summary>
internal static class FlagHashCodec
{
    public const string Route = "route";
    public const string Fallback = "fallback";
    public const string ProbeRatio = "probe_ratio";
    public const string Reason = "reason";
    public const string Detail = "detail";
    public const string TraceIds = "trace_ids";
    public const string Incident = "incident";
    public const string Version = "version";
    public const string UpdatedAt = "updated_at";
    public const string ExpiresAt = "expires_at";
    public const string Schema = "schema";

    public const int SchemaVersion = 1;

    /// <summary>Longest <c>detail</c> stored; longer lines are cut.</summary>
    public const int MaxDetailLength = 256;

    /// <summary>Longest fallback, reason, incident or actor accepted.</summary>
    public const int MaxNameLength = 128;

    public const int MaxTraceIds = 5;

    /// <summary>A W3C trace id is 32 hex digits; B3 uses 16. Anything longer is not a trace id.</summary>
    private const int MaxTraceIdLength = 32;

    /// <summary>Rejects a decision no reader could follow or that would put unbounded or multi-line text into Redis.</summary>
    /// <exception cref="ArgumentException">The decision is invalid; retrying it cannot help.</exception>
    public static void Validate(FlagDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        FlagKeys.ValidateAgent(decision.Agent);
        if (!Enum.IsDefined(decision.Route))
        {
            throw new ArgumentException("Unknown route.", nameof(decision));
        }

        ValidateName(decision.Fallback, nameof(FlagDecision.Fallback), allowEmpty: decision.Route == FlagRoute.Primary);
        ValidateName(decision.Reason, nameof(FlagDecision.Reason), allowEmpty: true);
        ValidateName(decision.Incident, nameof(FlagDecision.Incident), allowEmpty: true);
        ValidateName(decision.Actor, nameof(FlagDecision.Actor), allowEmpty: false);
        ValidateName(decision.Transition, nameof(FlagDecision.Transition), allowEmpty: false);
        ValidateName(decision.Policy, nameof(FlagDecision.Policy), allowEmpty: true);
        if (decision.State is { Length: > 64 * 1024 })
        {
            throw new ArgumentException("A remediation state is at most 64 KiB.", nameof(decision));
        }
        ArgumentNullException.ThrowIfNull(decision.Detail, nameof(FlagDecision.Detail));
        ArgumentNullException.ThrowIfNull(decision.TraceIds, nameof(FlagDecision.TraceIds));

        if (decision.Route == FlagRoute.Probe && decision.ProbeRatio is not (>= 0.0 and <= 1.0))
        {
            throw new ArgumentException("A probe decision needs a ProbeRatio between 0 and 1.", nameof(decision));
        }

        if (decision.Version < 0 || decision.UpdatedAtUnixMs < 0 || decision.ExpiresAtUnixMs < 0)
        {
            throw new ArgumentException("Version, UpdatedAtUnixMs and ExpiresAtUnixMs must not be negative.", nameof(decision));
        }
    }

    private static void ValidateName(string? value, string name, bool allowEmpty)
    {
        if (value is null || (!allowEmpty && value.Length == 0))
        {
            throw new ArgumentException($"{name} is required.", name);
        }

        if (value.Length > MaxNameLength || value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
        {
            throw new ArgumentException($"{name} must be at most {MaxNameLength} characters without control characters.", name);
        }
    }

    /// <summary>One line of at most <see cref="MaxDetailLength"/> characters: line breaks and other control characters become spaces.</summary>
    public static string SanitizeDetail(string detail)
    {
        var builder = new StringBuilder(Math.Min(detail.Length, MaxDetailLength));
        foreach (var c in detail)
        {
            builder.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c);
        }

        var line = builder.ToString().Trim();
        if (line.Length > MaxDetailLength)
        {
            var cut = MaxDetailLength;
            if (char.IsHighSurrogate(line[cut - 1]))
            {
                cut--; // never split a surrogate pair
            }

            line = line[..cut];
        }

        return line;
    }

    /// <summary>Up to five distinct trace ids, lower-case hex, comma-separated; anything that is not 1–32 hex digits is dropped.</summary>
    public static string JoinTraceIds(IReadOnlyList<string> traceIds)
    {
        var kept = new List<string>(MaxTraceIds);
        foreach (var raw in traceIds)
        {
            if (kept.Count == MaxTraceIds)
            {
                break;
            }

            var id = raw?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(id) || id.Length > MaxTraceIdLength || !id.All(char.IsAsciiHexDigitLower) || kept.Contains(id))
            {
                continue;
            }

            kept.Add(id);
        }

        return string.Join(',', kept);
    }

    public static string FormatRatio(double ratio) => ratio.ToString("R", CultureInfo.InvariantCulture);

    public static string FormatLong(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a flag hash. Null when the key does not exist; missing or malformed fields take safe defaults
    /// (unknown route → primary, missing <c>expires_at</c> → 0, i.e. already expired → primary).</summary>
    public static FlagState? Parse(string agent, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            fields[entry.Name.ToString()] = entry.Value.ToString();
        }

        string Text(string name) => fields.TryGetValue(name, out var value) ? value : string.Empty;

        long Long(string name) =>
            long.TryParse(Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

        var route = FlagRouteNames.TryParse(Text(Route), out var parsed) ? parsed : FlagRoute.Primary;
        double? ratio = double.TryParse(Text(ProbeRatio), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && double.IsFinite(r)
            ? r
            : null;
        var traceIds = Text(TraceIds).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        return new FlagState(
            agent,
            route,
            Text(Fallback),
            ratio,
            Text(Reason),
            Text(Detail),
            traceIds,
            Text(Incident),
            Long(Version),
            Long(UpdatedAt),
            Long(ExpiresAt),
            (int)Math.Clamp(Long(Schema), 0, int.MaxValue));
    }
}
