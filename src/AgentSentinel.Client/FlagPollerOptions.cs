namespace AgentSentinel.Client;

/// <summary>How a <see cref="FlagPoller"/> reads its agent's flag.</summary>
public sealed class FlagPollerOptions
{
    /// <summary>The writer's key prefix (<c>Redis:KeyPrefix</c>); must end with ':'.</summary>
    public string KeyPrefix { get; init; } = FlagContract.DefaultKeyPrefix;

    /// <summary>Time between polls; the contract asks for 1–5 s. Also the safety net when notices are on.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Subscribe to <c>{prefix}flags</c> and poll at once when a notice names this agent.</summary>
    public bool SubscribeToNotices { get; init; } = true;

    /// <summary>Messages naming each invalid setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(KeyPrefix) || !KeyPrefix.EndsWith(':'))
        {
            errors.Add($"{nameof(FlagPollerOptions)}.{nameof(KeyPrefix)} must end with ':'.");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{nameof(FlagPollerOptions)}.{nameof(PollInterval)} must be between 10 ms and 5 minutes.");
        }

        return errors;
    }
}
