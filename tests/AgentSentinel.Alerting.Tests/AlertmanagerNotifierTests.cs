using System.Globalization;
using System.Text.Json;
using AgentSentinel.Alerting.Tests.Infrastructure;
using AgentSentinel.Core.Anomalies;

namespace AgentSentinel.Alerting.Tests;

/// <summary>One real Alertmanager and one webhook receiver for the class; each test uses its own agents and incidents.</summary>
public sealed class AlertmanagerFixture : IAsyncLifetime
{
    public WebhookReceiver Hook { get; } = new();

    public AlertmanagerProcess Alertmanager { get; private set; } = null!;

    public async Task InitializeAsync() => Alertmanager = await AlertmanagerProcess.StartAsync(Hook.Url);

    public async Task DisposeAsync()
    {
        await Alertmanager.DisposeAsync();
        Hook.Dispose();
    }
}

/// <summary>The notifier against the real <c>prometheus-alertmanager</c> binary, seen through its webhook notifications.</summary>
public sealed class AlertmanagerNotifierTests(AlertmanagerFixture fixture) : IClassFixture<AlertmanagerFixture>
{
    private static readonly TimeSpan Resend = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private WebhookReceiver Hook => fixture.Hook;

    private AlertmanagerProcess Am => fixture.Alertmanager;

    internal static AlertmanagerOptions Options(params string[] urls) => new()
    {
        Urls = [.. urls],
        ResendInterval = Resend,
        RequestTimeout = TimeSpan.FromSeconds(15), // refused URLs fail at once; a live Alertmanager slowed by a loaded machine must not count as down
        StaticLabels = new() { ["cluster"] = "test-eu" },
        GeneratorUrl = "http://agentsentinel.example:9464/admin/incidents",
    };

    internal static IncidentAlert Alert(string agent, string incident, string state = "fallback", bool acknowledged = false) => new(
        incident,
        agent,
        AnomalyKinds.TokenSpike,
        AnomalySeverity.Critical,
        state,
        "route=fallback fallback=gpt-4o-mini (policy prod-token-burn)",
        "tokens_per_trace 9120 vs baseline 1480 (spread 210): 36.4 spreads above",
        ["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"],
        DateTimeOffset.UtcNow.AddSeconds(-5),
        acknowledged,
        "prod-token-burn");

