using System.Collections.Concurrent;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Telemetry;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Remediation.Tests.Policies;

/// <summary>Runs alone: it asserts exact deltas of the process-wide reload counter.</summary>
[CollectionDefinition(nameof(PolicyReloadCollection), DisableParallelization = true)]
public sealed class PolicyReloadCollection;

[Collection(nameof(PolicyReloadCollection))]
public sealed class PolicyProviderTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan NoPoll = TimeSpan.FromHours(1);

    private readonly string _dir = Directory.CreateTempSubdirectory("policy-provider-").FullName;
    private readonly RecordingLogger _log = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Policy(string fallback, string ttl = "5m") =>
        $"policies:\n  - name: silence\n    match: {{ kinds: [silence] }}\n    action: alert_only\n  - name: rest\n    match: {{}}\n    fallback: {fallback}\n    flag_ttl: {ttl}\n";

    private static double Reloads(string outcome) => SentinelMetrics.PolicyReloads.WithLabels(outcome).Value;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string FallbackFor(PolicySet set) => set.Resolve("a", ResourceAttributes.Empty, AnomalyKinds.TokenSpike)!.Fallback;

    [Fact]
    public void Without_a_path_the_shipped_default_is_in_force()
    {
        using var provider = new PolicyProvider(null, _log);

        Assert.Same(PolicySet.Default, provider.Current);
        Assert.True(provider.TryReload(out var errors));
        Assert.Empty(errors);
        Assert.Same(PolicySet.Default, provider.Current);
    }

    [Fact]
    public void An_invalid_file_at_startup_throws_with_every_problem()
    {
        var path = Write("p.yaml", "policies:\n  - name: a\n    match: { kinds: [tokn_spike] }\n    probe: { ratio: 1.5 }\n");

        var ex = Assert.Throws<PolicyValidationException>(() => new PolicyProvider(path, _log));
        Assert.Equal(2, ex.Errors.Count);
        Assert.Throws<FileNotFoundException>(() => new PolicyProvider(Path.Combine(_dir, "absent.yaml"), _log));
    }

    [Fact]
    public async Task A_valid_edit_is_applied_and_raises_Changed()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: NoPoll);
        var first = provider.Current;
        var applied = Reloads("applied");
        var changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += set => changed.TrySetResult(set);

        File.WriteAllText(path, Policy("model-b"));

        var next = await changed.Task.WaitAsync(Wait);
        Assert.Same(next, provider.Current);
        Assert.Equal("model-b", FallbackFor(next));
        Assert.NotEqual(first.Fingerprint, next.Fingerprint);
        Assert.Equal(applied + 1, Reloads("applied"));
        Assert.Contains(_log.Events, e => e.Id == 4001);
    }

    [Fact]
    public async Task An_invalid_edit_is_rejected_and_the_previous_policies_stay()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: NoPoll);
        var first = provider.Current;
        var rejected = Reloads("rejected");
        var raised = 0;
        provider.Changed += _ => Interlocked.Increment(ref raised);

        File.WriteAllText(path, Policy("model-b", ttl: "0s"));

        var logged = await _log.WaitFor(4002, Wait);
        Assert.Contains("policies[1].flag_ttl: must be between 1s and 1d (was 0s)", logged.Message, StringComparison.Ordinal);
        Assert.Same(first, provider.Current);
        Assert.Equal(rejected + 1, Reloads("rejected"));
        Assert.Equal(0, Volatile.Read(ref raised));

        Assert.False(provider.TryReload(out var errors));
        Assert.Equal("policies[1].flag_ttl: must be between 1s and 1d (was 0s) (line 8)", Assert.Single(errors));
        Assert.Same(first, provider.Current);
        Assert.Equal(rejected + 2, Reloads("rejected"));

        // Fixing the file brings the new policies in.
        File.WriteAllText(path, Policy("model-b"));
        Assert.True(provider.TryReload(out errors));
        Assert.Empty(errors);
        Assert.Equal("model-b", FallbackFor(provider.Current));
    }

    [Fact]
    public async Task A_file_replaced_by_rename_is_picked_up()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: NoPoll);
        var changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += set => changed.TrySetResult(set);

        // What vim, VS Code and `kubectl cp`-style tools do: write a temporary file, then rename it over the original.
        var temp = Write(".policies.yaml.tmp", Policy("model-renamed"));
        File.Move(temp, path, overwrite: true);

        var next = await changed.Task.WaitAsync(Wait);
        Assert.Equal("model-renamed", FallbackFor(next));

        // And again: the watcher still works after the file it was loaded from was replaced.
        changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        temp = Write(".policies.yaml.tmp", Policy("model-renamed-again"));
        File.Move(temp, path, overwrite: true);
        Assert.Equal("model-renamed-again", FallbackFor(await changed.Task.WaitAsync(Wait)));
    }

    [Fact]
    public async Task A_kubernetes_configmap_symlink_swap_is_picked_up()
    {
        // A ConfigMap volume: policies.yaml -> ..data/policies.yaml, ..data -> ..<timestamp>; an update writes a new
        // timestamped directory, points ..data_tmp at it and renames ..data_tmp over ..data.
        Directory.CreateDirectory(Path.Combine(_dir, "..v1"));
        File.WriteAllText(Path.Combine(_dir, "..v1", "policies.yaml"), Policy("model-v1"));
        File.CreateSymbolicLink(Path.Combine(_dir, "..data"), "..v1");
        var path = Path.Combine(_dir, "policies.yaml");
        File.CreateSymbolicLink(path, Path.Combine("..data", "policies.yaml"));

        using var provider = new PolicyProvider(path, _log, pollInterval: NoPoll);
        Assert.Equal("model-v1", FallbackFor(provider.Current));
        var changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += set => changed.TrySetResult(set);

        Directory.CreateDirectory(Path.Combine(_dir, "..v2"));
        File.WriteAllText(Path.Combine(_dir, "..v2", "policies.yaml"), Policy("model-v2"));
        File.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..v2");
        RenameOver(Path.Combine(_dir, "..data_tmp"), Path.Combine(_dir, "..data"));

        Assert.Equal("model-v2", FallbackFor(await changed.Task.WaitAsync(Wait)));
    }

    [Fact]
    public async Task Polling_finds_a_change_and_a_cosmetic_change_raises_nothing()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: TimeSpan.FromMilliseconds(50));
        var first = provider.Current;
        var raised = 0;
        provider.Changed += _ => Interlocked.Increment(ref raised);
        var applied = Reloads("applied");

        File.WriteAllText(path, "# reformatted, same policies\n" + Policy("model-a"));

        await _log.WaitFor(4003, Wait);
        Assert.Same(first, provider.Current);
        Assert.Equal(0, Volatile.Read(ref raised));
        Assert.Equal(applied, Reloads("applied"));
        Assert.True(provider.TryReload(out _));
        Assert.Equal(0, Volatile.Read(ref raised));
    }

    [Fact]
    public async Task A_deleted_file_keeps_the_policies_and_its_return_is_picked_up()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: TimeSpan.FromMilliseconds(100));
        var first = provider.Current;

        File.Delete(path);
        var logged = await _log.WaitFor(4002, Wait);
        Assert.Contains("does not exist", logged.Message, StringComparison.Ordinal);
        Assert.Same(first, provider.Current);

        var changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += set => changed.TrySetResult(set);
        File.Move(Write(".policies.yaml.tmp", Policy("model-c")), path);
        Assert.Equal("model-c", FallbackFor(await changed.Task.WaitAsync(Wait)));
        Assert.Single(_log.Events, e => e.Id == 4002); // the missing file was reported once, not at every poll
    }

    [Fact]
    public async Task A_throwing_subscriber_does_not_stop_the_others()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        using var provider = new PolicyProvider(path, _log, pollInterval: NoPoll);
        var changed = new TaskCompletionSource<PolicySet>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += _ => throw new InvalidOperationException("subscriber bug");
        provider.Changed += set => changed.TrySetResult(set);

        File.WriteAllText(path, Policy("model-b"));
        Assert.True(provider.TryReload(out _));

        Assert.Equal("model-b", FallbackFor(await changed.Task.WaitAsync(Wait)));
        Assert.Contains(_log.Events, e => e.Id == 4005);
    }

    [Fact]
    public void Dispose_is_idempotent_and_stops_reloading()
    {
        var path = Write("policies.yaml", Policy("model-a"));
        var provider = new PolicyProvider(path, _log, pollInterval: TimeSpan.FromMilliseconds(20));
        var first = provider.Current;
        provider.Dispose();
        provider.Dispose();

        File.WriteAllText(path, Policy("model-b"));
        Assert.True(provider.TryReload(out _));
        Assert.Same(first, provider.Current);
    }

    /// <summary>rename(2) of a symlink over another, as the kubelet does (File.Move follows a link to a directory).</summary>
    private static void RenameOver(string source, string target)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", source, target])!;
        mv.WaitForExit();
        Assert.Equal(0, mv.ExitCode);
    }

    /// <summary>A logger that keeps every event and lets a test wait for one by id.</summary>
    private sealed class RecordingLogger : ILogger
    {
        private readonly ConcurrentQueue<(int Id, string Message)> _events = new();
        private readonly SemaphoreSlim _signal = new(0);

        public IReadOnlyCollection<(int Id, string Message)> Events => _events;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            _events.Enqueue((eventId.Id, formatter(state, exception)));
            _signal.Release();
        }

        public async Task<(int Id, string Message)> WaitFor(int id, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                foreach (var e in _events)
                {
                    if (e.Id == id)
                    {
                        return e;
                    }
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"no log event {id} within {timeout}");
                }

                await _signal.WaitAsync(left);
            }
        }
    }
}
