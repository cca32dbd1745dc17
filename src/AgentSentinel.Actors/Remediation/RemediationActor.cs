using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Hosting;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Remediation.Admin;
using AgentSentinel.Remediation.Lifecycle;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Telemetry;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Remediation;

/// <summary>
/// The remediation actor (<c>/user/remediation</c>): hosts the <see cref="RemediationEngine"/> (policies, the incident
/// lifecycle, safety limits, manual operations) and carries out what it decides: flag writes retried until they apply,
/// audit entries, probes and incident modes told to the agents, incident updates told to observers (reports, alerting).
/// </summary>
/// <remarks>
/// <para><b>Restart.</b> On start it loads what earlier runs saved with their flags (every agent's incident and pin, and the
/// kill switch) before it handles anything else (messages are stashed meanwhile), then re-asserts those flags. If the store
/// cannot be read after <see cref="RemediationOptions.RestoreAttempts"/> tries it starts without them (logged).</para>
/// <para><b>Writes.</b> Per agent only the latest decision matters: a failed write (or one that exceeds
/// <see cref="RemediationOptions.WriteTimeout"/>) is retried with exponential backoff until it applies or a newer decision
/// replaces it, so a decision taken while Redis is down lands once Redis is back, exactly once (the store's version fence
/// turns a repeated write into a no-op). <see cref="RemediationProtocol.StoreReconnected"/> re-asserts every decision still in
/// force. Audit-only entries (dry run, suppressed, alert only) wait in an ordered outbox of at most
/// <see cref="RemediationOptions.AuditBacklog"/> entries and are retried the same way (at least once: an entry whose write
/// timed out but landed may appear twice). Flags are renewed every <see cref="RemediationOptions.RenewInterval"/> (wall clock) before they expire. Without a
/// store decisions are made and reported, never written; in dry run they are audited, never written.</para>
/// </remarks>
internal sealed class RemediationActor : ReceiveActor, IWithTimers, IWithStash
{
    private const string RenewKey = "renew";
    private const string KillSwitchRetryKey = "kill-switch-retry";
    private const string AuditRetryKey = "audit-retry";
    private readonly RemediationOptions _options;
    private readonly IFlagStore? _store;
    private readonly ObserverFanout _observers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RemediationEngine _engine;
    private readonly List<RemediationEffect> _effects = [];
    private readonly Dictionary<string, WriteState> _writes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FlagRoute> _reportedRoutes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, BarrierState> _barriers = [];
    private readonly Queue<AuditOnly> _audits = new();
    private readonly bool _ordered;
    private readonly List<object> _held = [];
    private readonly List<AdminReply> _pendingReplies = [];
    private long _adminReplies;
    private long _heldWatermark = long.MinValue;
    private IActorRef _router = ActorRefs.Nobody;
    private KillSwitchState? _killSwitchPending;
    private int _killSwitchAttempts;
    private int _auditAttempts;
    private bool _auditInFlight;
    private int _inFlight;
    private int _restoreAttempts;
    private int _reportedAway;
    private int _reportedProbing;

