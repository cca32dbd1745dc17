using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentSentinel.Telemetry;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace AgentSentinel.Alerting;

/// <summary>
/// Pushes incident alerts to every configured Alertmanager (API v2, <c>POST /api/v2/alerts</c>).
/// <para>
/// <see cref="Fire"/> and <see cref="Resolve"/> only record the change and wake one background loop: they never block on
/// the network and never throw. The loop sends changed alerts at once (changes made while a send is in flight are
/// coalesced into the next one) and re-sends every firing alert every <see cref="AlertmanagerOptions.ResendInterval"/>
/// with <c>endsAt</c> = now + <see cref="AlertmanagerOptions.FiringLease"/>, so Alertmanager keeps them alive while
/// AgentSentinel runs and resolves them by itself if it dies. A resolve is sent with <c>endsAt</c> = the time the incident
/// ended, and retried per Alertmanager until delivered or <see cref="AlertmanagerOptions.ResolveAttempts"/> is used up.
/// </para>
/// <para>
/// Failures (connection refused, timeouts, 5xx, 408, 429) count <c>agentsentinel_alerts_sent_total{outcome="failed"}</c>
/// and are retried at the next resend tick; other 4xx answers are logged and the rejected alerts are not re-sent until
/// they change. At most <see cref="AlertmanagerOptions.MaxAlerts"/> incidents are tracked; resolved ones are forgotten once
/// delivered.
/// </para>
/// </summary>
public sealed class AlertmanagerNotifier : IAsyncDisposable
{
    private static readonly Counter.Child Delivered = SentinelMetrics.AlertsSent.WithLabels("delivered");
    private static readonly Counter.Child Failed = SentinelMetrics.AlertsSent.WithLabels("failed");

    private readonly AlertmanagerOptions _options;
    private readonly ILogger<AlertmanagerNotifier> _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly Uri[] _endpoints;
    private readonly string[] _logUrls;
    private readonly KeyValuePair<string, string>[] _staticLabels;
    private readonly bool[] _urlFailing;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource? _wake;
    private bool _wakeRequested;
    private long _requested;
    private long _completed;
    private int _firing;
    private bool _capacityWarned;
    private int _disposed;

