namespace AgentSentinel.Client;

/// <summary>
/// Request-level routing over a <see cref="FlagPoller"/>: <see cref="Decide"/> returns primary or the fallback in force,
/// and under <c>route=probe</c> sends each request to primary with probability <c>probe_ratio</c>. Tag the request's span
/// with <see cref="RouteDecision.AttributeValue"/> (<see cref="RouteDecision.Tag"/>) so AgentSentinel can tell probe
/// traffic on primary from fallback traffic. Thread-safe; allocation-free per call.
/// </summary>
public sealed class RouteSelector
{
    private readonly FlagPoller _poller;
    private readonly Random? _random;
    private readonly Lock _gate = new();

    /// <summary>Routes requests by <paramref name="poller"/>'s flag.</summary>
    /// <param name="poller">The agent's poller (started by the caller).</param>
    /// <param name="random">The probe draw; null uses <see cref="Random.Shared"/>. A given instance (e.g. seeded, in tests)
    /// is used under a lock, so it may be shared between selectors and threads.</param>
    public RouteSelector(FlagPoller poller, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(poller);
        _poller = poller;
        _random = random;
    }

    /// <summary>The poller this selector reads.</summary>
    public FlagPoller Poller => _poller;

    /// <summary>Routes one request now.</summary>
    public RouteDecision Decide() => _poller.Decide(NextSample());

    private double NextSample()
    {
        if (_random is null)
        {
            return Random.Shared.NextDouble();
        }

        lock (_gate)
        {
            return _random.NextDouble();
        }
    }
}