    internal static string RefusedUrl() => "http://127.0.0.1:" + FreePort.Next().ToString(CultureInfo.InvariantCulture);

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task An_incident_is_notified_once_while_it_is_re_sent_and_its_resolve_arrives_as_resolved()
    {
        var agent = Unique("checkout-bot");
        var logger = new ListLogger<AlertmanagerNotifier>();
        await using var notifier = new AlertmanagerNotifier(Options(Am.Url), logger);
        var alert = Alert(agent, agent + "/1");

        notifier.Fire(alert);
        var first = (await Hook.WaitForAsync(agent, 1, Patience))[0];
        Assert.Equal("firing", first.GetProperty("status").GetString());
        Assert.Equal(1, notifier.Firing);

        // Re-sent every 500 ms, and changed (probe, acknowledged): Alertmanager keeps one alert and does not notify again.
        notifier.Fire(alert with { State = "probe", Acknowledged = true });
        await Task.Delay(Resend * 5);
        Assert.Single(Hook.For(agent));

        var held = Assert.Single((await Am.AlertsAsync()).EnumerateArray(), a => a.GetProperty("labels").GetProperty("agent").GetString() == agent);
        Assert.Equal("probe", held.GetProperty("annotations").GetProperty("state").GetString());
        Assert.Equal("true", held.GetProperty("annotations").GetProperty("acknowledged").GetString());
        Assert.Equal("active", held.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(alert.StartsAt.ToUnixTimeSeconds(), held.GetProperty("startsAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.True(held.GetProperty("endsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(30), "a firing alert's endsAt lies a lease ahead");

        var endedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        notifier.Resolve(alert.Incident, endedAt);
        var both = await Hook.WaitForAsync(agent, 2, Patience);
        Assert.Equal("resolved", both[1].GetProperty("status").GetString());
        var resolved = Assert.Single(both[1].GetProperty("alerts").EnumerateArray());
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        Assert.Equal(endedAt.ToUnixTimeSeconds(), resolved.GetProperty("endsAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal(0, notifier.Firing);

        await Task.Delay(Resend * 4);
        Assert.Equal(2, Hook.For(agent).Count);
        Assert.Equal(0, logger.Count(5002));
    }

    [Fact]
    public async Task Labels_are_exactly_the_bounded_set_and_annotations_explain()
    {
        var raw = "evil\nagent\u0007" + Unique("x") + new string('a', 300);
        var agent = AlertLabels.Agent(raw);
        await using var notifier = new AlertmanagerNotifier(Options(Am.Url), new ListLogger<AlertmanagerNotifier>());

        notifier.Fire(Alert(raw, Unique("inc")) with
        {
            Kind = "made up kind",
            TraceIds = ["4bf92f3577b34da6a3ce929d0e0e4736", "<script>", "00f067aa0ba902b7"],
        });

        var n = (await Hook.WaitForAsync(agent, 1, Patience))[0];
        var alert = Assert.Single(n.GetProperty("alerts").EnumerateArray());
        var labels = alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(["agent", "alertname", "cluster", "kind", "severity"], labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("AgentSentinelIncident", labels["alertname"]);
        Assert.Equal("other", labels["kind"]);
        Assert.Equal("critical", labels["severity"]);
        Assert.Equal("test-eu", labels["cluster"]);
        Assert.Equal(128, labels["agent"]!.Length);
        Assert.DoesNotContain(labels["agent"]!, char.IsControl);
        Assert.Matches("~[0-9a-f]{8}$", labels["agent"]);

        var annotations = alert.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(["acknowledged", "description", "incident", "policy", "remediation", "state", "summary", "trace_ids"], annotations.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7", annotations["trace_ids"]);
        Assert.Equal("tokens_per_trace 9120 vs baseline 1480 (spread 210): 36.4 spreads above", annotations["description"]);
        Assert.Equal($"agent {agent}: other (critical), fallback: route=fallback fallback=gpt-4o-mini (policy prod-token-burn)", annotations["summary"]);
        Assert.Equal("false", annotations["acknowledged"]);
        Assert.Equal("prod-token-burn", annotations["policy"]);
        Assert.Equal("http://agentsentinel.example:9464/admin/incidents", alert.GetProperty("generatorURL").GetString());
    }

    [Fact]
    public async Task With_two_Alertmanagers_one_down_the_incident_is_still_delivered_and_the_outage_logged_once()
    {
        var agent = Unique("billing-agent");
        var logger = new ListLogger<AlertmanagerNotifier>();
        await using var notifier = new AlertmanagerNotifier(Options(RefusedUrl(), Am.Url), logger);

        notifier.Fire(Alert(agent, agent + "/1"));
        await Hook.WaitForAsync(agent, 1, Patience);
        await Task.Delay(Resend * 4);

        Assert.Single(Hook.For(agent));
        Assert.Equal(1, logger.Count(5002));
    }

    [Fact]
    public async Task An_incident_opened_while_Alertmanager_is_down_is_delivered_once_it_comes_up()
    {
        var agent = Unique("support-agent");
        var port = FreePort.Next();
        var logger = new ListLogger<AlertmanagerNotifier>();
        await using var notifier = new AlertmanagerNotifier(Options("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)), logger);

        notifier.Fire(Alert(agent, agent + "/1"));
        await notifier.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(1, notifier.Firing);
        Assert.Equal(1, logger.Count(5002));

        await using var late = await AlertmanagerProcess.StartAsync(Hook.Url, port);
        var n = (await Hook.WaitForAsync(agent, 1, Patience))[0];
        Assert.Equal("firing", n.GetProperty("status").GetString());
        var deadline = DateTime.UtcNow + Patience; // logged when the POST's answer comes back, which may trail the webhook
        while (logger.Count(5003) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, logger.Count(5003));
    }

    [Fact]
    public async Task A_rejected_post_is_logged_once_and_re_sent_only_when_the_alert_changes()
    {
        var agent = Unique("rejected-agent");
        var logger = new ListLogger<AlertmanagerNotifier>();
        await using var notifier = new AlertmanagerNotifier(Options(Am.Url + "/no-such-prefix"), logger);
        var alert = Alert(agent, agent + "/1");

        notifier.Fire(alert);
        await notifier.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        await Task.Delay(Resend * 4);
        var rejected = Assert.Single(logger.Events, e => e.Id == 5004);
        Assert.Contains("404", rejected.Message, StringComparison.Ordinal);

        notifier.Fire(alert with { State = "probe" });
        await notifier.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(2, logger.Count(5004));
        Assert.Equal(0, logger.Count(5002));
    }

    [Fact]
    public async Task A_resolve_no_Alertmanager_accepts_is_given_up_after_the_attempts_and_nothing_throws()
    {
        var logger = new ListLogger<AlertmanagerNotifier>();
        var options = Options(RefusedUrl(), RefusedUrl());
        options.ResolveAttempts = 3;
        await using var notifier = new AlertmanagerNotifier(options, logger);

        for (var i = 0; i < 3; i++)
        {
            notifier.Fire(Alert("agent-" + i.ToString(CultureInfo.InvariantCulture), "inc-" + i.ToString(CultureInfo.InvariantCulture)));
        }

        await notifier.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(3, notifier.Firing);
        notifier.Resolve("inc-1", DateTimeOffset.UtcNow);
        notifier.Resolve("no-such-incident", DateTimeOffset.UtcNow);
        Assert.Equal(2, notifier.Firing);

        var deadline = DateTime.UtcNow + Patience;
        while (logger.Count(5005) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var givenUp = Assert.Single(logger.Events, e => e.Id == 5005);
        Assert.Contains("inc-1", givenUp.Message, StringComparison.Ordinal);
        Assert.Contains("2 Alertmanager(s) after 3 attempts", givenUp.Message, StringComparison.Ordinal);
        Assert.Equal(2, logger.Count(5002));
    }

    [Fact]
    public async Task At_most_MaxAlerts_incidents_are_tracked()
    {
        var logger = new ListLogger<AlertmanagerNotifier>();
        var options = Options(RefusedUrl());
        options.MaxAlerts = 2;
        await using var notifier = new AlertmanagerNotifier(options, logger);

        notifier.Fire(Alert("a", "inc-a"));
        notifier.Fire(Alert("b", "inc-b"));
        notifier.Fire(Alert("c", "inc-c"));
        notifier.Fire(Alert("d", "inc-d"));
        notifier.Fire(Alert("a", "inc-a", state: "probe"));

        Assert.Equal(2, notifier.Firing);
        Assert.Equal(1, logger.Count(5006));
    }

    [Fact]
    public async Task Without_urls_the_notifier_does_nothing()
    {
        var logger = new ListLogger<AlertmanagerNotifier>();
        await using var notifier = new AlertmanagerNotifier(new AlertmanagerOptions(), logger);

        notifier.Fire(Alert("a", "inc-a"));
        notifier.Resolve("inc-a", DateTimeOffset.UtcNow);
        await notifier.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(0, notifier.Firing);
        Assert.Empty(logger.Events);
    }

    [Fact]
    public void Invalid_options_are_refused_at_construction_naming_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => new AlertmanagerNotifier(new AlertmanagerOptions { Urls = ["am:9093"] }, new ListLogger<AlertmanagerNotifier>()));
        Assert.Contains("Alertmanager:Urls:0", e.Message, StringComparison.Ordinal);
    }
}
