using System.Security.Cryptography;
using AgentSentinel.Telemetry;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// Holds the policies in force and reloads them when the file changes, without a restart.
/// </summary>
/// <remarks>
/// <para>
/// Change detection: a <see cref="FileSystemWatcher"/> on the file's directory (not on the file: editors that write a
/// temporary file and rename it over the original, and Kubernetes ConfigMap volumes that swap a <c>..data</c> symlink,
/// replace the file rather than write to it), debounced by <see cref="Debounce"/>; plus, as a safety net for file systems
/// without notifications (NFS, some container overlays), a poll every <c>pollInterval</c> that hashes the content.
/// A reload happens only when the bytes changed.
/// </para>
/// <para>
/// A valid new file replaces <see cref="Current"/> at once (one volatile write) and raises <see cref="Changed"/>, unless
/// its policies are the same as before (same <see cref="PolicySet.Fingerprint"/>: comments or formatting changed). An
/// invalid, unreadable or missing file keeps the previous policies, logs every error once and counts
/// <c>agentsentinel_policy_reloads_total{outcome="rejected"}</c>; a valid change counts <c>applied</c>.
/// Reloads are serialised; <see cref="Changed"/> runs on the thread that reloaded (a timer thread for automatic
/// reloads, the caller's for <see cref="TryReload"/>), in order.
/// </para>
/// </remarks>
public sealed class PolicyProvider : IDisposable
{
    /// <summary>The default poll interval.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(5);

    /// <summary>Quiet time after the last file-system event before the file is read (editors write in several steps).</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);

    private static readonly byte[] Unreadable = [];

    private readonly string? _path;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private readonly Lock _gate = new();
    private readonly ITimer? _pollTimer;
    private readonly ITimer? _debounceTimer;
    private FileSystemWatcher? _watcher;
    private volatile PolicySet _current;
    private byte[] _lastContentHash = Unreadable;
    private bool _disposed;

    /// <summary>
    /// Loads <paramref name="path"/> (null: <see cref="PolicySet.Default"/>, never reloaded) and starts watching it.
    /// </summary>
    /// <exception cref="PolicyValidationException">The file is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public PolicyProvider(string? path, ILogger logger, TimeProvider? time = null, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _pollInterval = pollInterval ?? DefaultPollInterval;
        if (_pollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(pollInterval), pollInterval, "must be positive");
        }

        if (path is null)
        {
            _current = PolicySet.Default;
            Log.DefaultPoliciesInUse(logger, _current.Fingerprint);
            return;
        }

        _path = Path.GetFullPath(path);
        if (!File.Exists(_path))
        {
            throw new FileNotFoundException($"Policy file '{_path}' does not exist.", _path);
        }

        var bytes = File.ReadAllBytes(_path);
        _current = PolicyLoader.Parse(bytes, _path);
        _lastContentHash = SHA256.HashData(bytes);
        SentinelMetrics.PolicyReloads.WithLabels("applied").Inc();
        Log.PoliciesLoaded(logger, _current.Source, _current.Policies.Count, _current.Fingerprint, _current.Safety.DryRun);

        time ??= TimeProvider.System;
        _debounceTimer = time.CreateTimer(static s => ((PolicyProvider)s!).ReloadIfChanged(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pollTimer = time.CreateTimer(static s => ((PolicyProvider)s!).ReloadIfChanged(), this, _pollInterval, _pollInterval);
        StartWatching();
    }

    /// <summary>The policies in force (a volatile read; the set itself is immutable).</summary>
    public PolicySet Current => _current;

    /// <summary>Raised after a valid reload changed the policies, with the new set.</summary>
    public event Action<PolicySet>? Changed;

    /// <summary>
    /// Reads and validates the file now (SIGHUP, the admin API). True when it is valid (applied, or the same policies as
    /// before); false with every problem when it is not, in which case the previous policies stay in force. With the
    /// default policy (no file) there is nothing to reload: true.
    /// </summary>
    public bool TryReload(out IReadOnlyList<string> errors) => Reload(force: true, out errors);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watcher?.Dispose();
        _pollTimer?.Dispose();
        _debounceTimer?.Dispose();
    }

    private void StartWatching()
    {
        var directory = Path.GetDirectoryName(_path!)!;
        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size
                    | NotifyFilters.CreationTime | NotifyFilters.Attributes,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += OnWatcherError;
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            Log.PolicyWatchFailed(_logger, _path!, _pollInterval, ex);
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => ScheduleReload();

    private void OnWatcherError(object sender, ErrorEventArgs e) => ScheduleReload();

    private void ScheduleReload()
    {
        try
        {
            _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile.
        }
    }

    private void ReloadIfChanged() => Reload(force: false, out _);

    private bool Reload(bool force, out IReadOnlyList<string> errors)
    {
        errors = [];
        if (_path is null)
        {
            return true;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return true;
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(_path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var problem = ex is FileNotFoundException or DirectoryNotFoundException
                    ? $"(file): '{_path}' does not exist"
                    : $"(file): '{_path}' cannot be read: {ex.Message}";
                errors = [problem];
                if (force || !ReferenceEquals(_lastContentHash, Unreadable))
                {
                    _lastContentHash = Unreadable;
                    Reject(errors);
                }

                return false;
            }

            var hash = SHA256.HashData(bytes);
            var changed = !hash.AsSpan().SequenceEqual(_lastContentHash);
            if (!force && !changed)
            {
                return true;
            }

            _lastContentHash = hash;
            PolicySet next;
            try
            {
                next = PolicyLoader.Parse(bytes, _path);
            }
            catch (PolicyValidationException ex)
            {
                errors = ex.Errors;
                Reject(errors);
                return false;
            }

            var previous = _current;
            if (string.Equals(next.Fingerprint, previous.Fingerprint, StringComparison.Ordinal))
            {
                Log.PolicyContentUnchanged(_logger, _path, next.Fingerprint);
                return true;
            }

            _current = next;
            SentinelMetrics.PolicyReloads.WithLabels("applied").Inc();
            Log.PoliciesReloaded(_logger, next.Source, next.Policies.Count, previous.Fingerprint, next.Fingerprint, next.Safety.DryRun);
            RaiseChanged(next);
            return true;
        }
    }

    private void Reject(IReadOnlyList<string> errors)
    {
        SentinelMetrics.PolicyReloads.WithLabels("rejected").Inc();
        Log.PolicyReloadRejected(_logger, _path!, errors.Count, _current.Fingerprint, string.Join("; ", errors));
    }

    private void RaiseChanged(PolicySet next)
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((Action<PolicySet>)handler)(next);
            }
#pragma warning disable CA1031 // A subscriber's failure must not stop the others nor the reload.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.PolicyChangedHandlerFailed(_logger, next.Fingerprint, ex);
            }
        }
    }
}
