using System.Text.Json;
using AgentSentinel.Cli.Tests.Support;
using AgentSentinel.Tests.Shared;

namespace AgentSentinel.Cli.Tests.Commands;

public sealed class ReplayCommandTests : IDisposable
{
    private const long Jan2026 = 1_767_225_600_000_000_000;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Replaying_the_same_input_twice_gives_byte_identical_reports()
    {
        var input = _temp.WriteRecords("records", SpikeWorkload().Records);

        var first = await ReplayAsync(input, "first.json");
        var second = await ReplayAsync(input, "second.json");

        Assert.NotEmpty(JsonDocument.Parse(first).RootElement.GetProperty("anomalies").EnumerateArray());
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Both_encodings_of_the_shared_stream_give_the_same_report()
    {
        var proto = await ReplayAsync(Path.Combine(SharedData.Stream, "otlp_proto"), "proto.json", "otlp_proto");
        var json = await ReplayAsync(Path.Combine(SharedData.Stream, "all.otlp.jsonl"), "json.json", "otlp_json");

        Assert.Equal(proto, json);
        var stats = JsonDocument.Parse(proto).RootElement.GetProperty("stats");
        Assert.Equal(21, stats.GetProperty("records").GetInt32());
        Assert.Equal(148, stats.GetProperty("spans").GetInt32());
        Assert.Equal(0, stats.GetProperty("decode_errors").GetInt32());
    }

    [Fact]
    public async Task A_token_spike_is_reported_with_its_explanation_and_the_incident_it_opens()
    {
        var (records, spikeIds) = SpikeWorkload();
        var report = JsonDocument.Parse(await ReplayAsync(_temp.WriteRecords("records", records), "report.json")).RootElement;

        // One token blow-up moves tokens and cost at once: the spike and drift detectors of both may speak, about this
        // agent only, and the spike is among them.
        var anomalies = report.GetProperty("anomalies").EnumerateArray().ToList();
        Assert.All(anomalies, a => Assert.Equal("billing-agent", a.GetProperty("agent").GetString()));
        Assert.All(anomalies, a => Assert.Contains(a.GetProperty("kind").GetString(), new[] { "token_spike", "cost_spike", "token_drift", "cost_drift", "multivariate_outlier" }));
        var anomaly = Assert.Single(anomalies, a => a.GetProperty("kind").GetString() == "token_spike");
        var explanation = anomaly.GetProperty("explanation");
        Assert.True(explanation.GetProperty("observed").GetDouble() > 5 * explanation.GetProperty("baseline").GetDouble());
        Assert.True(explanation.GetProperty("distance").GetDouble() >= 6);
        Assert.All(anomaly.GetProperty("trace_ids").EnumerateArray(), id => Assert.Contains(id.GetString(), spikeIds));
        var detectedAt = anomaly.GetProperty("detected_at").GetInt64();
        Assert.InRange(detectedAt, Jan2026 + (40 * 1_000_000_000L), Jan2026 + (45 * 1_000_000_000L));

        // The incident, under the default policy: fallback at the anomaly's event time; a probe five minutes of event time
        // later; the replayed traffic after the spike is healthy (nobody obeys the flag in a replay, so all of it is
        // primary-path traffic), so the recovery test passes within the probe and the agent is back on primary.
        var remediations = report.GetProperty("remediations").EnumerateArray().ToList();
        Assert.Equal(["fallback", "probe", "primary"], remediations.Select(r => r.GetProperty("route").GetString()));
        Assert.Equal("safe-model", remediations[0].GetProperty("fallback").GetString());
        Assert.Equal(detectedAt, remediations[0].GetProperty("at").GetInt64());
        Assert.Equal("token_spike", remediations[0].GetProperty("reason").GetString());
        Assert.Equal(detectedAt + (300 * 1_000_000_000L), remediations[1].GetProperty("at").GetInt64());
        Assert.Equal("recovered", remediations[2].GetProperty("reason").GetString());
        Assert.InRange(remediations[2].GetProperty("at").GetInt64(), detectedAt + (300 * 1_000_000_000L), detectedAt + (900 * 1_000_000_000L));
        Assert.All(remediations, r => Assert.Equal(remediations[0].GetProperty("incident").GetString(), r.GetProperty("incident").GetString()));

        var agent = report.GetProperty("agents").GetProperty("billing-agent");
        Assert.Equal(2 * records.Count, agent.GetProperty("llm_calls").GetInt32());
        Assert.Equal(["gpt-4o"], agent.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task Undecodable_records_are_counted_and_the_replay_goes_on()
    {
        var (records, _) = new OtlpTraceFactory(3).Workload("search-agent", Jan2026, normal: 5, spikes: 0);
        records.Insert(2, [0x0A, 0xFF, 0xFF, 0x01]);  // field 1, length far past the end
        records.Insert(4, [0x08]);                    // a varint with no payload

        var report = JsonDocument.Parse(await ReplayAsync(_temp.WriteRecords("records", records), "report.json")).RootElement;

        var stats = report.GetProperty("stats");
        Assert.Equal(7, stats.GetProperty("records").GetInt32());
        Assert.Equal(2, stats.GetProperty("decode_errors").GetInt32());
        Assert.Equal(5 * 3, stats.GetProperty("spans").GetInt32());
        Assert.Equal(5, stats.GetProperty("traces").GetInt32());
    }

    [Theory]
    [InlineData("replay --report r.json")]
    [InlineData("replay --input x --report r.json --format xml")]
    [InlineData("replay --input /no/such/path --report r.json")]
    [InlineData("replay --input x --report r.json --colour red")]
    public async Task A_bad_command_line_is_a_usage_error(string commandLine)
    {
        var error = new StringWriter();
        var code = await SentinelCli.RunAsync(commandLine.Split(' '), TextWriter.Null, error);

        Assert.Equal(SentinelCli.UsageError, code);
        Assert.Contains("agentsentinel:", error.ToString());
    }

    /// <summary>40 normal traces, 5 with ten times the tokens, then six minutes of normal traffic, one trace a second.</summary>
    private static (List<byte[]> Records, List<string> SpikeTraceIds) SpikeWorkload()
    {
        var factory = new OtlpTraceFactory(7);
        var (records, spikeIds) = factory.Workload("billing-agent", Jan2026, normal: 40, spikes: 5);
        var (after, _) = factory.Workload("billing-agent", Jan2026 + (45 * 1_000_000_000L), normal: 360, spikes: 0);
        records.AddRange(after);
        return (records, spikeIds);
    }

    private async Task<byte[]> ReplayAsync(string input, string reportName, string format = "auto")
    {
        var report = _temp.File(reportName);
        var error = new StringWriter();
        var code = await SentinelCli.RunAsync(["replay", "--input", input, "--format", format, "--report", report], TextWriter.Null, error);
        Assert.True(code == SentinelCli.Ok, error.ToString());
        return await File.ReadAllBytesAsync(report);
    }
}
