using AgentSentinel.Core.Remediation;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Flags;

/// <summary>The key and channel names of the flag contract v1 under a prefix, and the rules for agent names in keys.</summary>
public sealed class FlagKeys
{
    /// <summary>The longest agent name (UTF-16 code units) accepted in a key.</summary>
    public const int MaxAgentLength = FlagAgentNames.MaxLength;

    /// <summary>Creates the names under <paramref name="prefix"/> (e.g. <c>agentsentinel:</c>).</summary>
    public FlagKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix;
        FlagKeyPrefix = prefix + "flag:";
        Channel = prefix + "flags";
        Audit = prefix + "audit";
        Remediation = prefix + "remediation";
        KillSwitch = prefix + "kill_switch";
        Version = prefix + "version";
    }

    public string Prefix { get; }

    /// <summary><c>{prefix}flag:</c>: every flag key starts with it.</summary>
    public string FlagKeyPrefix { get; }

    /// <summary>The pub/sub channel <c>{prefix}flags</c>.</summary>
    public string Channel { get; }

    /// <summary>The audit stream <c>{prefix}audit</c>.</summary>
    public string Audit { get; }

    /// <summary>The hash <c>{prefix}remediation</c>: per agent, AgentSentinel's own incident state (not part of the reader contract).</summary>
    public string Remediation { get; }

    /// <summary>The hash <c>{prefix}kill_switch</c>: the global kill switch (<c>engaged</c>, <c>actor</c>, <c>note</c>, <c>updated_at</c>).</summary>
    public string KillSwitch { get; }

    /// <summary>The string <c>{prefix}version</c>: the highest flag version ever applied (a restarted writer starts above it).</summary>
    public string Version { get; }

    /// <summary>The hash <c>{prefix}flag:{agent}</c> (the agent name as UTF-8, verbatim).</summary>
    public RedisKey Flag(string agent)
    {
        ValidateAgent(agent);
        return FlagKeyPrefix + agent;
    }

    /// <summary>
    /// Agent names come from span attributes, so they are untrusted. Any printable text is accepted verbatim (quotes,
    /// colons, unicode); rejected are empty names, names over <see cref="MaxAgentLength"/>, control characters (CR/LF in a
    /// key invites log injection wherever keys are printed) and invalid UTF-16, which would map distinct names to one key.
    /// </summary>
    /// <exception cref="ArgumentException">The name cannot be used as a key.</exception>
    public static void ValidateAgent(string agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (!IsValidAgent(agent))
        {
            throw new ArgumentException(
                $"An agent name must be 1–{MaxAgentLength} characters of valid UTF-16 without control characters.", nameof(agent));
        }
    }

    /// <summary>Whether <paramref name="agent"/> may be used as a key (see <see cref="FlagAgentNames"/>).</summary>
    public static bool IsValidAgent(string? agent) => FlagAgentNames.IsValid(agent);
}
