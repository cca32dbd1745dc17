using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Cli.Tests.Admin;

/// <summary>The admin HTTP API over real Kestrel and HttpClient: authentication, each operation's mapping, bad input.</summary>
[Collection(AdminCollection.Name)]
public sealed class AdminApiTests : IAsyncLifetime
{
    private AdminServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await AdminServer.StartAsync();
        _server.Admin.Add("team/planner-05");
        _server.Admin.Add("chat-01", state: "primary", incident: null);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_request_without_a_token_is_401_with_a_bearer_challenge_and_reaches_nothing()
    {
        var before = SentinelMetrics.AdminRequests.WithLabels("pin", "unauthorized").Value;
        using var http = _server.Client(token: null);

        using var response = await http.PostAsync("/admin/v1/pin", AdminServer.Json("""{"agent":"team/planner-05","route":"primary"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("unauthorized", (await ReplyAsync(response)).Status);
        Assert.Empty(_server.Admin.Calls);
        Assert.Equal(before + 1, SentinelMetrics.AdminRequests.WithLabels("pin", "unauthorized").Value);
    }

    [Theory]
    [InlineData("Bearer alice-token-0123456789abcde")] // a prefix of a real token
    [InlineData("Bearer alice-token-0123456789abcdef0")] // a real token plus one character
    [InlineData("Bearer bob-token-fedcba9876543210xyzalice-token-0123456789abcdef")]
    [InlineData("Basic alice-token-0123456789abcdef")]
    [InlineData("alice-token-0123456789abcdef")]
    [InlineData("Bearer ")]
    public async Task A_wrong_token_or_scheme_is_401_invalid_token(string authorization)
    {
        using var http = _server.Client(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/agents");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Empty(_server.Admin.Calls);
    }

    [Fact]
    public async Task Each_operator_is_recorded_by_the_name_of_the_token_they_presented()
    {
        using var alice = _server.Client(AdminServer.AliceToken);
        using var bob = _server.Client(AdminServer.BobToken);
        using var lowercaseScheme = _server.Client(token: null);
        lowercaseScheme.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + AdminServer.AliceToken);

        using var a = await alice.PostAsync("/admin/v1/acknowledge", AdminServer.Json("""{"agent":"team/planner-05","note":"looking"}"""));
        using var b = await bob.PostAsync("/admin/v1/unpin", AdminServer.Json("""{"agent":"team/planner-05"}"""));
        using var c = await lowercaseScheme.PutAsync("/admin/v1/kill-switch", AdminServer.Json("""{"engaged":true}"""));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { a.StatusCode, b.StatusCode, c.StatusCode });
        var calls = _server.Admin.Calls.ToArray();
        Assert.Equal(new OperatorNote("alice", "looking"), calls[0].Request);
        Assert.Equal(new OperatorNote("bob"), calls[1].Request);
        Assert.Equal((true, new OperatorNote("alice")), calls[2].Request);
    }

    [Fact]
    public async Task When_no_token_is_configured_every_admin_path_is_404_and_metrics_still_serve()
    {
        await using var disabled = await AdminServer.StartAsync(enabled: false);
        using var http = disabled.Client(AdminServer.AliceToken);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/admin/v1/agents")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/admin/v1/pin", AdminServer.Json("""{"agent":"a","route":"primary"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PutAsync("/admin/v1/kill-switch", AdminServer.Json("""{"engaged":true}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/admin/v1/kill-switch")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Empty(disabled.Admin.Calls);
    }

    [Fact]
    public async Task The_agent_list_is_the_overview_in_snake_case()
    {
        using var http = _server.Client();

        using var response = await http.GetAsync("/admin/v1/agents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.False(root.GetProperty("kill_switch").GetBoolean());
        Assert.Equal(2, root.GetProperty("agents_known").GetInt32());
        Assert.Equal(1, root.GetProperty("agents_in_fallback").GetInt32());
        var planner = root.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("agent").GetString() == "team/planner-05");
        Assert.Equal("fallback", planner.GetProperty("route").GetString());
        Assert.Equal("inc-000000000001", planner.GetProperty("incident").GetString());
        Assert.Equal(1_767_225_600_000, planner.GetProperty("next_change_unix_ms").GetInt64());
        Assert.True(planner.GetProperty("flag_applied").GetBoolean());
    }

    [Fact]
    public async Task Pin_passes_route_fallback_ratio_and_note_and_answers_done_then_unchanged()
    {
        using var http = _server.Client(AdminServer.BobToken);
        var before = SentinelMetrics.AdminRequests.WithLabels("pin", "done").Value;
        const string body = """{"agent":"team/planner-05","route":"probe","fallback":"safe-model","probe_ratio":0.25,"note":"canary"}""";

        using var first = await http.PostAsync("/admin/v1/pin", AdminServer.Json(body));
        using var second = await http.PostAsync("/admin/v1/pin", AdminServer.Json(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("done", (await ReplyAsync(first)).Status);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("unchanged", (await ReplyAsync(second)).Status);
        Assert.Equal(
            new PinRequest("team/planner-05", FlagRoute.Probe, "safe-model", 0.25, new OperatorNote("bob", "canary")),
            _server.Admin.Calls.First().Request);
        Assert.True(_server.Admin.Agent("team/planner-05").Pinned);
        Assert.True(SentinelMetrics.AdminRequests.WithLabels("pin", "done").Value >= before + 1); // other classes' admin calls count too
    }

    [Fact]
    public async Task Pinning_to_primary_needs_no_fallback()
    {
        using var http = _server.Client();

        using var response = await http.PostAsync("/admin/v1/pin", AdminServer.Json("""{"agent":"chat-01","route":"primary"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new PinRequest("chat-01", FlagRoute.Primary, null, null, new OperatorNote("alice")), _server.Admin.Calls.Single().Request);
    }

    [Theory]
    [InlineData("unpin", "team/planner-05", HttpStatusCode.OK, "unchanged")] // not pinned
    [InlineData("acknowledge", "team/planner-05", HttpStatusCode.OK, "done")]
    [InlineData("acknowledge", "chat-01", HttpStatusCode.OK, "unchanged")] // no incident
    [InlineData("clear", "team/planner-05", HttpStatusCode.OK, "done")]
    [InlineData("clear", "nobody", HttpStatusCode.NotFound, "not_found")]
    [InlineData("unpin", "bad!name", HttpStatusCode.BadRequest, "invalid")]
    public async Task Agent_operations_map_the_admin_status_to_http(string operation, string agent, HttpStatusCode code, string status)
    {
        using var http = _server.Client();
        var before = SentinelMetrics.AdminRequests.WithLabels(operation, status).Value;

        using var response = await http.PostAsync("/admin/v1/" + operation, AdminServer.Json(JsonSerializer.Serialize(new { agent })));

        Assert.Equal(code, response.StatusCode);
        var reply = await ReplyAsync(response);
        Assert.Equal(status, reply.Status);
        Assert.False(string.IsNullOrWhiteSpace(reply.Message));
        Assert.Equal((operation, agent), (_server.Admin.Calls.Single().Operation, _server.Admin.Calls.Single().Agent));
        Assert.True(SentinelMetrics.AdminRequests.WithLabels(operation, status).Value >= before + 1); // other classes' admin calls count too
    }

    [Fact]
    public async Task The_kill_switch_is_read_and_set()
    {
        using var http = _server.Client();

        using var engage = await http.PutAsync("/admin/v1/kill-switch", AdminServer.Json("""{"engaged":true,"note":"incident 42"}"""));
        using var again = await http.PutAsync("/admin/v1/kill-switch", AdminServer.Json("""{"engaged":true}"""));
        var state = JsonDocument.Parse(await http.GetStringAsync("/admin/v1/kill-switch")).RootElement;

        Assert.Equal("done", (await ReplyAsync(engage)).Status);
        Assert.Equal("unchanged", (await ReplyAsync(again)).Status);
        Assert.True(state.GetProperty("engaged").GetBoolean());
        Assert.False(state.GetProperty("dry_run").GetBoolean());
        Assert.Equal((true, new OperatorNote("alice", "incident 42")), _server.Admin.Calls.First().Request);
    }

    [Theory]
    [InlineData("/admin/v1/clear", "", "a JSON body is required")]
    [InlineData("/admin/v1/clear", "not json", "invalid JSON")]
    [InlineData("/admin/v1/clear", "null", "must be a JSON object")]
    [InlineData("/admin/v1/clear", "[]", "invalid JSON")]
    [InlineData("/admin/v1/clear", """{"agent":5}""", "invalid JSON at $.agent")]
    [InlineData("/admin/v1/clear", """{"agent":"a","force":true}""", "unknown field")]
    [InlineData("/admin/v1/clear", """{"Agent":"team/planner-05"}""", "unknown field")]
    [InlineData("/admin/v1/clear", """{}""", "agent is required")]
    [InlineData("/admin/v1/clear", """{"agent":""}""", "agent must be")]
    [InlineData("/admin/v1/clear", """{"agent":"a\nb"}""", "agent must be")]
    [InlineData("/admin/v1/ack", """{"agent":"a"}""", null)] // no such path
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05"}""", "route is required")]
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05","route":"sideways","fallback":"f"}""", "route must be")]
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05","route":"fallback"}""", "fallback is required")]
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05","route":"probe","fallback":"f","probe_ratio":1.5}""", "probe_ratio")]
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05","route":"probe","fallback":"f","probe_ratio":"0.5"}""", "invalid JSON at $.probe_ratio")]
    [InlineData("/admin/v1/pin", """{"agent":"team/planner-05","route":"primary","note":"line\u0007"}""", "note must be")]
    public async Task A_bad_body_is_400_with_a_message_and_reaches_nothing(string path, string body, string? message)
    {
        using var http = _server.Client();

        using var response = await http.PostAsync(path, AdminServer.Json(body));

        if (message is null)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var reply = await ReplyAsync(response);
            Assert.Equal("invalid", reply.Status);
            Assert.Contains(message, reply.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("AgentSentinel", reply.Message, StringComparison.Ordinal); // no .NET type names
        }

        Assert.Empty(_server.Admin.Calls);
    }

    [Fact]
    public async Task A_note_longer_than_200_characters_is_refused()
    {
        using var http = _server.Client();
        var note = new string('n', 201);

        using var response = await http.PostAsync("/admin/v1/acknowledge", AdminServer.Json(JsonSerializer.Serialize(new { agent = "team/planner-05", note })));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("200 characters", (await ReplyAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_server.Admin.Calls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_oversized_body_is_refused_with_413_whether_announced_or_streamed(bool announced)
    {
        using var http = _server.Client();
        var body = "{\"agent\":\"team/planner-05\",\"note\":\"" + new string('x', 20_000) + "\"}";
        using var content = AdminServer.Json(body);
        if (!announced)
        {
            // Chunked: no Content-Length, so the server must stop reading at its limit.
            http.DefaultRequestHeaders.TransferEncodingChunked = true;
        }

        using var response = await http.PostAsync("/admin/v1/acknowledge", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("16384 bytes", (await ReplyAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_server.Admin.Calls);
    }

    [Fact]
    public async Task Remediation_not_answering_is_503_unavailable()
    {
        _server.Admin.Failure = new TimeoutException("ask timed out");
        using var http = _server.Client();
        var before = SentinelMetrics.AdminRequests.WithLabels("clear", "unavailable").Value;

        using var response = await http.PostAsync("/admin/v1/clear", AdminServer.Json("""{"agent":"team/planner-05"}"""));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var reply = await ReplyAsync(response);
        Assert.Equal("unavailable", reply.Status);
        Assert.DoesNotContain("ask timed out", reply.Message, StringComparison.Ordinal);
        Assert.Equal(before + 1, SentinelMetrics.AdminRequests.WithLabels("clear", "unavailable").Value);
    }

    private static async Task<(string Status, string Message)> ReplyAsync(HttpResponseMessage response)
    {
        Assert.Equal(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }, response.Content.Headers.ContentType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (json.RootElement.GetProperty("status").GetString()!, json.RootElement.GetProperty("message").GetString()!);
    }
}

/// <summary>Tests that read <see cref="SentinelMetrics.AdminRequests"/> deltas run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class AdminCollection
{
    public const string Name = "admin-api";
}
