using AgentSentinel.Actors.Hosting;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Telemetry;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Remediation;

/// <summary>
/// Turns anomalies into fallback decisions (<c>/user/remediation</c>): one incident per agent at a time, one flag write
/// per incident, retried until it applies.
/// </summary>
/// <remarks>
/// <para>
/// <b>Incidents, in event time.</b> The first anomaly of an agent opens an incident (id from <see cref="IncidentIds"/>)
/// that lasts <see cref="RemediationOptions.FlagTtl"/> from the anomaly's event time. Anomalies of that agent stamped
/// before the incident's end belong to it: they write nothing and report nothing (the TTL is not renewed). The incident
/// ends, with a <c>ttl_expired</c> action stamped at its end, when the watermark reaches the end or an anomaly stamped at or
/// after the end arrives (which then opens the next incident). Every decision therefore depends only on the agent's own
/// anomalies, never on how their delivery interleaves with the watermark.
/// </para>
/// <para>
/// <b>Flags, in wall-clock time.</b> Opening an incident writes <c>route=fallback</c> with <c>updated_at</c> = now,
/// <c>expires_at</c> = now + TTL and <c>version</c> = max(last + 1, now ms) from the injected <see cref="TimeProvider"/>.
/// Nothing is written when the incident ends: the flag lapses by its <c>expires_at</c>. A failed write (or one that
/// exceeds <see cref="RemediationOptions.WriteTimeout"/>) is retried with exponential backoff from this actor's own
/// decision state until it applies or its <c>expires_at</c> passes. <see cref="RemediationProtocol.StoreReconnected"/>
/// re-asserts every decision still in force. Without a store, or in dry run, decisions are made and reported, never written.
/// </para>
/// </remarks>
internal sealed class RemediationActor : ReceiveActor, IWithTimers
{
    private const string TtlExpired = "ttl_expired";

