using AgentSentinel.Actors.Remediation;
using AgentSentinel.Telemetry;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Agents;

/// <summary>
/// The agent router (<c>/user/agents</c>): one child <see cref="AgentActor"/> per agent id, created on demand and
/// routed to by <see cref="AgentProtocol.IAgentMessage.AgentId"/> (a sharding region could take its place).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Supervision is one-for-one: bad data (argument, format, arithmetic, invalid data) resumes the agent with its
/// baselines; anything else restarts it (fresh baselines); more than 10 failures a minute stop it, and its next
/// message creates a new one.</item>
/// <item>Passivation follows the sharding pattern: an idle agent asks to stop; messages for it that arrive before it has
/// stopped are buffered and delivered to its successor.</item>
/// <item>A barrier goes to every live child; remediation is told whom to wait for and, for any child that stops before
/// answering, that it has stopped.</item>
/// <item>A watermark advance goes to every live child (one message instance for all), so that time-driven detectors run.</item>
/// </list>
/// </remarks>
internal sealed class AgentRouter : ReceiveActor
{
    private readonly AgentActorSettings _settings;
    private readonly ILogger _logger;
    private readonly Dictionary<string, IActorRef> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _names = [];
    private readonly Dictionary<string, List<AgentProtocol.IAgentMessage>> _stopping = new(StringComparer.Ordinal);

    public AgentRouter(AgentActorSettings settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        Receive<AgentProtocol.IAgentMessage>(Route);
        Receive<AgentProtocol.Barrier>(OnBarrier);
        Receive<AgentProtocol.AdvanceWatermark>(OnWatermark);
        Receive<AgentProtocol.Passivate>(_ => OnPassivate());
        Receive<Terminated>(OnTerminated);
        Receive<AgentProtocol.GetAgents>(_ => Sender.Tell(new AgentProtocol.Agents([.. _agents.Keys.Order(StringComparer.Ordinal)])));
    }

    public static Props Props(AgentActorSettings settings, ILogger logger) =>
        Akka.Actor.Props.Create(() => new AgentRouter(settings, logger));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(
            maxNrOfRetries: 10,
            withinTimeRange: TimeSpan.FromMinutes(1),
            decider: Decider.From(e => e switch
            {
                ArgumentException or FormatException or ArithmeticException or InvalidDataException => Directive.Resume,
                _ => Directive.Restart,
            }));

    protected override void PostStop()
    {
        // Children stop with us; their Terminated will not reach us any more.
        SentinelMetrics.ActiveAgents.Dec(_names.Count);
        _names.Clear();
        _agents.Clear();
    }

    private void Route(AgentProtocol.IAgentMessage message)
    {
        if (_stopping.TryGetValue(message.AgentId, out var buffered))
        {
            buffered.Add(message);
            return;
        }

        GetOrCreate(message.AgentId).Tell(message, Sender);
    }

    private IActorRef GetOrCreate(string agent)
    {
        if (_agents.TryGetValue(agent, out var child))
        {
            return child;
        }

        child = Context.ActorOf(AgentActor.Props(agent, _settings), AgentActorNames.For(agent));
        Context.Watch(child);
        _agents.Add(agent, child);
        _names.Add(child, agent);
        SentinelMetrics.ActiveAgents.Inc();
        _settings.Remediation.Tell(new RemediationProtocol.FleetSize(_names.Count));
        return child;
    }

    private void OnBarrier(AgentProtocol.Barrier barrier)
    {
        var live = _names.Keys.ToArray();
        _settings.Remediation.Tell(new RemediationProtocol.ExpectBarrier(barrier.Id, live, barrier.ReplyTo, barrier.Watermark));
        foreach (var child in _agents.Values)
        {
            child.Tell(new AgentProtocol.AgentBarrier(barrier.Id));
        }
    }

    /// <summary>Event time moved on: every live agent gets the same message (agents being passivated miss it; their successors get the next one).</summary>
    private void OnWatermark(AgentProtocol.AdvanceWatermark watermark)
    {
        foreach (var child in _agents.Values)
        {
            child.Tell(watermark);
        }
    }

    private void OnPassivate()
    {
        if (!_names.TryGetValue(Sender, out var agent) || !_agents.TryGetValue(agent, out var current) || !current.Equals(Sender))
        {
            return;
        }

        _agents.Remove(agent);
        _stopping[agent] = [];
        Sender.Tell(PoisonPill.Instance);
    }

    private void OnTerminated(Terminated terminated)
    {
        var child = terminated.ActorRef;
        if (!_names.Remove(child, out var agent))
        {
            return;
        }

        SentinelMetrics.ActiveAgents.Dec();
        _settings.Remediation.Tell(new RemediationProtocol.AgentStopped(child));
        _settings.Remediation.Tell(new RemediationProtocol.FleetSize(_names.Count));
        if (_agents.TryGetValue(agent, out var current) && current.Equals(child))
        {
            _agents.Remove(agent); // stopped by supervision, not passivated
        }

        if (_stopping.Remove(agent, out var buffered))
        {
            Log.AgentPassivated(_logger, buffered.Count);
            if (buffered.Count > 0)
            {
                var successor = GetOrCreate(agent);
                foreach (var message in buffered)
                {
                    successor.Tell(message);
                }
            }
        }
    }
}
