using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentSentinel.Cli.Commands;
using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;

namespace AgentSentinel.Cli.Tests.Admin;

/// <summary><c>agentsentinel flags ...</c> end to end against the running admin API.</summary>
[Collection(AdminCollection.Name)]
public sealed class FlagsCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private AdminServer _server = null!;
    private string _aliceFile = null!;

    public async Task InitializeAsync()
    {
        _server = await AdminServer.StartAsync();
        _server.Admin.Add("team/planner-05");
        _server.Admin.Add("chat-01", state: "primary", incident: null);
        _aliceFile = _temp.File("alice.token");
        await File.WriteAllTextAsync(_aliceFile, AdminServer.AliceToken + "\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task List_prints_the_state_line_and_one_row_per_agent()
    {
        var (code, output) = await RunAsync("flags", "list", "--url", _server.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Ok, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("kill switch: off   dry run: off   agents known: 2   in fallback: 1", lines[0]);
        Assert.StartsWith("AGENT", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("chat-01", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^team/planner-05\s+fallback\s+fallback\s+safe-model\s+inc-000000000001\s+token_spike\s+no\s+no\s+1\s+2026-01-01 00:00:00\s+yes\s+tokens_per_llm_call", lines[3]);
    }

    [Fact]
    public async Task List_json_prints_the_api_answer_verbatim()
    {
        var (code, output) = await RunAsync("flags", "list", "--json", "--url", _server.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Ok, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetProperty("agents_known").GetInt32());
        Assert.Equal("team/planner-05", json.RootElement.GetProperty("agents")[1].GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Over_https_the_cli_trusts_the_ca_file_it_is_given_and_refuses_a_certificate_it_cannot_trust()
    {
        var certificate = TestCertificate.Create(_temp);
        await using var server = await AdminServer.StartAsync(tls: certificate);
        server.Admin.Add("team/planner-05");
        var url = server.Url.ToString();
        Assert.StartsWith("https://", url, StringComparison.Ordinal);

        var (trusted, output) = await RunAsync("flags", "list", "--json", "--url", url, "--token-file", _aliceFile, "--ca-file", certificate.CertificateFile);
        Assert.Equal(SentinelCli.Ok, trusted);
        Assert.Contains("team/planner-05", output, StringComparison.Ordinal);

        var (refused, refusal) = await RunAsync("flags", "ack", "--agent", "team/planner-05", "--url", url, "--token-file", _aliceFile);
        Assert.Equal(SentinelCli.Failed, refused);
        Assert.Contains("not trusted", refusal, StringComparison.Ordinal);
        Assert.Contains("--ca-file", refusal, StringComparison.Ordinal);
        Assert.Empty(server.Admin.Calls); // the untrusted attempt sent nothing, the token included
        Assert.Equal(SentinelCli.Ok, (await RunAsync("flags", "ack", "--agent", "team/planner-05", "--url", url, "--token-file", _aliceFile, "--ca-file", certificate.CertificateFile)).Code);
        Assert.Single(server.Admin.Calls);

        var (misused, usage) = await RunAsync("flags", "list", "--url", _server.Url.ToString(), "--token-file", _aliceFile, "--ca-file", certificate.CertificateFile);
        Assert.Equal((SentinelCli.UsageError, true), (misused, usage.Contains("--ca-file applies to an https URL", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Control_characters_in_untrusted_agent_names_are_not_written_to_the_terminal()
    {
        _server.Admin.Add("evil\u001b[2Jagent");

        var (code, output) = await RunAsync("flags", "list", "--url", _server.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Ok, code);
        Assert.DoesNotContain('\u001b', output);
        Assert.Contains("evil?[2Jagent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pin_sends_the_request_as_the_token_s_operator_and_exits_0()
    {
        var (code, output) = await RunAsync(
            "flags", "pin", "--agent", "team/planner-05", "--route", "probe", "--fallback", "safe-model", "--probe-ratio", "0.1",
            "--note", "canary", "--url", _server.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Ok, code);
        Assert.StartsWith("done: ", output, StringComparison.Ordinal);
        Assert.Equal(
            new PinRequest("team/planner-05", FlagRoute.Probe, "safe-model", 0.1, new OperatorNote("alice", "canary")),
            _server.Admin.Calls.Single().Request);
    }

    [Theory]
    [InlineData("ack", "team/planner-05", SentinelCli.Ok, "done: ")]
    [InlineData("unpin", "team/planner-05", SentinelCli.Ok, "unchanged: ")]
    [InlineData("clear", "team/planner-05", SentinelCli.Ok, "done: ")]
    [InlineData("clear", "nobody", SentinelCli.Failed, "agentsentinel flags: not_found: ")]
    [InlineData("ack", "bad!name", SentinelCli.Failed, "agentsentinel flags: invalid: ")]
    public async Task Agent_operations_exit_0_when_done_or_unchanged_and_1_when_refused(string subcommand, string agent, int expectedCode, string expectedOutput)
    {
        var (code, output) = await RunAsync("flags", subcommand, "--agent", agent, "--url", _server.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(expectedCode, code);
        Assert.StartsWith(expectedOutput, output, StringComparison.Ordinal);
        Assert.Equal(agent, _server.Admin.Calls.Single().Agent);
    }

    [Fact]
    public async Task Kill_switch_is_engaged_shown_and_released()
    {
        var url = _server.Url.ToString();

        var on = await RunAsync("flags", "kill-switch", "on", "--note", "storm", "--url", url, "--token-file", _aliceFile);
        var shown = await RunAsync("flags", "kill-switch", "--url", url, "--token-file", _aliceFile);
        var shownJson = await RunAsync("flags", "kill-switch", "status", "--json", "--url", url, "--token-file", _aliceFile);
        var off = await RunAsync("flags", "kill-switch", "off", "--url", url, "--token-file", _aliceFile);

        Assert.Equal((SentinelCli.Ok, "done: kill switch engaged"), (on.Code, on.Output.Trim()));
        Assert.Equal((SentinelCli.Ok, "kill switch: on"), (shown.Code, shown.Output.Trim()));
        Assert.True(JsonDocument.Parse(shownJson.Output).RootElement.GetProperty("engaged").GetBoolean());
        Assert.Equal((SentinelCli.Ok, "done: kill switch released"), (off.Code, off.Output.Trim()));
        Assert.Equal((true, new OperatorNote("alice", "storm")), _server.Admin.Calls.First().Request);
        Assert.False(_server.Admin.KillSwitch);
    }

    [Fact]
    public async Task A_refused_token_exits_1_and_says_so()
    {
        var wrong = _temp.File("wrong.token");
        await File.WriteAllTextAsync(wrong, "not-the-right-token-000000000");

        var (code, output) = await RunAsync("flags", "list", "--url", _server.Url.ToString(), "--token-file", wrong);

        Assert.Equal(SentinelCli.Failed, code);
        Assert.Contains("unauthorized", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-right-token", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_instance_without_the_admin_api_exits_1_naming_the_missing_configuration()
    {
        await using var disabled = await AdminServer.StartAsync(enabled: false);

        var (code, output) = await RunAsync("flags", "ack", "--agent", "a", "--url", disabled.Url.ToString(), "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Failed, code);
        Assert.Contains("no admin API", output, StringComparison.Ordinal);
        Assert.Contains("Admin:Tokens", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_instance_exits_1()
    {
        var (code, output) = await RunAsync("flags", "list", "--url", $"http://127.0.0.1:{ClosedPort()}", "--token-file", _aliceFile);

        Assert.Equal(SentinelCli.Failed, code);
        Assert.StartsWith("agentsentinel flags: cannot reach the admin API", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list", "--token", AdminServer.AliceToken)]
    [InlineData("list", "--token=" + AdminServer.AliceToken)]
    public async Task A_token_on_the_command_line_is_a_usage_error(params string[] args)
    {
        var (code, output) = await RunAsync(["flags", .. args, "--url", _server.Url.ToString()]);

        Assert.Equal(SentinelCli.UsageError, code);
        Assert.Contains("--token is not accepted", output, StringComparison.Ordinal);
        Assert.Empty(_server.Admin.Calls);
    }

    [Theory]
    [InlineData(new[] { "flags" }, "flags needs a subcommand")]
    [InlineData(new[] { "flags", "promote" }, "unknown flags subcommand 'promote'")]
    [InlineData(new[] { "flags", "pin", "--agent", "a", "--route", "fallback", "--probe-ratio", "2", "--token-file", "x" }, "--probe-ratio must be")]
    [InlineData(new[] { "flags", "clear", "--token-file", "/nonexistent/token" }, "--token-file: cannot read")]
    [InlineData(new[] { "flags", "kill-switch", "maybe" }, "kill-switch takes status, on or off")]
    [InlineData(new[] { "flags", "list", "--url", "ftp://host", "--token-file", "x" }, "--url must be an http(s) URL")]
    public async Task Bad_arguments_are_usage_errors(string[] args, string message)
    {
        var (code, output) = await RunAsync([.. args.Select(a => a == "x" ? _aliceFile : a)]);

        Assert.Equal(SentinelCli.UsageError, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_and_token_come_from_the_environment_when_not_given()
    {
        var environment = new Dictionary<string, string>
        {
            [FlagsCommand.UrlVariable] = _server.Url.ToString(),
            [FlagsCommand.TokenVariable] = AdminServer.BobToken,
        };
        var output = new StringWriter();

        var code = await FlagsCommand.ExecuteAsync(["ack", "--agent", "team/planner-05"], output, name => environment.GetValueOrDefault(name), CancellationToken.None);

        Assert.Equal(SentinelCli.Ok, code);
        Assert.Equal(new OperatorNote("bob"), _server.Admin.Calls.Single().Request);
    }

    [Fact]
    public async Task Without_any_token_the_command_is_a_usage_error()
    {
        var output = new StringWriter();

        var error = await Assert.ThrowsAsync<CommandLine.UsageException>(
            () => FlagsCommand.ExecuteAsync(["list", "--url", _server.Url.ToString()], output, _ => null, CancellationToken.None));

        Assert.Contains(FlagsCommand.TokenVariable, error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Admin.Calls);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await SentinelCli.RunAsync(args, output, output);
        return (code, output.ToString());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