    /// <summary>Wall-clock time after an incident ended before its agent's remediation state may be forgotten.</summary>
    internal static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);
    private readonly RemediationOptions _options;
    private readonly IFlagStore? _store;
    private readonly ObserverFanout _observers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _ttlNanos;
    private readonly Dictionary<string, AgentState> _agents = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(AgentState Agent, Incident Incident, bool Prune), long> _schedule = new();
    private readonly Dictionary<long, BarrierState> _barriers = [];
    private long _watermark = long.MinValue;
    private long _lastVersion;
    private int _inFlight;
    private int _openIncidents;

    public RemediationActor(RemediationOptions options, IFlagStore? store, ObserverFanout observers, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _observers = observers;
        _time = time;
        _logger = logger;
        _ttlNanos = options.FlagTtl.Ticks * 100;
        Receive<RemediationProtocol.AnomalyDetected>(m => OnAnomaly(m.Anomaly));
        Receive<RemediationProtocol.WatermarkAdvanced>(m => Advance(m.WatermarkUnixNano));
        Receive<RemediationProtocol.StoreReconnected>(_ => OnStoreReconnected());
        Receive<RemediationProtocol.ExpectBarrier>(OnExpectBarrier);
        Receive<RemediationProtocol.AgentBarrierPassed>(OnAgentBarrierPassed);
        Receive<RemediationProtocol.AgentStopped>(OnAgentStopped);
        Receive<RemediationProtocol.GetFlags>(_ => Sender.Tell(SnapshotFlags()));
        Receive<WriteCompleted>(OnWriteCompleted);
        Receive<WriteFailed>(OnWriteFailed);
        Receive<RetryWrite>(m => OnRetry(m.Agent));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RemediationOptions options, IFlagStore? store, ObserverFanout observers, TimeProvider time, ILogger logger) =>
        Akka.Actor.Props.Create(() => new RemediationActor(options, store, observers, time, logger));

    private bool Writes => _store is not null && !_options.DryRun;

    protected override void PostStop()
    {
        SentinelMetrics.AgentsInFallback.Dec(_openIncidents);
        _openIncidents = 0;
    }

    // ---- incidents (event time) ------------------------------------------------------------------------------

    private void OnAnomaly(Anomaly anomaly)
    {
        if (!_options.Enabled)
        {
            return;
        }

        if (!_agents.TryGetValue(anomaly.Agent, out var state))
        {
            _agents[anomaly.Agent] = state = new AgentState(anomaly.Agent);
        }

        if (state.Incident is { } incident)
        {
            if (anomaly.DetectedAtUnixNano < incident.EndsAt)
            {
                return; // part of the current (or just ended) incident: no second write
            }

            if (!incident.Expired)
            {
                Expire(state, incident);
            }
        }

        Open(state, anomaly);
    }

    private void Open(AgentState state, Anomaly anomaly)
    {
        var id = IncidentIds.For(anomaly.Agent, anomaly.Kind, anomaly.DetectedAtUnixNano);
        var fallback = _options.FallbackFor(anomaly.Kind);
        var incident = new Incident(id, anomaly.Kind, fallback, anomaly.DetectedAtUnixNano, SaturatingAdd(anomaly.DetectedAtUnixNano, _ttlNanos));
        state.Incident = incident;
        _openIncidents++;
        SentinelMetrics.AgentsInFallback.Inc();
        _schedule.Enqueue((state, incident, false), incident.EndsAt);
        Log.IncidentOpened(_logger, id, anomaly.Kind, Writes);
        _observers.OnRemediation(new RemediationAction(state.Agent, FlagRoute.Fallback, fallback, incident.OpenedAt, id, anomaly.Kind));

        if (Writes)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var version = Math.Max(_lastVersion + 1, now);
            _lastVersion = version;
            state.Desired = new FlagDecision
            {
                Agent = state.Agent,
                Route = FlagRoute.Fallback,
                Fallback = fallback,
                Reason = anomaly.Kind,
                Detail = anomaly.Explanation.Summary,
                TraceIds = [.. anomaly.TraceIds.Take(5)],
                Incident = id,
                Version = version,
                UpdatedAtUnixMs = now,
                ExpiresAtUnixMs = now + (long)_options.FlagTtl.TotalMilliseconds,
            };
            state.Applied = false;
            state.FailedAttempts = 0;
            Timers.Cancel(state.RetryKey);
            StartWrite(state);
        }

        if (incident.EndsAt <= _watermark)
        {
            Expire(state, incident);
        }
    }

    private void Expire(AgentState state, Incident incident)
    {
        incident.Expired = true;
        incident.ExpiredAtWallMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _openIncidents--;
        SentinelMetrics.AgentsInFallback.Dec();
        _schedule.Enqueue((state, incident, true), SaturatingAdd(incident.EndsAt, _ttlNanos));
        Log.IncidentExpired(_logger, incident.Id);
        _observers.OnRemediation(new RemediationAction(state.Agent, FlagRoute.Primary, incident.Fallback, incident.EndsAt, incident.Id, TtlExpired));
    }

    private void Advance(long watermark)
    {
        if (watermark <= _watermark)
        {
            return;
        }

        _watermark = watermark;
        while (_schedule.TryPeek(out var entry, out var at) && at <= watermark)
        {
            _schedule.Dequeue();
            var (state, incident, prune) = entry;
            if (!ReferenceEquals(state.Incident, incident))
            {
                continue; // superseded by a newer incident
            }

            if (!prune)
            {
                if (!incident.Expired)
                {
                    Expire(state, incident);
                }
            }
            else if (CanForget(state, incident))
            {
                Timers.Cancel(state.RetryKey);
                _agents.Remove(state.Agent);
            }
            else
            {
                _schedule.Enqueue(entry, SaturatingAdd(watermark, _ttlNanos)); // look again later
            }
        }
    }

    /// <summary>
    /// Whether an agent's ended incident can be forgotten (to bound memory): its flag is no longer in force, no write is in
    /// flight, and it ended at least <see cref="ForgetAfter"/> ago in wall-clock time as well as a TTL ago in event time.
    /// The wall-clock condition keeps a fast replay (where event time runs far ahead of the agents) from forgetting an
    /// incident that a late-delivered anomaly still belongs to: forgetting must never change a decision.
    /// </summary>
    private bool CanForget(AgentState state, Incident incident)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return incident.Expired
            && !state.InFlight
            && (state.Desired is null || state.Desired.ExpiresAtUnixMs <= now)
            && now - incident.ExpiredAtWallMs >= (long)ForgetAfter.TotalMilliseconds;
    }

    // ---- flag writes (wall-clock time) ---------------------------------------------------------------------------

    private void StartWrite(AgentState state)
    {
        if (!Writes || state.InFlight || state.Desired is not { } decision)
        {
            return;
        }

        if (decision.ExpiresAtUnixMs <= _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            if (!state.Applied)
            {
                Log.FlagWriteAbandoned(_logger, decision.Incident, state.FailedAttempts);
            }

            state.Desired = null;
            return;
        }

        state.InFlight = true;
        _inFlight++;
        var agent = state.Agent;
        var version = decision.Version;
        WriteAsync(_store!, decision, _options.WriteTimeout, _time).PipeTo(
            Self,
            Self,
            success: outcome => new WriteCompleted(agent, version, outcome),
            failure: e => new WriteFailed(agent, version, e));
    }

    /// <summary>
    /// One write, bounded by the write timeout (a hung store counts as a failure and is retried). Not cancelled on stop:
    /// a write in flight at shutdown finishes (or times out) on its own and its result goes to dead letters.
    /// </summary>
    private static async Task<FlagWriteOutcome> WriteAsync(IFlagStore store, FlagDecision decision, TimeSpan timeout, TimeProvider time) =>
        await store.WriteAsync(decision, CancellationToken.None).WaitAsync(timeout, time).ConfigureAwait(false);

    private void OnWriteCompleted(WriteCompleted message)
    {
        _inFlight--;
        if (_agents.TryGetValue(message.Agent, out var state))
        {
            state.InFlight = false;
            if (state.Desired is { } desired && desired.Version == message.Version)
            {
                if (state.FailedAttempts > 0)
                {
                    Log.FlagWriteRecovered(_logger, desired.Incident, state.FailedAttempts);
                }

                state.Applied = true;
                state.FailedAttempts = 0;
            }
            else
            {
                StartWrite(state); // a newer decision arrived while this one was in flight
            }
        }

        // agentsentinel_flag_writes_total is counted by the store, which knows each write's outcome.
        CheckBarriers();
    }

    private void OnWriteFailed(WriteFailed message)
    {
        _inFlight--;
        if (_agents.TryGetValue(message.Agent, out var state))
        {
            state.InFlight = false;
            if (state.Desired is { } desired && desired.Version == message.Version)
            {
                state.FailedAttempts++;
                var delay = BackoffDelay(state.FailedAttempts);
                Log.FlagWriteFailed(_logger, desired.Incident, state.FailedAttempts, delay, message.Cause);
                Timers.StartSingleTimer(state.RetryKey, new RetryWrite(state.Agent), delay);
            }
            else
            {
                StartWrite(state);
            }
        }

        CheckBarriers();
    }

    private void OnRetry(string agent)
    {
        if (_agents.TryGetValue(agent, out var state) && !state.Applied)
        {
            StartWrite(state);
        }
    }

    private void OnStoreReconnected()
    {
        if (!Writes)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var count = 0;
        foreach (var state in _agents.Values)
        {
            if (state.Desired is not { } decision || decision.ExpiresAtUnixMs <= now)
            {
                continue;
            }

            count++;
            Timers.Cancel(state.RetryKey);
            state.Applied = false;
            state.FailedAttempts = 0;
            StartWrite(state); // if a write is in flight, its completion decides; a failure is retried
        }

        Log.FlagsReasserted(_logger, count);
    }

    private TimeSpan BackoffDelay(int attempt)
    {
        var initial = _options.RetryInitialDelay.Ticks;
        var max = _options.RetryMaxDelay.Ticks;
        var ticks = attempt >= 30 ? max : Math.Min(max, initial * (1L << Math.Min(attempt - 1, 30)));
        return TimeSpan.FromTicks(Math.Max(initial, ticks));
    }

    private RemediationProtocol.Flags SnapshotFlags() =>
        new([.. _agents.Values
            .Where(s => s.Desired is not null)
            .OrderBy(s => s.Agent, StringComparer.Ordinal)
            .Select(s => new RemediationProtocol.FlagStatus(s.Desired!, s.Applied, s.FailedAttempts))]);

    // ---- barriers ------------------------------------------------------------------------------------------------------

    private void OnExpectBarrier(RemediationProtocol.ExpectBarrier message)
    {
        Advance(message.Watermark);
        var barrier = GetBarrier(message.Id);
        barrier.ReplyTo = message.ReplyTo;
        barrier.Waiting = [.. message.Agents];
        barrier.Waiting.ExceptWith(barrier.Passed);
        barrier.Passed.Clear();
        CheckBarriers();
    }

    private void OnAgentBarrierPassed(RemediationProtocol.AgentBarrierPassed message)
    {
        var barrier = GetBarrier(message.Id);
        if (barrier.Waiting is null)
        {
            barrier.Passed.Add(Sender);
        }
        else
        {
            barrier.Waiting.Remove(Sender);
        }

        CheckBarriers();
    }

    private void OnAgentStopped(RemediationProtocol.AgentStopped message)
    {
        foreach (var barrier in _barriers.Values)
        {
            barrier.Waiting?.Remove(message.Agent);
        }

        CheckBarriers();
    }

    private BarrierState GetBarrier(long id)
    {
        if (!_barriers.TryGetValue(id, out var barrier))
        {
            _barriers[id] = barrier = new BarrierState();
        }

        return barrier;
    }

    private void CheckBarriers()
    {
        if (_barriers.Count == 0 || _inFlight > 0)
        {
            return;
        }

        List<long>? done = null;
        foreach (var (id, barrier) in _barriers)
        {
            if (barrier.Waiting is { Count: 0 } && barrier.ReplyTo is { } replyTo)
            {
                replyTo.Tell(new RemediationProtocol.BarrierPassed(id), Self);
                (done ??= []).Add(id);
            }
        }

        foreach (var id in done ?? [])
        {
            _barriers.Remove(id);
        }
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    // ---- state and private messages ---------------------------------------------------------------------------------

    private sealed class AgentState(string agent)
    {
        public string Agent { get; } = agent;
        public string RetryKey { get; } = "retry:" + agent;
        public Incident? Incident { get; set; }
        public FlagDecision? Desired { get; set; }
        public bool Applied { get; set; }
        public bool InFlight { get; set; }
        public int FailedAttempts { get; set; }
    }

    private sealed class Incident(string id, string kind, string fallback, long openedAt, long endsAt)
    {
        public string Id { get; } = id;
        public string Kind { get; } = kind;
        public string Fallback { get; } = fallback;
        public long OpenedAt { get; } = openedAt;
        public long EndsAt { get; } = endsAt;
        public bool Expired { get; set; }
        public long ExpiredAtWallMs { get; set; }
    }

    private sealed class BarrierState
    {
        public IActorRef? ReplyTo { get; set; }
        public HashSet<IActorRef>? Waiting { get; set; }
        public HashSet<IActorRef> Passed { get; } = [];
    }

    private sealed record WriteCompleted(string Agent, long Version, FlagWriteOutcome Outcome);

    private sealed record WriteFailed(string Agent, long Version, Exception Cause);

    private sealed record RetryWrite(string Agent);
}
