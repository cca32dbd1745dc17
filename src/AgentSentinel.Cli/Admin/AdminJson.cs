using System.Text.Json.Serialization;
using AgentSentinel.Remediation.Admin;

namespace AgentSentinel.Cli.Admin;

/// <summary>The body of <c>POST /admin/v1/pin</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class PinBody
{
    public string? Agent { get; set; }

    /// <summary><c>primary</c>, <c>fallback</c> or <c>probe</c>.</summary>
    public string? Route { get; set; }

    public string? Fallback { get; set; }

    public double? ProbeRatio { get; set; }

    public string? Note { get; set; }
}

/// <summary>The body of <c>POST /admin/v1/unpin|acknowledge|clear</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AgentBody
{
    public string? Agent { get; set; }

    public string? Note { get; set; }
}

/// <summary>The body of <c>PUT /admin/v1/kill-switch</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class KillSwitchBody
{
    public bool? Engaged { get; set; }

    public string? Note { get; set; }
}

/// <summary>The answer to every admin request but the lists: <c>{"status": "done", "message": "..."}</c>.</summary>
/// <param name="Status"><c>done</c>, <c>unchanged</c>, <c>not_found</c>, <c>invalid</c>, <c>unauthorized</c> or <c>unavailable</c>.</param>
internal sealed record AdminReply(string Status, string Message);

/// <summary>The answer to <c>GET /admin/v1/kill-switch</c>.</summary>
internal sealed record KillSwitchState(bool Engaged, bool DryRun);

/// <summary>The admin API's JSON: snake_case names, strict request bodies (an unknown field is an error).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PinBody))]
[JsonSerializable(typeof(AgentBody))]
[JsonSerializable(typeof(KillSwitchBody))]
[JsonSerializable(typeof(AdminReply))]
[JsonSerializable(typeof(KillSwitchState))]
[JsonSerializable(typeof(RemediationOverview))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;

/// <summary>Wire names shared by the server and the CLI.</summary>
internal static class AdminWire
{
    public const string Prefix = "/admin/v1";

    public static string StatusName(AdminStatus status) => status switch
    {
        AdminStatus.Done => "done",
        AdminStatus.Pending => "pending",
        AdminStatus.Unchanged => "unchanged",
        AdminStatus.NotFound => "not_found",
        _ => "invalid",
    };
}
