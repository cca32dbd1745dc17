using AgentSentinel.Actors.Tests.TestSupport;
using Akka.Event;

namespace AgentSentinel.Actors.Tests.Hosting;

public sealed class LoggingTests
{
    [Fact]
    public async Task Pipeline_lifecycle_and_akkas_own_log_go_to_the_logger_factory()
    {
        var loggers = new CapturingLoggerFactory();
        var pipeline = SentinelPipeline.Start(new SentinelPipelineSettings { LoggerFactory = loggers });
        pipeline.System.Log.Warning("probe {0}", 42);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!loggers.Lines.Any(l => l.Message.Contains("probe 42", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await pipeline.StopAsync();

        var lines = loggers.Lines;
        Assert.Contains(lines, l => l.Event.Id == 2000 && l.Category == typeof(SentinelPipeline).FullName);
        Assert.Contains(lines, l => l.Event.Id == 2001);
        var akka = Assert.Single(lines, l => l.Message.Contains("probe 42", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, akka.Level);
        Assert.Equal(2090, akka.Event.Id);
    }
}