    public RemediationActor(RemediationOptions options, PolicySet policies, IFlagStore? store, ObserverFanout observers, TimeProvider time, ILogger logger, bool ordered = false)
    {
        _options = options;
        _ordered = ordered;
        _store = store;
        _observers = observers;
        _time = time;
        _logger = logger;
        _engine = new RemediationEngine(policies, options.DryRun, time);
        if (store is null)
        {
            Ready();
        }
        else
        {
            Restoring();
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    /// <param name="ordered">
    /// Hold what the agents report (anomalies, probe verdicts) and event-time advances until the next barrier, then decide
    /// them sorted by event time, agent and kind: a replay that drains per record then makes the same decisions whatever
    /// the thread timing, including those that depend on other agents (blast radius). Live sources leave it off.
    /// </param>
    public static Props Props(RemediationOptions options, PolicySet policies, IFlagStore? store, ObserverFanout observers, TimeProvider time, ILogger logger, bool ordered = false) =>
        Akka.Actor.Props.Create(() => new RemediationActor(options, policies, store, observers, time, logger, ordered));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(RenewKey, Renew.Instance, _options.RenewInterval);
        if (_store is not null)
        {
            Load();
        }
    }

    protected override void PostStop()
    {
        SentinelMetrics.AgentsInFallback.Dec(_reportedAway);
        SentinelMetrics.AgentsInProbe.Dec(_reportedProbing);
        SentinelMetrics.AuditBacklog.Dec(_audits.Count);
        _reportedAway = _reportedProbing = 0;
    }

    // ---- restoring ----------------------------------------------------------------------------------------------------

    private void Restoring()
    {
        Receive<Restored>(m =>
        {
            var unreadable = _engine.Restore(m.Stored, _effects);
            Log.RemediationRestored(_logger, m.Stored.States.Count - unreadable, _engine.KillSwitch, unreadable);
            Run();
            BecomeReady();
        });
        Receive<RestoreFailed>(m =>
        {
            _restoreAttempts++;
            if (_restoreAttempts >= _options.RestoreAttempts)
            {
                Log.RestoreAbandoned(_logger, _restoreAttempts);
                BecomeReady();
                return;
            }

            Log.RestoreFailed(_logger, _restoreAttempts, m.Cause);
            Timers.StartSingleTimer("restore", RetryRestore.Instance, BackoffDelay(_restoreAttempts));
        });
        Receive<RetryRestore>(_ => Load());
        Receive<Renew>(_ => { });
        Receive<RemediationProtocol.AgentsAttached>(m => _router = m.Router); // needed by the restored effects
        Receive<RemediationProtocol.FleetSize>(m => _engine.SetFleetSize(m.Agents));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Load()
    {
        _store!.LoadRemediationAsync(CancellationToken.None).WaitAsync(_options.WriteTimeout, _time).PipeTo(
            Self,
            Self,
            success: stored => new Restored(stored),
            failure: e => new RestoreFailed(e));
    }

    private void BecomeReady()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    // ---- ready ------------------------------------------------------------------------------------------------------------

    private void Ready()
    {
        Receive<RemediationProtocol.AnomalyDetected>(m => HoldOrDecide(m));
        Receive<RemediationProtocol.ProbeVerdict>(m => HoldOrDecide(m));
        Receive<RemediationProtocol.WatermarkAdvanced>(m =>
        {
            if (_ordered)
            {
                _heldWatermark = Math.Max(_heldWatermark, m.WatermarkUnixNano);
            }
            else
            {
                Advance(m.WatermarkUnixNano);
            }
        });
        Receive<RemediationProtocol.ReferenceCaptured>(m => _engine.OnReferenceCaptured(m.Agent, m.Snapshot));
        Receive<RemediationProtocol.AgentsAttached>(m => _router = m.Router);
        Receive<RemediationProtocol.FleetSize>(m => _engine.SetFleetSize(m.Agents));
        Receive<RemediationProtocol.PoliciesChanged>(m =>
        {
            _engine.UpdatePolicies(m.Policies);
            Log.PoliciesApplied(_logger, m.Policies.Policies.Count, m.Policies.Source, m.Policies.Fingerprint);
        });
        Receive<RemediationProtocol.AdminCommand>(OnAdminCommand);
        Receive<RemediationProtocol.GetOverview>(_ => Sender.Tell(_engine.Overview()));
        Receive<Renew>(_ =>
        {
            _engine.Renew(_effects);
            Run();
        });
        Receive<RemediationProtocol.StoreReconnected>(_ => OnStoreReconnected());
        Receive<RemediationProtocol.ExpectBarrier>(OnExpectBarrier);
        Receive<RemediationProtocol.AgentBarrierPassed>(OnAgentBarrierPassed);
        Receive<RemediationProtocol.AgentStopped>(OnAgentStopped);
        Receive<RemediationProtocol.GetFlags>(_ => Sender.Tell(SnapshotFlags()));
        Receive<WriteCompleted>(OnWriteCompleted);
        Receive<WriteFailed>(OnWriteFailed);
        Receive<RetryWrite>(m => OnRetry(m.Agent));
        Receive<KillSwitchWritten>(m =>
        {
            if (ReferenceEquals(m.State, _killSwitchPending))
            {
                _killSwitchPending = null;
                _killSwitchAttempts = 0;
            }

            SettleAdminReplies();
        });
        Receive<KillSwitchFailed>(m => OnKillSwitchFailed(m));
        Receive<RetryKillSwitch>(_ => WriteKillSwitch());
        Receive<AuditWritten>(OnAuditWritten);
        Receive<AuditFailed>(OnAuditFailed);
        Receive<RetryAudit>(_ => WriteNextAudit());
        Receive<AdminReplyDue>(m => SettleAdminReplies(m.Id));
    }

    private void HoldOrDecide(object report)
    {
        if (_ordered)
        {
            _held.Add(report);
        }
        else
        {
            Decide(report);
        }
    }

    private void Decide(object report)
    {
        switch (report)
        {
            case RemediationProtocol.AnomalyDetected m when _options.Enabled:
                _engine.OnAnomaly(m.Anomaly, m.Resource, _effects);
                break;
            case RemediationProtocol.ProbeVerdict m:
                _engine.OnProbeVerdict(m.Agent, m.Sequence, m.Recovered, m.Summary, m.AtUnixNano, _effects);
                break;
        }

        Run();
    }

    /// <summary>
    /// Ordered mode, at a barrier: what the agents reported since the last one, then event time. Each agent's reports keep
    /// the order it sent them in (it is deterministic); across agents the earliest event time goes first, then the agent
    /// name (a merge of the per-agent sequences, which thread timing interleaved).
    /// </summary>
    private void DecideHeld(long barrierWatermark)
    {
        if (_held.Count > 0)
        {
            var perAgent = _held.GroupBy(AgentOf, StringComparer.Ordinal).Select(g => new Queue<object>(g)).ToList();
            while (perAgent.Count > 0)
            {
                var next = 0;
                for (var i = 1; i < perAgent.Count; i++)
                {
                    var (at, agent) = (AtOf(perAgent[i].Peek()), AgentOf(perAgent[i].Peek()));
                    var (bestAt, bestAgent) = (AtOf(perAgent[next].Peek()), AgentOf(perAgent[next].Peek()));
                    if (at < bestAt || (at == bestAt && string.CompareOrdinal(agent, bestAgent) < 0))
                    {
                        next = i;
                    }
                }

                Decide(perAgent[next].Dequeue());
                if (perAgent[next].Count == 0)
                {
                    perAgent.RemoveAt(next);
                }
            }

            _held.Clear();
        }

        Advance(Math.Max(_heldWatermark, barrierWatermark));

        static string AgentOf(object report) => report switch
        {
            RemediationProtocol.ProbeVerdict v => v.Agent,
            RemediationProtocol.AnomalyDetected a => a.Anomaly.Agent,
            _ => string.Empty,
        };

        static long AtOf(object report) => report switch
        {
            RemediationProtocol.ProbeVerdict v => v.AtUnixNano,
            RemediationProtocol.AnomalyDetected a => a.Anomaly.DetectedAtUnixNano,
            _ => long.MinValue,
        };
    }

    private void Advance(long watermark)
    {
        _engine.Advance(watermark, _effects);
        Run();
    }

    // ---- effects ------------------------------------------------------------------------------------------------------

    private void Run()
    {
        foreach (var effect in _effects)
        {
            switch (effect)
            {
                case WriteFlag write:
                    Desire(write.Decision);
                    break;
                case AuditOnly audit:
                    Audit(audit);
                    break;
                case StartProbe probe:
                    _router.Tell(new AgentProtocol.StartProbe(probe.Agent, probe.Probe));
                    break;
                case SetAgentMode mode:
                    _router.Tell(new AgentProtocol.SetRemediationMode(mode.Agent, mode.Fallback, mode.Reference));
                    break;
                case NotifyIncident notify:
                    Report(notify.Update);
                    break;
                case WriteKillSwitch kill:
                    _killSwitchPending = kill.State;
                    _killSwitchAttempts = 0;
                    Timers.Cancel(KillSwitchRetryKey);
                    WriteKillSwitch();
                    break;
            }
        }

        _effects.Clear();
        var away = _engine.AgentsAway;
        var probing = _engine.AgentsProbing;
        SentinelMetrics.AgentsInFallback.Inc(away - _reportedAway);
        SentinelMetrics.AgentsInProbe.Inc(probing - _reportedProbing);
        _reportedAway = away;
        _reportedProbing = probing;
    }

    private void Report(IncidentUpdate update)
    {
        Log.IncidentStep(_logger, update.Incident, update.Kind, update.Change, update.Cause, update.Phase, update.DryRun);
        _observers.OnIncident(update);

        // The route-change view (reports, the console): one action per change of the agent's route.
        var route = update.Phase switch
        {
            RemediationEngine.Phases.Fallback => FlagRoute.Fallback,
            RemediationEngine.Phases.Probe => FlagRoute.Probe,
            RemediationEngine.Phases.Pinned => _reportedRoutes.GetValueOrDefault(update.Agent),
            _ => FlagRoute.Primary,
        };
        var previous = _reportedRoutes.GetValueOrDefault(update.Agent);
        if (route == previous)
        {
            return;
        }

        if (route == FlagRoute.Primary)
        {
            _reportedRoutes.Remove(update.Agent);
        }
        else
        {
            _reportedRoutes[update.Agent] = route;
        }

        var reason = route == FlagRoute.Primary ? update.Cause : update.Kind;
        _observers.OnRemediation(new RemediationAction(update.Agent, route, update.Fallback ?? string.Empty, update.AtUnixNano, update.Incident, reason));
    }

    // ---- audit-only entries (dry run, suppressed, alert only): an ordered, bounded outbox ---------------------------

    private void Audit(AuditOnly audit)
    {
        if (_store is null)
        {
            return;
        }

        if (_audits.Count >= _options.AuditBacklog)
        {
            // A long store outage: keep the oldest entries (how the incident started), count what does not fit.
            SentinelMetrics.AuditEntriesDropped.WithLabels("backlog_full").Inc();
            Log.AuditDropped(_logger, audit.Outcome.ToString(), audit.Decision.Incident, "backlog_full");
            return;
        }

        _audits.Enqueue(audit);
        SentinelMetrics.AuditBacklog.Inc();
        WriteNextAudit();
    }

    /// <summary>Writes the oldest pending audit entry, one at a time so the stream keeps their order.</summary>
    private void WriteNextAudit()
    {
        if (_store is null || _auditInFlight || !_audits.TryPeek(out var audit))
        {
            return;
        }

        _auditInFlight = true;
        _inFlight++;
        _store.AppendAuditAsync(audit.Decision, audit.Outcome, CancellationToken.None).WaitAsync(_options.WriteTimeout, _time).PipeTo(
            Self,
            Self,
            success: () => new AuditWritten(audit),
            failure: e => new AuditFailed(audit, e));
    }

    private void OnAuditWritten(AuditWritten message)
    {
        _auditInFlight = false;
        _inFlight--;
        if (_audits.TryPeek(out var head) && ReferenceEquals(head, message.Audit))
        {
            _audits.Dequeue();
            SentinelMetrics.AuditBacklog.Dec();
            if (_auditAttempts > 0)
            {
                Log.AuditRecovered(_logger, _auditAttempts, _audits.Count);
                _auditAttempts = 0;
            }
        }

        WriteNextAudit();
        CheckBarriers();
    }

    private void OnAuditFailed(AuditFailed message)
    {
        _auditInFlight = false;
        _inFlight--;
        var audit = message.Audit;
        if (message.Cause.GetBaseException() is ArgumentException invalid)
        {
            // The store refused the entry itself: retrying cannot help; the rest of the queue goes on.
            _audits.Dequeue();
            SentinelMetrics.AuditBacklog.Dec();
            SentinelMetrics.AuditEntriesDropped.WithLabels("invalid").Inc();
            Log.AuditRejected(_logger, audit.Outcome.ToString(), audit.Decision.Incident, invalid);
            WriteNextAudit();
        }
        else
        {
            _auditAttempts++;
            var delay = BackoffDelay(_auditAttempts);
            Log.AuditFailed(_logger, audit.Outcome.ToString(), audit.Decision.Incident, _auditAttempts, delay, _audits.Count, message.Cause);
            Timers.StartSingleTimer(AuditRetryKey, RetryAudit.Instance, delay);
        }

        CheckBarriers();
    }

    private void WriteKillSwitch()
    {
        if (_store is null || _killSwitchPending is not { } state)
        {
            return;
        }

        _store.WriteKillSwitchAsync(state, CancellationToken.None).WaitAsync(_options.WriteTimeout, _time).PipeTo(
            Self,
            Self,
            success: () => new KillSwitchWritten(state),
            failure: e => new KillSwitchFailed(state, e));
    }

    private void OnKillSwitchFailed(KillSwitchFailed message)
    {
        if (!ReferenceEquals(message.State, _killSwitchPending))
        {
            return;
        }

        _killSwitchAttempts++;
        var delay = BackoffDelay(_killSwitchAttempts);
        Log.KillSwitchWriteFailed(_logger, _killSwitchAttempts, delay, message.Cause);
        Timers.StartSingleTimer(KillSwitchRetryKey, RetryKillSwitch.Instance, delay);
        SettleAdminReplies(killSwitchFailed: true);
    }

    // ---- flag writes (wall-clock time) ---------------------------------------------------------------------------

    private void Desire(FlagDecision decision)
    {
        if (_store is null)
        {
            return;
        }

        if (!_writes.TryGetValue(decision.Agent, out var state))
        {
            _writes[decision.Agent] = state = new WriteState(decision.Agent);
        }

        state.Desired = decision;
        state.Applied = false;
        state.FailedAttempts = 0;
        Timers.Cancel(state.RetryKey);
        StartWrite(state);
    }

    private void StartWrite(WriteState state)
    {
        if (_store is null || state.InFlight || state.Desired is not { } decision)
        {
            return;
        }

        if (decision.ExpiresAtUnixMs <= _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            if (!state.Applied)
            {
                Log.FlagWriteAbandoned(_logger, decision.Incident, state.FailedAttempts);
            }

            _writes.Remove(state.Agent);
            return;
        }

        state.InFlight = true;
        _inFlight++;
        var agent = state.Agent;
        var version = decision.Version;
        WriteAsync(_store, decision, _options.WriteTimeout, _time).PipeTo(
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
        if (_writes.TryGetValue(message.Agent, out var state))
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
                _engine.MarkApplied(message.Agent, applied: true);
                if (desired.Route == FlagRoute.Primary)
                {
                    _writes.Remove(message.Agent); // nothing in force to re-assert
                }
            }
            else
            {
                StartWrite(state); // a newer decision arrived while this one was in flight
            }
        }

        // agentsentinel_flag_writes_total is counted by the store, which knows each write's outcome.
        SettleAdminReplies();
        CheckBarriers();
    }

    private void OnWriteFailed(WriteFailed message)
    {
        _inFlight--;
        if (_writes.TryGetValue(message.Agent, out var state))
        {
            state.InFlight = false;
            if (state.Desired is { } desired && desired.Version == message.Version)
            {
                state.FailedAttempts++;
                var delay = BackoffDelay(state.FailedAttempts);
                Log.FlagWriteFailed(_logger, desired.Incident, state.FailedAttempts, delay, message.Cause);
                Timers.StartSingleTimer(state.RetryKey, new RetryWrite(state.Agent), delay);
                SettleAdminReplies(failedAgent: message.Agent);
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
        if (_writes.TryGetValue(agent, out var state) && !state.Applied)
        {
            StartWrite(state);
        }
    }

    private void OnStoreReconnected()
    {
        if (_store is null)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var count = 0;
        foreach (var state in _writes.Values)
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
        if (_killSwitchPending is not null)
        {
            WriteKillSwitch();
        }

        if (_audits.Count > 0)
        {
            Timers.Cancel(AuditRetryKey);
            WriteNextAudit(); // if one is in flight, its completion goes on with the rest
        }
    }

    private TimeSpan BackoffDelay(int attempt)
    {
        var initial = _options.RetryInitialDelay.Ticks;
        var max = _options.RetryMaxDelay.Ticks;
        var ticks = attempt >= 30 ? max : Math.Min(max, initial * (1L << Math.Min(attempt - 1, 30)));
        return TimeSpan.FromTicks(Math.Max(initial, ticks));
    }

    private RemediationProtocol.Flags SnapshotFlags() =>
        new([.. _writes.Values
            .Where(s => s.Desired is not null)
            .OrderBy(s => s.Agent, StringComparer.Ordinal)
            .Select(s => new RemediationProtocol.FlagStatus(s.Desired!, s.Applied, s.FailedAttempts))]);

    // ---- manual operations: answered once their writes landed -----------------------------------------------------

    /// <summary>
    /// Carries out an operator's command. "Done" means written: the answer waits until the store confirmed every flag (and
    /// kill-switch) write the command made; if one fails, or none is confirmed within <see cref="RemediationOptions.WriteTimeout"/>,
    /// it answers <see cref="AdminStatus.Pending"/> at once (the writes are retried until they apply, as for automated
    /// decisions).
    /// </summary>
    private void OnAdminCommand(RemediationProtocol.AdminCommand command)
    {
        var result = command.Operation(_engine, _effects);
        List<(string Agent, long Version)>? writes = null;
        KillSwitchState? killSwitch = null;
        if (result.Status == AdminStatus.Done && _store is not null)
        {
            foreach (var effect in _effects)
            {
                switch (effect)
                {
                    case WriteFlag write:
                        (writes ??= []).Add((write.Decision.Agent, write.Decision.Version));
                        break;
                    case WriteKillSwitch kill:
                        killSwitch = kill.State;
                        break;
                }
            }
        }

        Run();
        if (writes is null && killSwitch is null)
        {
            Sender.Tell(result);
            return;
        }

        var reply = new AdminReply(++_adminReplies, Sender, result, writes ?? [], killSwitch);
        _pendingReplies.Add(reply);
        Timers.StartSingleTimer(reply.TimerKey, new AdminReplyDue(reply.Id), _options.WriteTimeout);
        SettleAdminReplies();
    }

    /// <summary>Answers the commands whose writes all landed (or were replaced by newer decisions); <paramref name="due"/> or a failed write answers pending.</summary>
    private void SettleAdminReplies(long due = 0, string? failedAgent = null, bool killSwitchFailed = false)
    {
        for (var i = _pendingReplies.Count - 1; i >= 0; i--)
        {
            var reply = _pendingReplies[i];
            AdminResult answer;
            if (reply.Writes.TrueForAll(Landed) && (reply.KillSwitch is null || !ReferenceEquals(reply.KillSwitch, _killSwitchPending)))
            {
                answer = reply.Result;
            }
            else if (reply.Id == due || (killSwitchFailed && reply.KillSwitch is not null) || (failedAgent is not null && reply.Writes.Exists(w => w.Agent == failedAgent)))
            {
                answer = new AdminResult(AdminStatus.Pending, reply.Result.Message + "; the store has not confirmed the flag write yet: it is retried until it lands");
            }
            else
            {
                continue;
            }

            _pendingReplies.RemoveAt(i);
            Timers.Cancel(reply.TimerKey);
            reply.ReplyTo.Tell(answer);
        }

        bool Landed((string Agent, long Version) write) =>
            !_writes.TryGetValue(write.Agent, out var state) || state.Applied || state.Desired is not { } desired || desired.Version != write.Version;
    }

    // ---- barriers ------------------------------------------------------------------------------------------------------

    private void OnExpectBarrier(RemediationProtocol.ExpectBarrier message)
    {
        if (!_ordered)
        {
            Advance(message.Watermark);
        }

        var barrier = GetBarrier(message.Id);
        barrier.ReplyTo = message.ReplyTo;
        barrier.Watermark = message.Watermark;
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
        if (_barriers.Count == 0)
        {
            return;
        }

        if (_ordered)
        {
            // Every agent has passed: all they reported before it is here. Decide it (once) before waiting for the writes.
            foreach (var barrier in _barriers.Values)
            {
                if (barrier is { Waiting.Count: 0, ReplyTo: not null, Decided: false })
                {
                    barrier.Decided = true;
                    DecideHeld(barrier.Watermark);
                }
            }
        }

        if (_inFlight > 0)
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

    // ---- state and private messages ---------------------------------------------------------------------------------

    private sealed class WriteState(string agent)
    {
        public string Agent { get; } = agent;
        public string RetryKey { get; } = "retry:" + agent;
        public FlagDecision? Desired { get; set; }
        public bool Applied { get; set; }
        public bool InFlight { get; set; }
        public int FailedAttempts { get; set; }
    }

    private sealed class BarrierState
    {
        public IActorRef? ReplyTo { get; set; }
        public long Watermark { get; set; } = long.MinValue;
        public bool Decided { get; set; }
        public HashSet<IActorRef>? Waiting { get; set; }
        public HashSet<IActorRef> Passed { get; } = [];
    }

    private sealed record AdminReply(long Id, IActorRef ReplyTo, AdminResult Result, List<(string Agent, long Version)> Writes, KillSwitchState? KillSwitch)
    {
        public string TimerKey => "admin-reply:" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record AdminReplyDue(long Id);

    private sealed record WriteCompleted(string Agent, long Version, FlagWriteOutcome Outcome);

    private sealed record WriteFailed(string Agent, long Version, Exception Cause);

    private sealed record RetryWrite(string Agent);

    private sealed record Restored(StoredRemediation Stored);

    private sealed record RestoreFailed(Exception Cause);

    private sealed record KillSwitchWritten(KillSwitchState State);

    private sealed record KillSwitchFailed(KillSwitchState State, Exception Cause);

    private sealed record AuditWritten(AuditOnly Audit);

    private sealed record AuditFailed(AuditOnly Audit, Exception Cause);

    private sealed class RetryAudit
    {
        public static readonly RetryAudit Instance = new();
    }

    private sealed class RetryRestore
    {
        public static readonly RetryRestore Instance = new();
    }

    private sealed class RetryKillSwitch
    {
        public static readonly RetryKillSwitch Instance = new();
    }

    private sealed class Renew
    {
        public static readonly Renew Instance = new();
    }
}
