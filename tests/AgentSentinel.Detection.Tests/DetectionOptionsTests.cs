namespace AgentSentinel.Detection.Tests;

public sealed class DetectionOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new DetectionOptions().Validate());
    }

    public static TheoryData<Action<DetectionOptions>, string> Invalid => new()
    {
        { o => o.WarmupSamples = 4, "Detection:WarmupSamples must be ≥ 5" },
        { o => o.WarmupSamples = 300, "Detection:WarmupSamples must be ≤ WindowSize" },
        { o => (o.WindowSize, o.WarmupSamples) = (8, 5), "Detection:WindowSize must be between 16 and 65536" },
        { o => o.WinsorizeSpreads = 0.5, "Detection:WinsorizeSpreads must be ≥ 1" },
        { o => o.RelativeSpreadFloor = -0.1, "Detection:RelativeSpreadFloor" },
        { o => o.LogSpreadFloor = 0, "Detection:LogSpreadFloor must be in (0, 10]" },
        { o => o.TraceThreshold = 0, "Detection:TraceThreshold" },
        { o => o.CallThreshold = double.PositiveInfinity, "Detection:CallThreshold" },
        { o => o.MinRelativeChange = 0.5, "Detection:MinRelativeChange" },
        { o => o.ExtremeFactor = 0.9, "Detection:ExtremeFactor" },
        { o => o.ConfirmCount = 5, "Detection:ConfirmCount must be between 1 and ConfirmWindow" },
        { o => o.ConfirmWindow = 65, "Detection:ConfirmWindow" },
        { o => o.RearmAfter = 0, "Detection:RearmAfter" },
        { o => o.MaxExemplars = 6, "Detection:MaxExemplars" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_value_is_reported_under_its_key(Action<DetectionOptions> change, string expected)
    {
        var options = new DetectionOptions();
        change(options);
        var error = Assert.Single(options.Validate());
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
