using System.Globalization;
using StackExchange.Redis;

namespace AgentSentinel.Redis.Flags;

/// <summary>
/// Where and how AgentSentinel writes the fallback flags (configuration section <c>Redis</c>).
/// Defaults follow the flag contract v1; <see cref="Validate"/> returns messages that name the offending key.
/// </summary>
public sealed class RedisFlagStoreOptions
{
    public const string SectionName = "Redis";

    /// <summary>The largest <see cref="AuditMaxLength"/> accepted.</summary>
    public const int MaxAuditMaxLength = 100_000_000;

    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c> or
    /// <c>redis:6379,user=agentsentinel,password=…,ssl=true</c>. Required. <c>abortConnect</c> is forced to false
    /// (the service starts while Redis is down) and the client backlog to fail-fast (see <see cref="ToConfigurationOptions"/>).
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Prefix of every key and channel: <c>{prefix}flag:{agent}</c>, <c>{prefix}flags</c>, <c>{prefix}audit</c>. Must end with ':'.</summary>
    public string KeyPrefix { get; set; } = "agentsentinel:";

    /// <summary>Approximate cap of the audit stream (<c>XADD … MAXLEN ~ N</c>): Redis trims whole stream nodes, so the stream may hold somewhat more.</summary>
    public int AuditMaxLength { get; set; } = 100_000;

    /// <summary>
    /// Whether a stale write (version not greater than the stored one) still appends an audit entry with
    /// <c>outcome=stale</c>. On by default: the contract asks for one audit entry per decision, and stale entries show
    /// replays, retries after an unknown outcome, re-assertions after a reconnect and competing writers.
    /// </summary>
    public bool AuditStaleWrites { get; set; } = true;

    /// <summary>Checks every setting; each message names its key, e.g. <c>Redis:KeyPrefix must end with ':'</c>. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"{SectionName}:{nameof(ConnectionString)} is required (e.g. \"localhost:6379\").");
        }
        else
        {
            try
            {
                _ = ConfigurationOptions.Parse(ConnectionString);
            }
            catch (ArgumentException)
            {
                // The parser's message may echo the string, which can hold a password: do not repeat it.
                errors.Add($"{SectionName}:{nameof(ConnectionString)} is not a valid StackExchange.Redis configuration string.");
            }
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            errors.Add($"{SectionName}:{nameof(KeyPrefix)} is required (default \"agentsentinel:\").");
        }
        else
        {
            if (!KeyPrefix.EndsWith(':'))
            {
                errors.Add($"{SectionName}:{nameof(KeyPrefix)} must end with ':'.");
            }

            if (KeyPrefix.Length > 64)
            {
                errors.Add($"{SectionName}:{nameof(KeyPrefix)} must be at most 64 characters.");
            }

            if (KeyPrefix.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '*' or '?' or '[' or ']' or '\\'))
            {
                errors.Add($"{SectionName}:{nameof(KeyPrefix)} must not contain whitespace, control characters or the glob characters * ? [ ] \\.");
            }
        }

        if (AuditMaxLength is < 1 or > MaxAuditMaxLength)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{nameof(AuditMaxLength)} must be between 1 and {MaxAuditMaxLength}."));
        }

        return errors;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem when <see cref="Validate"/> finds any.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Redis options: " + string.Join(" ", errors));
        }
    }

    /// <summary>
    /// The StackExchange.Redis configuration for the one shared multiplexer: the connection string, plus
    /// <c>AbortOnConnectFail=false</c> (connect in the background, so the service starts while Redis is down),
    /// <c>BacklogPolicy.FailFast</c> (a write while disconnected fails at once with <see cref="FlagStoreException"/>
    /// instead of waiting in a client queue; retrying is the caller's job) and client name <c>agentsentinel</c> unless set.
    /// </summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        ThrowIfInvalid();
        var configuration = ConfigurationOptions.Parse(ConnectionString);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "agentsentinel";
        return configuration;
    }
}
