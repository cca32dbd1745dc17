using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Flags;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Telemetry;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentSentinel.Cli.Admin;

/// <summary>
/// The authenticated admin HTTP API under <c>/admin/v1/</c>, mapped on the metrics endpoint's Kestrel app:
/// <list type="bullet">
/// <item><c>GET /agents</c>: the <see cref="RemediationOverview"/>.</item>
/// <item><c>POST /pin</c> <c>{agent, route, fallback?, probe_ratio?, note?}</c>.</item>
/// <item><c>POST /unpin</c>, <c>/acknowledge</c>, <c>/clear</c> <c>{agent, note?}</c>.</item>
/// <item><c>GET /kill-switch</c> (<c>{engaged, dry_run}</c>) and <c>PUT /kill-switch</c> <c>{engaged, note?}</c>.</item>
/// </list>
/// Every request needs <c>Authorization: Bearer &lt;token&gt;</c> (401 otherwise); the token's operator name is what the audit
/// records. Agent names are untrusted and may hold '/', so they travel in the JSON body, never in the path. Bodies are
/// snake_case JSON of at most <see cref="MaxBodyBytes"/> bytes. Operations answer <c>{status, message}</c>: done and
/// unchanged are 200, not_found 404, invalid 400. When no token is configured nothing is mapped: every admin path is 404.
/// </summary>
internal static class AdminApi
{
    /// <summary>The largest accepted request body.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>The longest operator note (the contract's limit).</summary>
    public const int MaxNoteLength = 200;

    /// <summary>The longest fallback name accepted in a pin.</summary>
    public const int MaxFallbackLength = 256;

    private const string Challenge = "Bearer realm=\"agentsentinel-admin\"";

