using System.Text.Json;
using AgentSentinel.Evaluation.Scenarios;

namespace AgentSentinel.Evaluation.Tests.Scenarios;

public sealed class ScenarioEvaluationTests
{
    private static ScenarioOptions Small(int seed) => new() { Seed = seed, Agents = 4, Hours = 8, CleanHours = 4, BurnInHours = 2 };

    private static byte[] ReportBytes(ScenarioOptions options)
    {
        var report = ScenarioEvaluation.Run(options, TextWriter.Null);
        using var stream = new MemoryStream();
        ScenarioReportWriter.Write(stream, report);
        return stream.ToArray();
    }

    [Fact]
    public void The_same_seed_gives_the_same_report_bytes_and_another_seed_another_report()
    {
        var first = ReportBytes(Small(5));
        Assert.Equal(first, ReportBytes(Small(5)));
        Assert.NotEqual(first, ReportBytes(Small(6)));
    }

    [Fact]
    public void The_report_scores_every_fault_kind_and_carries_config_clean_and_events()
    {
        using var json = JsonDocument.Parse(ReportBytes(Small(5)));
        var root = json.RootElement;
        Assert.Equal(5, root.GetProperty("config").GetProperty("seed").GetInt32());
        var faults = root.GetProperty("faults");
        foreach (var kind in FaultDetectionMap.AllFaults)
        {
            var k = faults.GetProperty(kind.WireName());
            Assert.Equal(k.GetProperty("events").GetInt32(), k.GetProperty("tp").GetInt32() + k.GetProperty("fn").GetInt32());
        }

        Assert.True(root.GetProperty("events").GetArrayLength() > 0);
        Assert.True(root.GetProperty("clean").GetProperty("false_incidents").GetProperty("clean_agent_hours").GetDouble() > 15);
        Assert.True(root.GetProperty("clean").GetProperty("traffic").GetProperty("traces").GetInt64() > 100);
    }

    [Fact]
    public void The_console_summary_has_one_line_per_fault_kind_and_the_false_incident_rates()
    {
        var report = ScenarioEvaluation.Run(Small(5), TextWriter.Null);
        var text = new StringWriter();
        ScenarioReportWriter.WriteSummary(text, report);
        foreach (var kind in FaultDetectionMap.AllFaults)
        {
            Assert.Contains(kind.WireName(), text.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains("per 100 agent-hours", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        var e = Assert.Throws<ArgumentException>(() => ScenarioEvaluation.Run(new ScenarioOptions { Agents = 0 }, TextWriter.Null));
        Assert.Contains("agents", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ScenarioEvaluation.Run(new ScenarioOptions { Hours = 2 }, TextWriter.Null));
        Assert.Contains("hours", e.Message, StringComparison.Ordinal);
    }
}
