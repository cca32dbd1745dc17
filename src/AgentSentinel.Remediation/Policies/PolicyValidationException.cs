namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// A policy file is invalid. <see cref="Errors"/> holds every problem found, each starting with the path of the key it is
/// about (e.g. <c>policies[2].probe.ratio: must be in (0, 1] (was 1.5)</c>); the message lists them all.
/// </summary>
public sealed class PolicyValidationException : Exception
{
    /// <summary>An invalid policy file (<paramref name="policySource"/>: its path, or <c>default</c>).</summary>
    public PolicyValidationException(string policySource, IReadOnlyList<string> errors)
        : base(Describe(policySource, errors))
    {
        PolicySource = policySource;
        Errors = errors;
    }

    public PolicyValidationException()
        : this("policies", [])
    {
    }

    public PolicyValidationException(string message)
        : base(message)
    {
        PolicySource = "policies";
        Errors = [message];
    }

    public PolicyValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        PolicySource = "policies";
        Errors = [message];
    }

    /// <summary>Every problem, each naming its key.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The file path, or <c>default</c>.</summary>
    public string PolicySource { get; } = "policies";

    private static string Describe(string source, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var count = errors.Count == 1 ? "1 problem" : $"{errors.Count} problems";
        return $"Policy file '{source}' is invalid ({count}):" + string.Concat(errors.Select(e => Environment.NewLine + "  - " + e));
    }
}
