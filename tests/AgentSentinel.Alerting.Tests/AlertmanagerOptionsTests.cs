namespace AgentSentinel.Alerting.Tests;

public sealed class AlertmanagerOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_disabled()
    {
        var options = new AlertmanagerOptions();
        Assert.Empty(options.Validate());
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(4), options.FiringLease);
    }

    [Fact]
    public void The_firing_lease_is_four_resend_intervals_but_at_least_a_minute()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), new AlertmanagerOptions { ResendInterval = TimeSpan.FromSeconds(1) }.FiringLease);
        Assert.Equal(TimeSpan.FromMinutes(20), new AlertmanagerOptions { ResendInterval = TimeSpan.FromMinutes(5) }.FiringLease);
    }

    [Fact]
    public void A_valid_HA_configuration_passes()
    {
        var options = new AlertmanagerOptions
        {
            Urls = ["http://am-0:9093", "https://am-1.example/alertmanager/"],
            StaticLabels = new() { ["cluster"] = "prod-eu", ["team"] = "ml-platform" },
            BearerToken = "s3cr3t",
            GeneratorUrl = "https://grafana.example/d/agentsentinel",
        };
        Assert.Empty(options.Validate());
        Assert.True(options.Enabled);
    }

    public static TheoryData<Action<AlertmanagerOptions>, string> Invalid => new()
    {
        { o => o.Urls = ["http://am-0:9093", "am-1:9093"], "Alertmanager:Urls:1 must be an absolute http(s) URL" },
        { o => o.Urls = ["ftp://am-0"], "Alertmanager:Urls:0 must be an absolute http(s) URL" },
        { o => o.Urls = ["http://am-0:9093?x=1"], "Alertmanager:Urls:0" },
        { o => o.Urls = ["http://am-0:9093", "HTTP://AM-0:9093"], "Alertmanager:Urls lists the same URL twice" },
        { o => o.ResendInterval = TimeSpan.Zero, "Alertmanager:ResendInterval must be between" },
        { o => o.RequestTimeout = TimeSpan.FromHours(1), "Alertmanager:RequestTimeout must be between" },
        { o => o.AlertName = "Agent Sentinel", "Alertmanager:AlertName must match" },
        { o => o.StaticLabels = new() { ["cluster-name"] = "x" }, "Alertmanager:StaticLabels:cluster-name is not a valid label name" },
        { o => o.StaticLabels = new() { ["__meta"] = "x" }, "Alertmanager:StaticLabels:__meta is not a valid label name" },
        { o => o.StaticLabels = new() { ["agent"] = "x" }, "Alertmanager:StaticLabels:agent is set by AgentSentinel itself" },
        { o => o.StaticLabels = new() { ["cluster"] = "" }, "Alertmanager:StaticLabels:cluster must be 1–128 characters" },
        { o => o.BearerToken = "two words", "Alertmanager:BearerToken" },
        { o => o.GeneratorUrl = "/relative", "Alertmanager:GeneratorUrl must be an absolute http(s) URL" },
        { o => o.MaxAlerts = 0, "Alertmanager:MaxAlerts must be between" },
        { o => o.ResolveAttempts = 0, "Alertmanager:ResolveAttempts must be between" },
        { o => o.MaxAlertsPerRequest = 0, "Alertmanager:MaxAlertsPerRequest must be between" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_value_is_reported_with_its_key(Action<AlertmanagerOptions> change, string expected)
    {
        var options = new AlertmanagerOptions();
        change(options);
        var problem = Assert.Single(options.Validate());
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }
}
