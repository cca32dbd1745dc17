using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AgentSentinel.Alerting.Tests.Infrastructure;

/// <summary>Alertmanager's webhook receiver: an <see cref="HttpListener"/> on a free loopback port that keeps every notification.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<JsonElement> _notifications = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort.Next();
            Url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/hook/";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(Url);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    /// <summary>Notifications whose group has <c>agent</c> = <paramref name="agent"/> (webhook payload v4).</summary>
    public IReadOnlyList<JsonElement> For(string agent) =>
        [.. _notifications.Where(n => n.GetProperty("groupLabels").TryGetProperty("agent", out var a) && a.GetString() == agent)];

    /// <summary>Waits until <paramref name="count"/> notifications for the agent have arrived; fails with what did arrive otherwise.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(string agent, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var got = For(agent);
            if (got.Count >= count)
            {
                return got;
            }

            await Task.Delay(50);
        }

        var all = For(agent);
        Assert.Fail($"expected {count} notification(s) for agent '{agent}' within {timeout}, got {all.Count}: {string.Join("\n", all)}");
        return all;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                using var doc = await JsonDocument.ParseAsync(context.Request.InputStream);
                _notifications.Enqueue(doc.RootElement.Clone());
                context.Response.StatusCode = 200;
            }
            catch (JsonException)
            {
                context.Response.StatusCode = 400;
            }

            context.Response.Close();
        }
    }
}
