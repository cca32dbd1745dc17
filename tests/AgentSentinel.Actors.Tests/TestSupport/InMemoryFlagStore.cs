using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>
/// An <see cref="IFlagStore"/> in memory with the contract's version rule, and switches to fail or hold writes and
/// loads of the saved remediation state (which is the <see cref="FlagDecision.State"/> of the flags it holds).
/// </summary>
internal sealed class InMemoryFlagStore : IFlagStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FlagDecision> _flags = new(StringComparer.Ordinal);
    private readonly List<FlagDecision> _attempts = [];
    private readonly List<long> _attemptTimestamps = [];
    private readonly List<FlagDecision> _applied = [];
    private readonly List<(FlagDecision, FlagAuditOutcome)> _audits = [];
    private KillSwitchState? _killSwitch;
    private int _failNext;
    private int _failAudits;
    private int _auditAttempts;
    private int _failLoads;
    private int _loads;
    private TaskCompletionSource? _hold;
    private TaskCompletionSource? _holdLoads;

    /// <summary>Every write attempted, including failed ones.</summary>
    public IReadOnlyList<FlagDecision> Attempts
    {
        get
        {
            lock (_gate)
            {
                return [.. _attempts];
            }
        }
    }

    /// <summary>When each of <see cref="Attempts"/> was made, measured from the first (monotonic clock).</summary>
    public IReadOnlyList<TimeSpan> AttemptTimes
    {
        get
        {
            lock (_gate)
            {
                return [.. _attemptTimestamps.Select(t => System.Diagnostics.Stopwatch.GetElapsedTime(_attemptTimestamps[0], t))];
            }
        }
    }

    /// <summary>Every write that changed the store.</summary>
    public IReadOnlyList<FlagDecision> Applied
    {
        get
        {
            lock (_gate)
            {
                return [.. _applied];
            }
        }
    }

    public int StaleWrites { get; private set; }

    /// <summary>The kill switch as stored, if it was ever written.</summary>
    public KillSwitchState? KillSwitch
    {
        get
        {
            lock (_gate)
            {
                return _killSwitch;
            }
        }
    }

    /// <summary>Calls of <see cref="LoadRemediationAsync"/> so far (failed ones included).</summary>
    public int Loads
    {
        get
        {
            lock (_gate)
            {
                return _loads;
            }
        }
    }

    /// <summary>The flag the store holds for <paramref name="agent"/>, if any.</summary>
    public FlagDecision? Current(string agent)
    {
        lock (_gate)
        {
            return _flags.GetValueOrDefault(agent);
        }
    }

    /// <summary>The next <paramref name="count"/> loads of the saved remediation state throw.</summary>
    public void FailLoads(int count)
    {
        lock (_gate)
        {
            _failLoads = count;
        }
    }

    /// <summary>Loads of the saved remediation state wait until <see cref="ReleaseLoads"/> (a slow store at start).</summary>
    public void HoldLoads()
    {
        lock (_gate)
        {
            _holdLoads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseLoads()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _holdLoads;
            _holdLoads = null;
        }

        hold?.SetResult();
    }

    /// <summary>The next <paramref name="count"/> writes throw.</summary>
    public void FailNext(int count)
    {
        lock (_gate)
        {
            _failNext = count;
        }
    }

    /// <summary>Writes wait until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Release()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _hold;
            _hold = null;
        }

        hold?.SetResult();
    }

    /// <summary>Forgets every flag (a Redis restart without persistence).</summary>
    public void LoseData()
    {
        lock (_gate)
        {
            _flags.Clear();
        }
    }

    public async Task<FlagWriteOutcome> WriteAsync(FlagDecision decision, CancellationToken cancellationToken)
    {
        Task? hold;
        lock (_gate)
        {
            _attempts.Add(decision);
            _attemptTimestamps.Add(System.Diagnostics.Stopwatch.GetTimestamp());
            if (_failNext > 0)
            {
                _failNext--;
                throw new IOException("store unavailable");
            }

            hold = _hold?.Task;
        }

        if (hold is not null)
        {
            await hold.ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (_flags.TryGetValue(decision.Agent, out var current) && current.Version >= decision.Version)
            {
                StaleWrites++;
                return FlagWriteOutcome.Stale;
            }

            _flags[decision.Agent] = decision;
            _applied.Add(decision);
            return FlagWriteOutcome.Applied;
        }
    }

    /// <summary>Audit-only entries (dry run, suppressed).</summary>
    public IReadOnlyList<(FlagDecision Decision, FlagAuditOutcome Outcome)> Audits
    {
        get
        {
            lock (_gate)
            {
                return [.. _audits];
            }
        }
    }

    /// <summary>Every audit append attempted, including failed ones.</summary>
    public int AuditAttempts
    {
        get
        {
            lock (_gate)
            {
                return _auditAttempts;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> audit appends fail as an unreachable Redis would.</summary>
    public void FailNextAudits(int count)
    {
        lock (_gate)
        {
            _failAudits = count;
        }
    }

    public Task AppendAuditAsync(FlagDecision decision, FlagAuditOutcome outcome, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _auditAttempts++;
            if (_failAudits > 0)
            {
                _failAudits--;
                return Task.FromException(new IOException("store unavailable"));
            }

            _audits.Add((decision, outcome));
        }

        return Task.CompletedTask;
    }

    public async Task<StoredRemediation> LoadRemediationAsync(CancellationToken cancellationToken)
    {
        Task? hold;
        lock (_gate)
        {
            _loads++;
            if (_failLoads > 0)
            {
                _failLoads--;
                throw new IOException("store unavailable");
            }

            hold = _holdLoads?.Task;
        }

        if (hold is not null)
        {
            await hold.ConfigureAwait(false);
        }

        lock (_gate)
        {
            var states = _flags.Values.Where(d => d.State is not null).ToDictionary(d => d.Agent, d => d.State!, StringComparer.Ordinal);
            return new StoredRemediation(states, _killSwitch, _flags.Count == 0 ? 0 : _flags.Values.Max(d => d.Version));
        }
    }

    public Task WriteKillSwitchAsync(KillSwitchState state, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _killSwitch = state;
        }

        return Task.CompletedTask;
    }

    public Task<FlagState?> ReadAsync(string agent, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_flags.TryGetValue(agent, out var d)
                ? new FlagState(d.Agent, d.Route, d.Fallback, d.ProbeRatio, d.Reason, d.Detail, d.TraceIds, d.Incident, d.Version, d.UpdatedAtUnixMs, d.ExpiresAtUnixMs, 1)
                : null);
        }
    }
}

/// <summary>A wall clock that moves only when told to.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
