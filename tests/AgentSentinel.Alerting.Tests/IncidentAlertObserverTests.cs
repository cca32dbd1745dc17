using AgentSentinel.Alerting.Tests.Infrastructure;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Alerting.Tests;

/// <summary>The incident lifecycle as Alertmanager sees it, through the real binary: one notification per incident, kept up
/// to date, resolved when the agent recovers.</summary>
public sealed class IncidentAlertObserverTests(AlertmanagerFixture fixture) : IClassFixture<AlertmanagerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static IncidentUpdate Step(string agent, string incident, string phase, IncidentChange change, string cause, long atSeconds) => new(
        incident, agent, AnomalyKinds.TokenSpike, "critical", phase, change, cause, phase is "fallback" or "probe" ? "safe-model" : null,
        "everything-else", "tokens_per_trace 9120 vs baseline 870 (robust_log_z 7.1)", ["4bf92f3577b34da6a3ce929d0e0e4736"],
        DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds() * 1_000_000, DateTimeOffset.UtcNow.AddSeconds(-30 + atSeconds).ToUnixTimeMilliseconds() * 1_000_000,
        Acknowledged: false, Trips: 1, Limit: null, DryRun: false);

    [Fact]
    public async Task An_incident_fires_once_shows_its_probe_and_resolves_when_the_agent_recovers()
    {
        var agent = "billing-" + Guid.NewGuid().ToString("N")[..8];
        await using var notifier = new AlertmanagerNotifier(AlertmanagerNotifierTests.Options(fixture.Alertmanager.Url), new ListLogger<AlertmanagerNotifier>());
        var observer = new IncidentAlertObserver(notifier);

        observer.OnIncident(Step(agent, "inc-000000000001", "fallback", IncidentChange.Opened, "opened", 0));
        var first = (await fixture.Hook.WaitForAsync(agent, 1, Patience))[0];
        var alert = Assert.Single(first.GetProperty("alerts").EnumerateArray());
        Assert.Equal("firing", alert.GetProperty("status").GetString());
        Assert.Equal("token_spike", alert.GetProperty("labels").GetProperty("kind").GetString());
        Assert.Equal("critical", alert.GetProperty("labels").GetProperty("severity").GetString());
        Assert.StartsWith("route=fallback fallback=safe-model", alert.GetProperty("annotations").GetProperty("remediation").GetString(), StringComparison.Ordinal);

        observer.OnIncident(Step(agent, "inc-000000000001", "probe", IncidentChange.Changed, "probe_started", 10));
        await Eventually(async () => (await fixture.Alertmanager.AlertsAsync()).EnumerateArray().Any(a =>
            a.GetProperty("labels").GetProperty("agent").GetString() == agent
            && a.GetProperty("annotations").GetProperty("remediation").GetString()!.StartsWith("route=probe", StringComparison.Ordinal)));
        Assert.Single(fixture.Hook.For(agent)); // changed in place: no second notification

        observer.OnIncident(Step(agent, "inc-000000000001", "primary", IncidentChange.Recovered, "recovered", 20));
        var both = await fixture.Hook.WaitForAsync(agent, 2, Patience);
        Assert.Equal("resolved", both[1].GetProperty("status").GetString());
        Assert.Equal(0, notifier.Firing);
    }

    [Fact]
    public void The_remediation_line_says_what_is_in_force()
    {
        var held = Step("a", "inc-1", "suppressed", IncidentChange.Opened, "opened", 0) with { Limit = "blast_radius" };
        var dry = Step("a", "inc-1", "fallback", IncidentChange.Opened, "opened", 0) with { DryRun = true };

        Assert.Equal("no flag: held by the blast_radius safety limit trips=1 (policy everything-else)", IncidentAlertObserver.Remediation(held));
        Assert.EndsWith("[dry run: no flag written]", IncidentAlertObserver.Remediation(dry), StringComparison.Ordinal);
        Assert.StartsWith("no flag: the policy only alerts", IncidentAlertObserver.Remediation(Step("a", "inc-1", "alert_only", IncidentChange.Opened, "opened", 0)), StringComparison.Ordinal);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