    /// <summary>Maps the endpoints (before the app starts); does nothing when <paramref name="options"/> has no token.</summary>
    /// <exception cref="ConfigurationException">The options are invalid (messages name keys, never tokens).</exception>
    public static void Map(WebApplication app, IRemediationAdmin admin, AdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return;
        }

        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ConfigurationException(string.Join('\n', errors.Select(e => "  " + e)));
        }

        var handlers = new Handlers(admin, new AdminAuthenticator(options.Tokens));
        var group = app.MapGroup(AdminWire.Prefix);
        group.MapGet("/agents", handlers.ListAsync);
        group.MapPost("/pin", handlers.PinAsync);
        group.MapPost("/unpin", handlers.UnpinAsync);
        group.MapPost("/acknowledge", handlers.AcknowledgeAsync);
        group.MapPost("/clear", handlers.ClearAsync);
        group.MapGet("/kill-switch", handlers.GetKillSwitchAsync);
        group.MapPut("/kill-switch", handlers.SetKillSwitchAsync);
    }

    /// <summary>A request that stops before reaching remediation: its status code, metric outcome and message.</summary>
    private sealed class Rejection(int statusCode, string outcome, string message) : Exception(message)
    {
        public int StatusCode { get; } = statusCode;

        public string Outcome { get; } = outcome;
    }

    private sealed class Handlers(IRemediationAdmin admin, AdminAuthenticator authenticator)
    {
        public Task ListAsync(HttpContext context) => HandleAsync(context, "list", async (_, ct) =>
        {
            var overview = await admin.ListAsync(ct).ConfigureAwait(false);
            await WriteAsync(context, StatusCodes.Status200OK, overview, AdminJsonContext.Default.RemediationOverview).ConfigureAwait(false);
            return "done";
        });

        public Task GetKillSwitchAsync(HttpContext context) => HandleAsync(context, "kill_switch_status", async (_, ct) =>
        {
            var overview = await admin.ListAsync(ct).ConfigureAwait(false);
            await WriteAsync(context, StatusCodes.Status200OK, new KillSwitchState(overview.KillSwitch, overview.DryRun), AdminJsonContext.Default.KillSwitchState)
                .ConfigureAwait(false);
            return "done";
        });

        public Task PinAsync(HttpContext context) => HandleAsync(context, "pin", async (op, ct) =>
        {
            var body = await ReadAsync(context, AdminJsonContext.Default.PinBody, ct).ConfigureAwait(false);
            var agent = RequireAgent(body.Agent);
            if (!FlagRouteNames.TryParse(body.Route, out var route))
            {
                throw Invalid(body.Route is null ? "route is required: primary, fallback or probe" : "route must be primary, fallback or probe");
            }

            var fallback = string.IsNullOrEmpty(body.Fallback) ? null : body.Fallback;
            if (fallback is null && route != FlagRoute.Primary)
            {
                throw Invalid($"fallback is required to pin to {route.ToWireName()}");
            }

            if (fallback is not null && (fallback.Length > MaxFallbackLength || HasControl(fallback)))
            {
                throw Invalid($"fallback must be at most {MaxFallbackLength} characters without control characters");
            }

            if (body.ProbeRatio is { } ratio && ratio is not (>= 0.0 and <= 1.0))
            {
                throw Invalid("probe_ratio must be between 0 and 1");
            }

            var request = new PinRequest(agent, route, fallback, body.ProbeRatio, Note(op, body.Note));
            return await ReplyAsync(context, await admin.PinAsync(request, ct).ConfigureAwait(false)).ConfigureAwait(false);
        });

        public Task UnpinAsync(HttpContext context) => AgentOperationAsync(context, "unpin", admin.UnpinAsync);

        public Task AcknowledgeAsync(HttpContext context) => AgentOperationAsync(context, "acknowledge", admin.AcknowledgeAsync);

        public Task ClearAsync(HttpContext context) => AgentOperationAsync(context, "clear", admin.ClearAsync);

        public Task SetKillSwitchAsync(HttpContext context) => HandleAsync(context, "kill_switch", async (op, ct) =>
        {
            var body = await ReadAsync(context, AdminJsonContext.Default.KillSwitchBody, ct).ConfigureAwait(false);
            if (body.Engaged is not { } engaged)
            {
                throw Invalid("engaged is required: true or false");
            }

            return await ReplyAsync(context, await admin.SetKillSwitchAsync(engaged, Note(op, body.Note), ct).ConfigureAwait(false)).ConfigureAwait(false);
        });

        private Task AgentOperationAsync(HttpContext context, string operation, Func<string, OperatorNote, CancellationToken, Task<AdminResult>> call) =>
            HandleAsync(context, operation, async (op, ct) =>
            {
                var body = await ReadAsync(context, AdminJsonContext.Default.AgentBody, ct).ConfigureAwait(false);
                var agent = RequireAgent(body.Agent);
                return await ReplyAsync(context, await call(agent, Note(op, body.Note), ct).ConfigureAwait(false)).ConfigureAwait(false);
            });

        /// <summary>Authenticates, runs <paramref name="handle"/> (which writes the answer and returns the outcome) and counts it.</summary>
        private async Task HandleAsync(HttpContext context, string operation, Func<string, CancellationToken, Task<string>> handle)
        {
            var ct = context.RequestAborted;
            context.Response.Headers.CacheControl = "no-store";
            var outcome = "error";
            try
            {
                var op = authenticator.Authenticate(context.Request.Headers.Authorization);
                if (op is null)
                {
                    context.Response.Headers.WWWAuthenticate = context.Request.Headers.Authorization.Count == 0
                        ? Challenge
                        : Challenge + ", error=\"invalid_token\"";
                    throw new Rejection(StatusCodes.Status401Unauthorized, "unauthorized", "a valid bearer token is required");
                }

                outcome = await handle(op, ct).ConfigureAwait(false);
            }
            catch (Rejection rejection)
            {
                outcome = rejection.Outcome;
                await WriteAsync(context, rejection.StatusCode, new AdminReply(rejection.Outcome, rejection.Message), AdminJsonContext.Default.AdminReply)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                outcome = "aborted";
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
            {
                // Remediation did not answer in time (an actor Ask timing out, the pipeline stopping): retryable.
                outcome = "unavailable";
                await WriteAsync(
                    context,
                    StatusCodes.Status503ServiceUnavailable,
                    new AdminReply(outcome, "remediation did not answer in time; try again (list the agents to see whether it was applied)"),
                    AdminJsonContext.Default.AdminReply).ConfigureAwait(false);
            }
            finally
            {
                // Anything else propagates (Kestrel logs it and answers 500) and is counted as "error".
                SentinelMetrics.AdminRequests.WithLabels(operation, outcome).Inc();
            }
        }
    }

    private static async Task<string> ReplyAsync(HttpContext context, AdminResult result)
    {
        var status = AdminWire.StatusName(result.Status);
        var code = result.Status switch
        {
            AdminStatus.Done or AdminStatus.Unchanged => StatusCodes.Status200OK,
            AdminStatus.Pending => StatusCodes.Status202Accepted,
            AdminStatus.NotFound => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status400BadRequest,
        };
        await WriteAsync(context, code, new AdminReply(status, result.Message), AdminJsonContext.Default.AdminReply).ConfigureAwait(false);
        return status;
    }

    private static Task WriteAsync<T>(HttpContext context, int statusCode, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(value, type, contentType: null, context.RequestAborted);
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/> and parses strictly; any problem is a 400 (413 when too large).</summary>
    private static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var tooLarge = new Rejection(StatusCodes.Status413PayloadTooLarge, "invalid", $"the request body must be at most {MaxBodyBytes} bytes");
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw tooLarge;
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
        {
            length += read;
            if (length > MaxBodyBytes)
            {
                throw tooLarge;
            }
        }

        if (length == 0)
        {
            throw Invalid("a JSON body is required");
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.AsSpan(0, length), type) ?? throw Invalid("the body must be a JSON object");
        }
        catch (JsonException e)
        {
            // Path and position only: the serializer's own message names .NET types.
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : string.Empty;
            var what = e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field" : "invalid JSON";
            throw Invalid($"{what}{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
    }

    private static string RequireAgent(string? agent) =>
        agent is null ? throw Invalid("agent is required")
        : FlagKeys.IsValidAgent(agent) ? agent
        : throw Invalid($"agent must be 1–{FlagKeys.MaxAgentLength} characters without control characters");

    private static OperatorNote Note(string op, string? note) =>
        note is null || (note.Length <= MaxNoteLength && !HasControl(note))
            ? new OperatorNote(op, string.IsNullOrEmpty(note) ? null : note)
            : throw Invalid($"note must be at most {MaxNoteLength} characters without control characters");

    private static bool HasControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return true;
            }
        }

        return false;
    }

    private static Rejection Invalid(string message) => new(StatusCodes.Status400BadRequest, "invalid", message);
}
