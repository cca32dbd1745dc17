using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>Policy files for tests: written to a per-process temporary directory (deleted when the process exits).</summary>
internal static class TestPolicies
{
    /// <summary>
    /// Short, test-friendly lifecycle: fallback <c>safe-model</c> (latency spikes: <c>fast-model</c>), one anomalous trace
    /// acts, flags live 1 min, the first probe after 10 s (ratio 0.25, 5 traces, at most 30 s; backoff ×2), silence only
    /// alerts, and no safety limit gets in the way.
    /// </summary>
    public const string Short = """
        version: 1
        defaults:
          fallback: safe-model
          trigger: { anomalous_traces: 1, window: 1m }
          flag_ttl: 1m
          probe: { after: 10s, ratio: 0.25, min_traces: 5, max_duration: 30s, backoff: { multiplier: 2, max: 5m } }
        safety: { max_fallback_share: 1, min_agents_always_allowed: 1, max_flips_per_agent_per_hour: 100 }
        policies:
          - name: latency-to-fast
            match: { kinds: [latency_spike] }
            fallback: fast-model
          - name: quiet-signals
            match: { kinds: [silence] }
            action: alert_only
          - name: everything-else
            match: {}
        """;

    private static readonly Lazy<string> Root = new(CreateRoot, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _files;

    /// <summary>Writes <paramref name="text"/> to a new file and returns its full path.</summary>
    /// <param name="text">The policy file's content.</param>
    /// <param name="extension"><c>.yaml</c> or <c>.json</c> (the loader picks the format by it).</param>
    public static string Write(string text, string extension = ".yaml")
    {
        // One directory per file: the provider watches the file's directory.
        var dir = Path.Combine(Root.Value, Interlocked.Increment(ref _files).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "policies" + extension);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Parses YAML policy text (source <c>test</c>).</summary>
    public static PolicySet Parse(string yaml) => PolicyLoader.Parse(yaml, PolicyFormat.Yaml, "test");

    private static string CreateRoot()
    {
        var dir = Directory.CreateTempSubdirectory("agentsentinel-actors-tests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return dir;
    }
}
