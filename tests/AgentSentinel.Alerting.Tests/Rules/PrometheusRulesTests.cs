using System.Diagnostics;
using AgentSentinel.Tests.Shared;
using YamlDotNet.RepresentationModel;

namespace AgentSentinel.Alerting.Tests.Rules;

/// <summary>
/// deploy/prometheus/*.yml, deploy/prometheus.yml and deploy/alertmanager.yml as the real tools see them
/// (Debian packages prometheus and prometheus-alertmanager).
/// </summary>
public sealed class PrometheusRulesTests
{
    private const string Promtool = "/usr/bin/promtool";
    private const string Amtool = "/usr/bin/amtool";

    private static string Deploy => Path.Combine(SharedData.RepositoryRoot, "deploy");

    private static string RulesFile => Path.Combine(Deploy, "prometheus", "agentsentinel-rules.yml");

    private static string RulesTestFile => Path.Combine(Deploy, "prometheus", "agentsentinel-rules.test.yml");

    [Fact]
    public async Task The_rules_pass_promtool_check_rules()
    {
        var (code, output) = await RunAsync(Promtool, "check", "rules", RulesFile);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rules_unit_tests_pass_promtool_test_rules()
    {
        var (code, output) = await RunAsync(Promtool, "test", "rules", RulesTestFile);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Prometheus_config_and_the_rules_it_loads_pass_promtool_check_config()
    {
        var (code, output) = await RunAsync(Promtool, "check", "config", "--syntax-only", Path.Combine(Deploy, "prometheus.yml"));
        Assert.True(code == 0, output);
        (code, output) = await RunAsync(Promtool, "check", "config", Path.Combine(Deploy, "prometheus.yml"));
        Assert.True(code == 0, output);
        Assert.Contains("agentsentinel-rules.yml", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Alertmanager_config_passes_amtool_and_routes_incidents_by_agent_and_kind()
    {
        var config = Path.Combine(Deploy, "alertmanager.yml");
        var (code, output) = await RunAsync(Amtool, "check-config", config);
        Assert.True(code == 0, output);

        (code, output) = await RunAsync(Amtool, "config", "routes", "test", "--config.file=" + config, "--verify.receivers=webhook",
            "alertname=AgentSentinelIncident", "agent=checkout-bot", "kind=token_spike", "severity=critical");
        Assert.True(code == 0, output);

        var route = (YamlMappingNode)Load(config).Children[new YamlScalarNode("route")];
        var incident = ((YamlSequenceNode)route.Children[new YamlScalarNode("routes")]).Children.Cast<YamlMappingNode>()
            .Single(r => r.Children.TryGetValue(new YamlScalarNode("matchers"), out var m) && m.ToString().Contains("AgentSentinelIncident", StringComparison.Ordinal));
        var groupBy = ((YamlSequenceNode)incident.Children[new YamlScalarNode("group_by")]).Children.Select(n => n.ToString());
        Assert.Equal(["alertname", "agent", "kind"], groupBy);
    }

    [Fact]
    public void Every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not()
    {
        var alerts = ((YamlSequenceNode)Load(RulesFile).Children[new YamlScalarNode("groups")]).Children.Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g.Children[new YamlScalarNode("rules")]).Children.Cast<YamlMappingNode>())
            .Select(r => r.Children.TryGetValue(new YamlScalarNode("alert"), out var a) ? a.ToString() : null)
            .OfType<string>()
            .ToList();
        Assert.Contains("AgentSentinelNoAgentData", alerts);

        var cases = ((YamlSequenceNode)Load(RulesTestFile).Children[new YamlScalarNode("tests")]).Children.Cast<YamlMappingNode>()
            .SelectMany(t => t.Children.TryGetValue(new YamlScalarNode("alert_rule_test"), out var a) ? ((YamlSequenceNode)a).Children.Cast<YamlMappingNode>() : [])
            .Select(c => (Alert: c.Children[new YamlScalarNode("alertname")].ToString(), Fires: c.Children.TryGetValue(new YamlScalarNode("exp_alerts"), out var e) && ((YamlSequenceNode)e).Children.Count > 0))
            .ToList();

        var required = new[]
        {
            "AgentSentinelConsumerLagGrowing", "AgentSentinelDeadLettering", "AgentSentinelRedisDisconnected", "AgentSentinelNoAgentData",
            "AgentSentinelRemediationsSuppressed", "AgentSentinelKillSwitchEngaged", "AgentSentinelAlertDeliveryFailing",
            "AgentSentinelAlertDeliveryDown", "AgentSentinelPolicyReloadRejected",
        };
        Assert.All(required, r => Assert.Contains(r, alerts));

        var untested = alerts.Where(a => !cases.Any(c => c.Alert == a && c.Fires) || !cases.Any(c => c.Alert == a && !c.Fires)).ToList();
        Assert.True(untested.Count == 0, "alerts without a firing and a non-firing unit test: " + string.Join(", ", untested));
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static async Task<(int Code, string Output)> RunAsync(string binary, params string[] args)
    {
        Assert.True(File.Exists(binary), $"{binary} is missing: install the Debian packages prometheus (promtool) and prometheus-alertmanager (amtool).");
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = SharedData.RepositoryRoot,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
