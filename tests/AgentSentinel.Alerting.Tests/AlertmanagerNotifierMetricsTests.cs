using AgentSentinel.Alerting.Tests.Infrastructure;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Alerting.Tests;

[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>Process-wide metrics: run alone so no other notifier moves them.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class AlertmanagerNotifierMetricsTests(AlertmanagerFixture fixture) : IClassFixture<AlertmanagerFixture>
{
    [Fact]
    public async Task Each_post_is_counted_as_delivered_or_failed_and_firing_alerts_are_gauged()
    {
        var options = AlertmanagerNotifierTests.Options(AlertmanagerNotifierTests.RefusedUrl(), fixture.Alertmanager.Url);
        options.ResendInterval = TimeSpan.FromHours(1); // no re-send during the test: exactly one post per URL
        var delivered = SentinelMetrics.AlertsSent.WithLabels("delivered").Value;
        var failed = SentinelMetrics.AlertsSent.WithLabels("failed").Value;

        await using (var notifier = new AlertmanagerNotifier(options, new ListLogger<AlertmanagerNotifier>()))
        {
            var m1 = AlertmanagerNotifierTests.Alert("metrics-agent", "inc-m1");
            notifier.Fire(m1);
            await notifier.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(delivered + 1, SentinelMetrics.AlertsSent.WithLabels("delivered").Value);
            Assert.Equal(failed + 1, SentinelMetrics.AlertsSent.WithLabels("failed").Value);
            Assert.Equal(1, SentinelMetrics.AlertsFiring.Value);

            // The same content again: nothing to send.
            notifier.Fire(m1 with { TraceIds = [.. m1.TraceIds] });
            notifier.Fire(AlertmanagerNotifierTests.Alert("metrics-agent-2", "inc-m2"));
            await notifier.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(2, SentinelMetrics.AlertsFiring.Value);

            notifier.Resolve("inc-m1", DateTimeOffset.UtcNow);
            Assert.Equal(1, SentinelMetrics.AlertsFiring.Value);
            await notifier.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            var posts = SentinelMetrics.AlertsSent.WithLabels("delivered").Value - delivered;
            Assert.Equal(3, posts); // m1, m2, m1's resolve: firing m1 again with the same content sent nothing
            Assert.Equal(3, SentinelMetrics.AlertsSent.WithLabels("failed").Value - failed);
        }
    }
}
