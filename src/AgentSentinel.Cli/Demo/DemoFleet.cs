using AgentSentinel.Client;
using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Cli.Demo;

/// <summary>Writes one Kafka record value, as the Collector's exporter would (key null: batched records).</summary>
internal delegate Task RecordWriter(byte[]? key, byte[] value, CancellationToken cancellationToken);

/// <summary>The agent's flag client: the route its flag selects now, and the path one request takes given a uniform sample.</summary>
internal interface IRouteSource
{
    (FlagRoute Route, string Fallback) Current(string agent);

    RouteDecision Decide(string agent, double sample);
}

/// <summary>
/// Drives the simulated fleet: every tick it collects the requests that came due across all agents into one
/// OTLP record, as the Collector's batch processor does, and produces it. Like a real exporter it sometimes
/// ships a trace's root span in the next batch (spans are exported as they end), so traces arrive in pieces.
/// </summary>
internal sealed class DemoFleet(IReadOnlyList<SimulatedAgent> agents, RecordWriter write, IRouteSource routes, TimeProvider time, int seed)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private readonly Random _rng = new(seed);
    private bool _wired;

    public IReadOnlyList<SimulatedAgent> Agents { get; } = agents;

    public long RecordsWritten { get; private set; }

    public long SpansWritten { get; private set; }

    /// <summary>Raised when an agent's polled route changes: (agent, new route, fallback).</summary>
    public event Action<SimulatedAgent, FlagRoute, string>? RouteChanged;

    public async Task RunAsync(TimeSpan duration, long startTimestamp, CancellationToken cancellationToken)
    {
        WireDecisions();
        var encoder = new OtlpRecordEncoder();
        var carried = new List<(SimulatedAgent Agent, SimulatedTrace Trace)>();
        using var timer = new PeriodicTimer(Tick, time);
        while (!cancellationToken.IsCancellationRequested)
        {
            var elapsed = time.GetElapsedTime(startTimestamp);
            if (elapsed >= duration)
            {
                break;
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000L;
            foreach (var (agent, trace) in carried)
            {
                encoder.Add(agent, trace, s => s.Kind == SimulatedSpanKind.Agent);
            }

            carried.Clear();
            foreach (var agent in Agents)
            {
                RefreshRoute(agent);
                foreach (var trace in agent.Due(elapsed.TotalSeconds, now))
                {
                    if (_rng.NextDouble() < 0.2)
                    {
                        // The root ends last: ship the children now and the root with the next batch.
                        encoder.Add(agent, trace, s => s.Kind != SimulatedSpanKind.Agent);
                        carried.Add((agent, trace));
                    }
                    else
                    {
                        encoder.Add(agent, trace);
                    }
                }
            }

            if (!encoder.IsEmpty)
            {
                SpansWritten += encoder.SpanCount;
                await write(null, encoder.Drain(), cancellationToken).ConfigureAwait(false);
                RecordsWritten++;
            }

            try
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void WireDecisions()
    {
        if (_wired)
        {
            return;
        }

        _wired = true;
        foreach (var agent in Agents)
        {
            var name = agent.Name;
            agent.Decide = sample => routes.Decide(name, sample);
        }
    }

    private void RefreshRoute(SimulatedAgent agent)
    {
        var (route, fallback) = routes.Current(agent.Name);
        if (route != agent.Route)
        {
            agent.Route = route;
            agent.FallbackModel = fallback.Length > 0 ? fallback : agent.FallbackModel;
            RouteChanged?.Invoke(agent, route, fallback);
        }
    }
}
