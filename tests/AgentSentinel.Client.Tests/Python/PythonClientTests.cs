using AgentSentinel.Tests.Shared.Redis;
using System.Diagnostics;
using System.Text;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis;
using AgentSentinel.Redis.Flags;
using AgentSentinel.Tests.Shared;
using static AgentSentinel.Tests.Shared.Redis.TestRedis;

namespace AgentSentinel.Client.Tests.Python;

/// <summary>
/// Runs the Python module's unittest suite (clients/python/tests) with Debian's /usr/bin/python3 and python3-redis
/// against a real redis-server, after writing one flag with the real <see cref="RedisFlagStore"/> for the suite to read.
/// </summary>
public sealed class PythonClientTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task The_python_client_passes_its_unittest_suite_against_a_real_redis_server()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3 and python3-redis (./scripts/setup.sh).");
        var probe = await RunAsync(["-c", "import redis; print(redis.__version__)"], new Dictionary<string, string>(), TimeSpan.FromSeconds(30));
        Assert.True(probe.ExitCode == 0, $"{Python} cannot import redis: install Debian's python3-redis (apt-get install python3-redis).\n{probe.Output}");

        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await ConnectAsync(server.ConnectionString);
        var options = NewOptions(server.ConnectionString);
        using var store = new RedisFlagStore(redis, options);
        const string Agent = "written by \"agentsentinel\" 🚀";
        var written = await store.WriteAsync(
            Decision(Agent, 9, FlagRoute.Probe, fallback: "gpt-4o-mini", probeRatio: 0.25),
            CancellationToken.None);
        Assert.Equal(FlagWriteOutcome.Applied, written);

        var root = SharedData.RepositoryRoot;
        var run = await RunAsync(
            ["-m", "unittest", "discover", "-s", Path.Combine(root, "clients", "python", "tests"), "-v"],
            new Dictionary<string, string>
            {
                ["AGENTSENTINEL_TEST_REDIS_URL"] = $"redis://{server.ConnectionString}/0",
                ["AGENTSENTINEL_TEST_REDIS_SERVER"] = server.BinaryPath,
                ["AGENTSENTINEL_TEST_WRITTEN_PREFIX"] = options.KeyPrefix,
                ["AGENTSENTINEL_TEST_WRITTEN_AGENT"] = Agent,
                ["PYTHONDONTWRITEBYTECODE"] = "1",
                ["PYTHONIOENCODING"] = "utf-8",
            },
            TimeSpan.FromSeconds(120));

        Assert.True(run.ExitCode == 0, $"python3 -m unittest exited with {run.ExitCode}:\n{run.Output}");
        Assert.Contains("\nOK", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped", run.Output, StringComparison.Ordinal);
        Assert.Contains("test_reads_a_flag_written_by_agentsentinel", run.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout}\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
