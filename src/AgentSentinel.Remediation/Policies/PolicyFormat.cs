namespace AgentSentinel.Remediation.Policies;

/// <summary>The syntax of a policy file; both carry the same schema (snake_case keys).</summary>
public enum PolicyFormat
{
    /// <summary>YAML 1.2 (a single document).</summary>
    Yaml,

    /// <summary>JSON (comments and trailing commas allowed).</summary>
    Json,
}
