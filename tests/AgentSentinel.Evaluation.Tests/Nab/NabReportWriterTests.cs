using System.Text.Json;
using AgentSentinel.Evaluation.Nab;

namespace AgentSentinel.Evaluation.Tests.Nab;

public sealed class NabReportWriterTests
{
    private static NabReport Report()
    {
        var profile = NabProfile.Defaults[0];
        var score = new NabScore(1.234567891, 3, 100, 2, 40, 1);
        var result = new NabProfileResults(profile, new NabProfileResult(0.7, 1.234567891, 55.555555, score), new NabProfileResult(0.5, -1, 40.1, score));
        return new NabReport
        {
            Detector = "d",
            DetectorSettings = [new("A", "1")],
            Files = 1,
            Rows = 146,
            Windows = 1,
            FixedThreshold = 0.5,
            FixedThresholdBasis = "p = 1e-6",
            Profiles = [result],
            FileResults = [new NabFileResult("cat/a.csv", 146, 1, score, score)],
            References = [new NabReference("numenta", "results/numenta", [result])],
            Published = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["numenta"] = new Dictionary<string, double> { ["standard"] = 70.101056 } },
        };
    }

    [Fact]
    public void The_same_report_is_written_as_the_same_bytes()
    {
        using var first = new MemoryStream();
        using var second = new MemoryStream();
        NabReportWriter.Write(first, Report());
        NabReportWriter.Write(second, Report());
        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [Fact]
    public void The_report_holds_optimised_and_fixed_scores_references_and_the_scoreboard()
    {
        using var stream = new MemoryStream();
        NabReportWriter.Write(stream, Report());
        using var json = JsonDocument.Parse(stream.ToArray());
        var standard = json.RootElement.GetProperty("scores").GetProperty("standard");
        Assert.Equal(55.5556, standard.GetProperty("optimized").GetProperty("normalized_score").GetDouble());
        Assert.Equal(0.5, standard.GetProperty("fixed").GetProperty("threshold").GetDouble());
        Assert.Equal(1.234568, standard.GetProperty("optimized").GetProperty("raw_score").GetDouble());
        Assert.True(json.RootElement.GetProperty("references").TryGetProperty("numenta", out _));
        Assert.Equal(70.1, json.RootElement.GetProperty("published_scoreboard").GetProperty("numenta").GetProperty("standard").GetDouble());
        Assert.Equal("p = 1e-6", json.RootElement.GetProperty("fixed_threshold").GetProperty("basis").GetString());
    }
}
