using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Client;

/// <summary>The names of flag contract v1 (see <c>flag-contract.md</c>): hash fields, key and channel under a prefix, agent-name rules.</summary>
public static class FlagContract
{
    /// <summary>The schema version this library reads (the <c>schema</c> field).</summary>
    public const int SchemaVersion = 1;

    /// <summary>The default key prefix (<c>Redis:KeyPrefix</c> on the writer's side).</summary>
    public const string DefaultKeyPrefix = "agentsentinel:";

    /// <summary>The longest agent name (UTF-16 code units) the writer accepts in a key.</summary>
    public const int MaxAgentLength = FlagAgentNames.MaxLength;

    internal const string Route = "route";
    internal const string Fallback = "fallback";
    internal const string ProbeRatio = "probe_ratio";
    internal const string Reason = "reason";
    internal const string Detail = "detail";
    internal const string TraceIds = "trace_ids";
    internal const string Incident = "incident";
    internal const string Version = "version";
    internal const string UpdatedAt = "updated_at";
    internal const string ExpiresAt = "expires_at";
    internal const string Schema = "schema";

    /// <summary>The hash <c>{prefix}flag:{agent}</c>.</summary>
    public static string FlagKey(string prefix, string agent) => prefix + "flag:" + agent;

    /// <summary>The pub/sub channel <c>{prefix}flags</c>.</summary>
    public static string Channel(string prefix) => prefix + "flags";

    /// <summary>
    /// Whether <paramref name="agent"/> can name a flag key: 1–<see cref="MaxAgentLength"/> characters of valid UTF-16
    /// without control characters (the writer's rule, so a name it refuses is refused here too).
    /// </summary>
    public static bool IsValidAgent(string? agent) => FlagAgentNames.IsValid(agent);

    internal static void ValidateAgent(string agent, string paramName)
    {
        ArgumentNullException.ThrowIfNull(agent, paramName);
        if (!IsValidAgent(agent))
        {
            throw new ArgumentException(
                $"An agent name must be 1–{MaxAgentLength} characters of valid UTF-16 without control characters.", paramName);
        }
    }
}
