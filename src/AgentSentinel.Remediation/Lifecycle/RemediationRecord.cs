using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSentinel.Remediation.Lifecycle;

/// <summary>
/// One agent's remediation state as saved with its flag (<see cref="Core.Remediation.FlagDecision.State"/>), so that a
/// restarted AgentSentinel resumes the incident where it was. Numbers and names only. Versioned by <see cref="Schema"/>.
/// </summary>
internal sealed class RemediationRecord
{
    public const int CurrentSchema = 1;

    public int Schema { get; set; } = CurrentSchema;
    public string Agent { get; set; } = string.Empty;
    public IncidentRecord? Incident { get; set; }
    public PinRecord? Pin { get; set; }
    /// <summary>Event times (unix ns) of the agent's recent route changes, for the flip-rate limit.</summary>
    public List<long> Flips { get; set; } = [];

    /// <summary>The agent's healthy reference sample when the incident opened (<see cref="Recovery.ReferenceSample.ToSnapshot"/>).</summary>
    public string? Reference { get; set; }

    public string ToJson() => JsonSerializer.Serialize(this, RemediationJsonContext.Default.RemediationRecord);

    /// <summary>Parses a saved record; null when it is not one (a newer schema, or damaged).</summary>
    public static RemediationRecord? TryParse(string json)
    {
        try
        {
            var record = JsonSerializer.Deserialize(json, RemediationJsonContext.Default.RemediationRecord);
            return record is { Schema: CurrentSchema } && !string.IsNullOrEmpty(record.Agent) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal sealed class IncidentRecord
{
    public string Id { get; set; } = string.Empty;
    public string Kind { get; set; } = string.Empty;
    public string Policy { get; set; } = string.Empty;
    public string Phase { get; set; } = string.Empty;
    public string Fallback { get; set; } = string.Empty;
    public string Severity { get; set; } = string.Empty;
    public string Detail { get; set; } = string.Empty;
    public List<string> TraceIds { get; set; } = [];
    public long OpenedAt { get; set; }
    public long PhaseSince { get; set; }
    public long? NextAt { get; set; }
    public int FailedProbes { get; set; }
    public int Trips { get; set; }
    public int ProbeSequence { get; set; }
    public bool Acknowledged { get; set; }
}

internal sealed class PinRecord
{
    public string Route { get; set; } = string.Empty;
    public string? Fallback { get; set; }
    public double? ProbeRatio { get; set; }
    public string Operator { get; set; } = string.Empty;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RemediationRecord))]
internal sealed partial class RemediationJsonContext : JsonSerializerContext;
