using AgentSentinel.Detection.Streaming;

namespace AgentSentinel.Detection.Tests.Streaming;

public sealed class StreamingDetectorOptionsTests
{
    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(new StreamingDetectorOptions().Validate());

    [Theory]
    [InlineData(nameof(StreamingDetectorOptions.LevelWindow), 2)]
    [InlineData(nameof(StreamingDetectorOptions.SpreadAlpha), 0.0)]
    [InlineData(nameof(StreamingDetectorOptions.HalfScoreProbability), 0.9)]
    [InlineData(nameof(StreamingDetectorOptions.TailShare), 0.7)]
    [InlineData(nameof(StreamingDetectorOptions.SuppressionStep), 0.0)]
    [InlineData(nameof(StreamingDetectorOptions.CusumDrift), -1.0)]
    public void An_invalid_value_is_reported_with_its_key(string key, double value)
    {
        var options = new StreamingDetectorOptions();
        var property = typeof(StreamingDetectorOptions).GetProperty(key)!;
        property.SetValue(options, property.PropertyType == typeof(int) ? (object)(int)value : value);
        var problem = Assert.Single(options.Validate());
        Assert.Contains("Detection:Streaming:" + key, problem, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StreamingAnomalyDetector(options));
    }
}