    /// <summary>Creates the notifier and starts its background loop.</summary>
    /// <param name="options">Validated options (see <see cref="AlertmanagerOptions.Validate"/>).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="time">Clock and timers; the system clock by default.</param>
    /// <param name="handler">HTTP handler (e.g. with a client certificate); a pooled <see cref="SocketsHttpHandler"/> by default.</param>
    public AlertmanagerNotifier(AlertmanagerOptions options, ILogger<AlertmanagerNotifier> logger, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Alertmanager options: " + string.Join("; ", problems), nameof(options));
        }

        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _endpoints = [.. options.Urls.Select(u => new Uri(u.TrimEnd('/') + "/api/v2/alerts", UriKind.Absolute))];
        _logUrls = [.. options.Urls.Select(u => new Uri(u, UriKind.Absolute).GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped))];
        _urlFailing = new bool[_endpoints.Length];
        _staticLabels = [.. options.StaticLabels.OrderBy(kv => kv.Key, StringComparer.Ordinal)];

        _http = new HttpClient(
            handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = options.RequestTimeout },
            disposeHandler: handler is null)
        {
            Timeout = options.RequestTimeout,
        };
        if (options.BearerToken is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (_endpoints.Length > 0)
        {
            Log.NotifierStarted(_logger, _endpoints.Length, options.ResendInterval);
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>Incidents currently firing (not resolved).</summary>
    public int Firing
    {
        get
        {
            lock (_gate)
            {
                return _firing;
            }
        }
    }

    /// <summary>
    /// An incident opened or changed (state, remediation, acknowledgement…): send it now, then keep re-sending it every
    /// <see cref="AlertmanagerOptions.ResendInterval"/> until <see cref="Resolve"/>. Firing the same content again changes
    /// nothing. Never blocks on the network, never throws for a bad alert.
    /// </summary>
    public void Fire(IncidentAlert alert)
    {
        if (alert is null || string.IsNullOrEmpty(alert.Incident) || _endpoints.Length == 0 || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var payload = Payload.From(alert);
        lock (_gate)
        {
            if (!_entries.TryGetValue(alert.Incident, out var entry))
            {
                if (_entries.Count >= _options.MaxAlerts)
                {
                    if (!_capacityWarned)
                    {
                        _capacityWarned = true;
                        Log.CapacityReached(_logger, _options.MaxAlerts);
                    }

                    return;
                }

                entry = new Entry(alert.Incident, _endpoints.Length);
                _entries.Add(alert.Incident, entry);
            }
            else if (entry.Firing && !entry.Rejected && entry.Payload == payload)
            {
                return;
            }

            if (!entry.Firing)
            {
                entry.Firing = true;
                _firing++;
            }

            entry.Payload = payload;
            entry.EndsAt = null;
            entry.Rejected = false;
            entry.Dirty = true;
            entry.Version++;
            _requested++;
            SentinelMetrics.AlertsFiring.Set(_firing);
        }

        Signal();
    }

    /// <summary>
    /// The incident ended at <paramref name="endedAt"/>: send the alert once more with that <c>endsAt</c> (clamped to
    /// [startsAt, now]) and retry each Alertmanager until it accepts or the attempts are used up. Unknown incidents are ignored.
    /// </summary>
    public void Resolve(string incident, DateTimeOffset endedAt)
    {
        if (string.IsNullOrEmpty(incident) || _endpoints.Length == 0 || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_entries.TryGetValue(incident, out var entry) || !entry.Firing)
            {
                Log.ResolveUnknown(_logger, incident);
                return;
            }

            var endsAt = endedAt > now ? now : endedAt;
            entry.EndsAt = endsAt < entry.Payload!.StartsAt ? entry.Payload.StartsAt : endsAt;
            entry.Firing = false;
            _firing--;
            entry.Rejected = false;
            entry.Attempts = 0;
            Array.Fill(entry.Pending, true);
            entry.Dirty = true;
            entry.Version++;
            _requested++;
            SentinelMetrics.AlertsFiring.Set(_firing);
        }

        Signal();
    }

    /// <summary>
    /// Completes once every <see cref="Fire"/> and <see cref="Resolve"/> made before the call has been attempted against
    /// every Alertmanager (delivered or failed). For tests and shutdown.
    /// </summary>
    public Task FlushAsync(CancellationToken ct)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_completed >= _requested || _loop.IsCompleted)
            {
                return Task.CompletedTask;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_requested, done));
        }

        Signal();
        return done.Task.WaitAsync(ct);
    }

    /// <summary>Sends what changed since the last send (bounded by the request timeout), then stops the loop. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Signal();
        await _loop.ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var (_, done) in _flushWaiters)
            {
                done.TrySetResult();
            }

            _flushWaiters.Clear();
        }

        if (_endpoints.Length > 0)
        {
            Log.NotifierStopped(_logger, Firing);
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private void Signal()
    {
        lock (_gate)
        {
            if (_wake is { } wake)
            {
                wake.TrySetResult();
            }
            else
            {
                _wakeRequested = true;
            }
        }
    }

    private async Task RunAsync()
    {
        var nextTick = _time.GetUtcNow() + _options.ResendInterval;
        while (true)
        {
            var stopping = _stop.IsCancellationRequested;
            try
            {
                var now = _time.GetUtcNow();
                var tick = !stopping && now >= nextTick;
                if (tick)
                {
                    nextTick = now + _options.ResendInterval;
                }

                var work = Snapshot(tick, out var generation);
                if (work.Count > 0)
                {
                    await SendAsync(work, now).ConfigureAwait(false);
                }

                CompleteFlushes(generation);
            }
#pragma warning disable CA1031 // The loop must outlive any bug in one cycle: log it and go on at the next tick.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.LoopFailed(_logger, ex);
            }

            if (stopping)
            {
                return;
            }

            await WaitAsync(nextTick - _time.GetUtcNow()).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(TimeSpan delay)
    {
        Task wake;
        lock (_gate)
        {
            if (_wakeRequested || _stop.IsCancellationRequested)
            {
                _wakeRequested = false;
                return;
            }

            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wake = _wake.Task;
        }

        if (delay > TimeSpan.Zero)
        {
            using var cancelDelay = new CancellationTokenSource();
            var timer = Task.Delay(delay, _time, cancelDelay.Token);
            await Task.WhenAny(wake, timer).ConfigureAwait(false);
            await cancelDelay.CancelAsync().ConfigureAwait(false);
        }

        lock (_gate)
        {
            _wake = null;
            _wakeRequested = false;
        }
    }

    private void CompleteFlushes(long generation)
    {
        lock (_gate)
        {
            _completed = Math.Max(_completed, generation);
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target <= _completed)
                {
                    _flushWaiters[i].Done.TrySetResult();
                    _flushWaiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>What to send this cycle: on a tick every firing alert and every pending resolve, else only what changed.</summary>
    private List<Item> Snapshot(bool tick, out long generation)
    {
        var work = new List<Item>();
        lock (_gate)
        {
            generation = _requested;
            foreach (var entry in _entries.Values)
            {
                if (!(entry.Dirty || (tick && !entry.Rejected)))
                {
                    continue;
                }

                entry.Dirty = false;
                if (!entry.Firing)
                {
                    entry.Attempts++;
                }

                work.Add(new Item(entry, entry.Payload!, entry.EndsAt, entry.Version, (bool[])entry.Pending.Clone()));
            }
        }

        return work;
    }

    private async Task SendAsync(List<Item> work, DateTimeOffset now)
    {
        var lease = now + _options.FiringLease;
        var results = new Outcome[_endpoints.Length][];
        var sends = new Task[_endpoints.Length];
        for (var u = 0; u < _endpoints.Length; u++)
        {
            results[u] = new Outcome[work.Count];
            sends[u] = SendToAsync(u, work, lease, results[u]);
        }

        await Task.WhenAll(sends).ConfigureAwait(false);

        lock (_gate)
        {
            for (var i = 0; i < work.Count; i++)
            {
                var item = work[i];
                var entry = item.Entry;
                if (entry.Version != item.Version || !_entries.TryGetValue(entry.Incident, out var current) || !ReferenceEquals(current, entry))
                {
                    continue; // changed while in flight: the newer version is (or will be) sent on its own
                }

                for (var u = 0; u < _endpoints.Length; u++)
                {
                    var outcome = results[u][i];
                    if (item.EndsAt is null)
                    {
                        entry.Rejected |= outcome == Outcome.Rejected;
                    }
                    else if (outcome is Outcome.Delivered or Outcome.Rejected)
                    {
                        entry.Pending[u] = false;
                    }
                }

                if (item.EndsAt is not null)
                {
                    var pending = entry.Pending.Count(p => p);
                    if (pending == 0 || entry.Attempts >= _options.ResolveAttempts)
                    {
                        if (pending > 0)
                        {
                            Log.ResolveGivenUp(_logger, entry.Incident, pending, entry.Attempts);
                        }

                        _entries.Remove(entry.Incident);
                        if (_entries.Count < _options.MaxAlerts)
                        {
                            _capacityWarned = false;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Posts the items one Alertmanager should get, in batches; fills <paramref name="outcomes"/> per item.</summary>
    private async Task SendToAsync(int u, List<Item> work, DateTimeOffset lease, Outcome[] outcomes)
    {
        var batch = new List<int>(Math.Min(work.Count, _options.MaxAlertsPerRequest));
        for (var i = 0; i <= work.Count; i++)
        {
            if (i < work.Count)
            {
                var item = work[i];
                if (item.EndsAt is not null && !item.Pending[u])
                {
                    outcomes[i] = Outcome.NotSent;
                    continue;
                }

                batch.Add(i);
                if (batch.Count < _options.MaxAlertsPerRequest)
                {
                    continue;
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            var outcome = await PostAsync(u, Serialize(work, batch, lease), batch.Count).ConfigureAwait(false);
            foreach (var b in batch)
            {
                outcomes[b] = outcome;
            }

            batch.Clear();
        }
    }

    private async Task<Outcome> PostAsync(int u, byte[] body, int count)
    {
        string reason;
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync(_endpoints[u], content).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                Delivered.Inc();
                if (_urlFailing[u])
                {
                    _urlFailing[u] = false;
                    Log.AlertmanagerRecovered(_logger, _logUrls[u]);
                }

                return Outcome.Delivered;
            }

            Failed.Inc();
            if (status is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                var text = await ReadSnippetAsync(response).ConfigureAwait(false);
                Log.AlertsRejected(_logger, _logUrls[u], status, count, text);
                return Outcome.Rejected;
            }

            reason = "HTTP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            Failed.Inc();
            reason = ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString();
        }
        catch (OperationCanceledException)
        {
            Failed.Inc();
            reason = "timed out after " + _options.RequestTimeout;
        }

        Log.PostFailed(_logger, _logUrls[u], count, reason);
        if (!_urlFailing[u])
        {
            _urlFailing[u] = true;
            Log.AlertmanagerUnreachable(_logger, _logUrls[u], reason, _options.ResendInterval);
        }

        return Outcome.Retry;
    }

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return AlertLabels.Annotation(text.Length > 300 ? text[..300] : text);
        }
        catch (HttpRequestException)
        {
            return string.Empty;
        }
    }

    /// <summary>A JSON array of postableAlert objects.</summary>
    private byte[] Serialize(List<Item> work, List<int> batch, DateTimeOffset lease)
    {
        var buffer = new ArrayBufferWriter<byte>(512 * batch.Count);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var i in batch)
            {
                var item = work[i];
                var p = item.Payload;
                w.WriteStartObject();
                w.WriteStartObject("labels");
                w.WriteString("alertname", _options.AlertName);
                w.WriteString("agent", p.Agent);
                w.WriteString("kind", p.Kind);
                w.WriteString("severity", p.Severity);
                foreach (var (name, value) in _staticLabels)
                {
                    w.WriteString(name, value);
                }

                w.WriteEndObject();
                w.WriteStartObject("annotations");
                w.WriteString("summary", p.SummaryLine);
                w.WriteString("description", p.Description);
                w.WriteString("remediation", p.Remediation);
                w.WriteString("state", p.State);
                w.WriteString("trace_ids", p.TraceIds);
                w.WriteString("incident", p.Incident);
                if (p.Policy.Length > 0)
                {
                    w.WriteString("policy", p.Policy);
                }

                w.WriteString("acknowledged", p.Acknowledged ? "true" : "false");
                w.WriteEndObject();
                w.WriteString("startsAt", p.StartsAt.UtcDateTime);
                w.WriteString("endsAt", (item.EndsAt ?? lease).UtcDateTime);
                if (_options.GeneratorUrl is { } generator)
                {
                    w.WriteString("generatorURL", generator);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private enum Outcome : byte
    {
        NotSent,
        Delivered,
        Retry,
        Rejected,
    }

    /// <summary>One incident as tracked between sends.</summary>
    private sealed class Entry(string incident, int urls)
    {
        public string Incident { get; } = incident;

        public Payload? Payload { get; set; }

        public bool Firing { get; set; }

        /// <summary>Set once resolved: the endsAt to send.</summary>
        public DateTimeOffset? EndsAt { get; set; }

        /// <summary>Changed since the last send: goes out in the next cycle, tick or not.</summary>
        public bool Dirty { get; set; }

        /// <summary>An Alertmanager answered 4xx: not re-sent on ticks until the alert changes.</summary>
        public bool Rejected { get; set; }

        /// <summary>Resolving: the Alertmanagers that have not accepted the resolve yet.</summary>
        public bool[] Pending { get; } = new bool[urls];

        /// <summary>Resolving: cycles in which the resolve was sent.</summary>
        public int Attempts { get; set; }

        public long Version { get; set; }
    }

    private readonly record struct Item(Entry Entry, Payload Payload, DateTimeOffset? EndsAt, long Version, bool[] Pending);

    /// <summary>Label and annotation values of one alert, already bounded and cleaned; equal content means nothing to send.</summary>
    private sealed record Payload(
        string Incident,
        string Agent,
        string Kind,
        string Severity,
        string State,
        string SummaryLine,
        string Description,
        string Remediation,
        string TraceIds,
        string Policy,
        bool Acknowledged,
        DateTimeOffset StartsAt)
    {
        public static Payload From(IncidentAlert a)
        {
            var agent = AlertLabels.Agent(a.Agent);
            var kind = AlertLabels.Kind(a.Kind);
            var severity = AlertLabels.Severity(a.Severity);
            var remediation = AlertLabels.Annotation(a.Remediation);
            var state = AlertLabels.Annotation(a.State);
            return new Payload(
                AlertLabels.Annotation(a.Incident),
                agent,
                kind,
                severity,
                state,
                AlertLabels.SummaryLine(agent, kind, severity, state, remediation),
                AlertLabels.Annotation(a.Summary),
                remediation,
                AlertLabels.TraceIds(a.TraceIds),
                AlertLabels.Annotation(a.Policy),
                a.Acknowledged,
                a.StartsAt);
        }
    }
}
