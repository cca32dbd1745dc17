using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSentinel.Alerting.Tests.Infrastructure;

/// <summary>
/// A real <c>prometheus-alertmanager</c> (Debian) on a loopback port, clustering off, its webhook receiver pointing at
/// <c>webhookUrl</c>, grouping like deploy/alertmanager.yml's incident route but with second-scale timers.
/// </summary>
public sealed class AlertmanagerProcess : IAsyncDisposable
{
    public const string BinaryPath = "/usr/bin/prometheus-alertmanager";

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private AlertmanagerProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Url => "http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the binary on <paramref name="port"/>, or on a free port (another one if that one was taken meanwhile).</summary>
    public static async Task<AlertmanagerProcess> StartAsync(string webhookUrl, int? port = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (started, output) = await TryStartAsync(webhookUrl, port ?? FreePort.Next());
            if (started is not null)
            {
                return started;
            }

            if (port is not null || attempt == 5 || !output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"prometheus-alertmanager did not become ready:\n{output}");
            }
        }
    }

    private static async Task<(AlertmanagerProcess? Started, string Output)> TryStartAsync(string webhookUrl, int p)
    {
        Assert.True(
            File.Exists(BinaryPath),
            $"{BinaryPath} is missing: install the Debian package prometheus-alertmanager (apt-get install prometheus-alertmanager); these tests run the real binary.");

        var directory = Directory.CreateTempSubdirectory("agentsentinel-am-").FullName;
        var config = Path.Combine(directory, "alertmanager.yml");
        await File.WriteAllTextAsync(config, $"""
            route:
              receiver: hook
              group_by: [alertname, agent, kind]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: {webhookUrl}
                    send_resolved: true
            """);

        var info = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--config.file=" + config);
        info.ArgumentList.Add("--storage.path=" + Path.Combine(directory, "data"));
        info.ArgumentList.Add("--web.listen-address=127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--cluster.listen-address=");
        info.ArgumentList.Add("--log.level=warn");

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + BinaryPath);
        var am = new AlertmanagerProcess(process, directory, p);
        process.ErrorDataReceived += (_, e) => am.Append(e.Data);
        process.OutputDataReceived += (_, e) => am.Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var ready = await http.GetAsync(am.Url + "/-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return (am, string.Empty);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        await am.DisposeAsync();
        return (null, $"port {p}: {am.Output}");
    }

    /// <summary>The alerts Alertmanager holds (GET /api/v2/alerts), as JSON.</summary>
    public async Task<System.Text.Json.JsonElement> AlertsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var json = await http.GetStringAsync(Url + "/api/v2/alerts");
        return System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
