using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSentinel.Redis;

/// <summary>
/// A private <c>redis-server</c> child process on a free 127.0.0.1 port, for the embedded demo and the tests:
/// no RDB snapshots, no AOF unless asked, data in its own temp directory. It can be stopped and started again on the
/// same port (to rehearse a Redis restart), suspended and resumed (a hung server), or killed (a crash).
/// Dispose kills it and deletes the directory; children still alive at a graceful process exit are killed too.
/// </summary>
/// <remarks>Lifecycle calls are serialised; Dispose may be called at any time and from any thread. Linux/macOS only
/// (signals go through <c>kill</c>).</remarks>
public sealed class RedisServerProcess : IAsyncDisposable, IDisposable
{
    /// <summary>Where Debian's <c>redis-server</c> package installs the binary.</summary>
    public const string DefaultBinaryPath = "/usr/bin/redis-server";

    private const int MaxPortAttempts = 5;
    private const int OutputLines = 40;
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] ProbeCommand = "PING\r\nINFO server\r\n"u8.ToArray();
    private static readonly ConcurrentDictionary<RedisServerProcess, byte> Live = new();

    private readonly object _sync = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly RedisServerProcessOptions _options;
    private readonly ILogger _logger;
    private readonly string _configPath;
    private Process? _process;
    private ConcurrentQueue<string> _output = new();
    private int _disposed;

    static RedisServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Live.Keys)
            {
                server.Dispose();
            }
        };
    }

    private RedisServerProcess(RedisServerProcessOptions options, string binaryPath, ILogger logger)
    {
        _options = options;
        _logger = logger;
        BinaryPath = binaryPath;
        DataDirectory = Directory.CreateTempSubdirectory("agentsentinel-redis-").FullName;
        _configPath = Path.Combine(DataDirectory, "redis.conf");
    }

    /// <summary>The <c>redis-server</c> binary in use.</summary>
    public string BinaryPath { get; }

    /// <summary>The server's private directory (config, and the AOF when enabled); deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The loopback port; it stays the same across <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis endpoint string, <c>127.0.0.1:{Port}</c>.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The child's process id while it runs.</summary>
    public int? ProcessId
    {
        get
        {
            lock (_sync)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    /// <summary>Whether the child process is alive (it may be suspended).</summary>
    public bool IsRunning => ProcessId is not null;

    /// <summary>
    /// Starts <c>redis-server</c> and returns once it answers PING. Picks a free port unless
    /// <see cref="RedisServerProcessOptions.Port"/> is set, retrying on another port if the chosen one is taken first.
    /// </summary>
    /// <exception cref="FileNotFoundException">No <c>redis-server</c> binary: run <c>./scripts/setup.sh</c>.</exception>
    /// <exception cref="InvalidOperationException">The server exited or did not answer in time (the message carries its last output lines).</exception>
    public static async Task<RedisServerProcess> StartAsync(RedisServerProcessOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new RedisServerProcessOptions();
        if (options.Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "RedisServerProcessOptions.Port must be between 1 and 65535.");
        }

        var server = new RedisServerProcess(options, LocateBinary(options.BinaryPath), logger ?? NullLogger.Instance);
        try
        {
            await server.StartCoreAsync(options.Port, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Finds <c>redis-server</c>: <paramref name="explicitPath"/> if given (it must exist), else the first on PATH,
    /// else <see cref="DefaultBinaryPath"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">Not found; the message says how to install it.</exception>
    public static string LocateBinary(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath)
                ? Path.GetFullPath(explicitPath)
                : throw new FileNotFoundException(
                    $"redis-server was not found at '{explicitPath}'. Run ./scripts/setup.sh to install Debian's redis-server, or point BinaryPath at an existing redis-server.",
                    explicitPath);
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists(DefaultBinaryPath)
            ? DefaultBinaryPath
            : throw new FileNotFoundException(
                $"redis-server was not found on PATH or at {DefaultBinaryPath}. Run ./scripts/setup.sh (it installs Debian's redis-server), or set the path to a redis-server binary explicitly.",
                "redis-server");
    }

    /// <summary>Starts the server again on the same <see cref="Port"/> (stopping it first if it runs), keeping its directory.</summary>
    /// <exception cref="InvalidOperationException">The port has been taken meanwhile, or the server did not come up.</exception>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await StartCoreAsync(Port, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server gracefully (SIGTERM; killed if still alive after 5 s). Idempotent; the server can be restarted.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Process? process;
            lock (_sync)
            {
                process = _process;
                _process = null;
            }

            if (process is null)
            {
                return;
            }

            using (process)
            {
                if (!process.HasExited)
                {
                    await SignalAsync(process, "CONT").ConfigureAwait(false); // a suspended server cannot act on SIGTERM
                    await SignalAsync(process, "TERM").ConfigureAwait(false);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(GracefulStopTimeout);
                    try
                    {
                        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        Log.RedisServerKilled(_logger, Port);
                        KillAndWait(process);
                    }
                }

                Log.RedisServerStopped(_logger, Port);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Kills the server with SIGKILL (a crash: no shutdown, no final AOF fsync). It can be restarted.</summary>
    public void Kill()
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
            _process = null;
        }

        if (process is not null)
        {
            using (process)
            {
                KillAndWait(process);
            }
        }
    }

    /// <summary>Freezes the server with SIGSTOP: connections stay open but nothing answers (a hung server; clients time out).</summary>
    public Task SuspendAsync() => SignalRunningAsync("STOP");

    /// <summary>Resumes a suspended server with SIGCONT.</summary>
    public Task ResumeAsync() => SignalRunningAsync("CONT");

    private async Task SignalRunningAsync(string signal)
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            throw new InvalidOperationException("redis-server is not running.");
        }

        await SignalAsync(process, signal).ConfigureAwait(false);
    }

    private async Task StartCoreAsync(int? fixedPort, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            for (var attempt = 1; ; attempt++)
            {
                var port = fixedPort ?? (_options.PortPicker ?? FreeLoopbackPort)();
                var outcome = await LaunchAsync(port, cancellationToken).ConfigureAwait(false);
                if (outcome == LaunchOutcome.Ready)
                {
                    return;
                }

                var tail = string.Join(Environment.NewLine, _output);
                if (outcome == LaunchOutcome.PortTaken && fixedPort is null && attempt < MaxPortAttempts)
                {
                    Log.RedisServerPortTaken(_logger, port, attempt);
                    continue;
                }

                throw new InvalidOperationException(outcome switch
                {
                    LaunchOutcome.PortTaken => $"redis-server could not bind 127.0.0.1:{port}: the port is in use.{Environment.NewLine}{tail}",
                    LaunchOutcome.TimedOut => $"redis-server on 127.0.0.1:{port} did not answer PING within {_options.StartTimeout.TotalSeconds:0.#} s.{Environment.NewLine}{tail}",
                    _ => $"redis-server on 127.0.0.1:{port} exited during start-up.{Environment.NewLine}{tail}",
                });
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private enum LaunchOutcome
    {
        Ready,
        PortTaken,
        Exited,
        TimedOut,
    }

    private async Task<LaunchOutcome> LaunchAsync(int port, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(_configPath, BuildConfig(port), cancellationToken).ConfigureAwait(false);
        var output = new ConcurrentQueue<string>();
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(BinaryPath)
            {
                ArgumentList = { _configPath },
                WorkingDirectory = DataDirectory,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = false,
            },
        };
        void Capture(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            while (output.Count > OutputLines && output.TryDequeue(out _))
            {
            }
        }

        process.OutputDataReceived += Capture;
        process.ErrorDataReceived += Capture;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        lock (_sync)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                KillAndWait(process);
                process.Dispose();
                throw new ObjectDisposedException(nameof(RedisServerProcess));
            }

            _process = process;
            _output = output;
            Port = port;
            Live.TryAdd(this, 0);
        }

        var outcome = LaunchOutcome.TimedOut;
        try
        {
            outcome = await WaitUntilReadyAsync(process, port, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (outcome != LaunchOutcome.Ready)
            {
                lock (_sync)
                {
                    if (ReferenceEquals(_process, process))
                    {
                        _process = null;
                    }
                }

                KillAndWait(process);
                process.Dispose();
            }
        }

        if (outcome == LaunchOutcome.Exited && output.Any(line => line.Contains("Address already in use", StringComparison.OrdinalIgnoreCase)))
        {
            return LaunchOutcome.PortTaken;
        }

        if (outcome == LaunchOutcome.Ready)
        {
            Log.RedisServerStarted(_logger, port, process.Id, DataDirectory);
        }

        return outcome;
    }

    private async Task<LaunchOutcome> WaitUntilReadyAsync(Process process, int port, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false); // drains the output
                return LaunchOutcome.Exited;
            }

            // Answering PING is not enough: another server may own the port. Our child must report our pid.
            if (await ProbeAsync(port, cancellationToken).ConfigureAwait(false) == process.Id)
            {
                return LaunchOutcome.Ready;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return process.HasExited ? LaunchOutcome.Exited : LaunchOutcome.TimedOut;
    }

    /// <summary>PING then INFO server over a raw socket; the server's process id once it answers +PONG, else null.</summary>
    private static async Task<int?> ProbeAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(ProbeCommand, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[32 * 1024];
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return null;
                }

                filled += read;
                if (TryParseProbeReply(Encoding.ASCII.GetString(buffer, 0, filled), out var processId))
                {
                    return processId;
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is SocketException or IOException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>True once the reply is complete; <paramref name="processId"/> is null unless it was +PONG and an INFO with process_id.</summary>
    internal static bool TryParseProbeReply(string reply, out int? processId)
    {
        processId = null;
        var firstEnd = reply.IndexOf("\r\n", StringComparison.Ordinal);
        if (firstEnd < 0)
        {
            return false;
        }

        if (!reply.StartsWith("+PONG\r\n", StringComparison.Ordinal))
        {
            return true; // e.g. -LOADING: not ready yet
        }

        var headerEnd = reply.IndexOf("\r\n", firstEnd + 2, StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }

        var header = reply[(firstEnd + 2)..headerEnd];
        if (header.Length < 2 || header[0] != '$' || !int.TryParse(header.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var length))
        {
            return true;
        }

        if (reply.Length < headerEnd + 2 + length)
        {
            return false;
        }

        foreach (var line in reply.AsSpan(headerEnd + 2, length).EnumerateLines())
        {
            if (line.StartsWith("process_id:", StringComparison.Ordinal)
                && int.TryParse(line["process_id:".Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            {
                processId = pid;
                break;
            }
        }

        return true;
    }

    private string BuildConfig(int port)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("protected-mode yes");
        config.AppendLine("daemonize no");
        config.AppendLine("save \"\"");
        config.AppendLine(_options.AppendOnly ? "appendonly yes" : "appendonly no");
        config.AppendLine("appendfsync everysec");
        config.AppendLine(CultureInfo.InvariantCulture, $"dir \"{DataDirectory.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        config.AppendLine("logfile \"\"");
        config.AppendLine("loglevel notice");
        foreach (var line in _options.ExtraConfig)
        {
            config.AppendLine(line.ReplaceLineEndings(" "));
        }

        return config.ToString();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    private static async Task SignalAsync(Process process, string signal)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill")
            {
                ArgumentList = { "-s", signal, process.Id.ToString(CultureInfo.InvariantCulture) },
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (kill is not null)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            if (signal is "TERM")
            {
                KillAndWait(process); // no kill(1): fall back to SIGKILL
            }
        }
    }

    private static void KillAndWait(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>Kills the server (no graceful shutdown) and deletes its directory. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Live.TryRemove(this, out _);
        Kill();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.RedisServerDirectoryNotDeleted(_logger, DataDirectory, ex);
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
