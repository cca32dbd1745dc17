using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using AgentSentinel.Cli.Admin;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Remediation.Admin;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel flags list|pin|unpin|ack|clear|kill-switch</c>: manual remediation operations through a running
/// instance's admin API (<see cref="AdminApi"/>). The URL comes from <c>--url</c>, else <c>AGENTSENTINEL_ADMIN_URL</c>, else
/// <see cref="DefaultUrl"/>; the token from <c>--token-file</c>, else <c>AGENTSENTINEL_ADMIN_TOKEN</c>, never from the command
/// line (it would leak into shell history and the process list). An https URL is checked against the system's trust store,
/// or against <c>--ca-file</c> (else <c>AGENTSENTINEL_ADMIN_CA_FILE</c>) only, for a private CA. Exit codes: 0 done or unchanged, 1 refused or failed
/// (not found, invalid, unauthorized, unreachable), 2 usage, 3 pending (decided, but the store has not confirmed the flag
/// write yet: the instance retries it until it lands).
/// </summary>
internal static class FlagsCommand
{
    public const string DefaultUrl = "http://127.0.0.1:9464";
    public const string UrlVariable = "AGENTSENTINEL_ADMIN_URL";
    public const string TokenVariable = "AGENTSENTINEL_ADMIN_TOKEN";
    public const string CaFileVariable = "AGENTSENTINEL_ADMIN_CA_FILE";

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private const string Subcommands = "list, pin, unpin, ack, clear or kill-switch";

    public static Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken) =>
        ExecuteAsync(args, output, Environment.GetEnvironmentVariable, cancellationToken);

    /// <summary>As <see cref="ExecuteAsync(string[], TextWriter, CancellationToken)"/>, reading variables from <paramref name="environment"/>.</summary>
    internal static async Task<int> ExecuteAsync(string[] args, TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw new UsageException($"flags needs a subcommand: {Subcommands}");
        }

        var rest = args[1..];
        try
        {
            return await DispatchAsync(args[0], rest, output, environment, cancellationToken).ConfigureAwait(false);
        }
        catch (AdminUnreachableException e)
        {
            await output.WriteLineAsync("agentsentinel flags: " + e.Message).ConfigureAwait(false);
            return SentinelCli.Failed;
        }
    }

    private static async Task<int> DispatchAsync(string subcommand, string[] rest, TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken) =>
        subcommand switch
        {
            "list" => await ListAsync(Parse(rest, [], environment), output, cancellationToken).ConfigureAwait(false),
            "pin" => await PinAsync(Parse(rest, ["agent", "route", "fallback", "probe-ratio", "note"], environment), output, cancellationToken).ConfigureAwait(false),
            "unpin" => await AgentOperationAsync("unpin", rest, environment, output, cancellationToken).ConfigureAwait(false),
            "ack" => await AgentOperationAsync("acknowledge", rest, environment, output, cancellationToken).ConfigureAwait(false),
            "clear" => await AgentOperationAsync("clear", rest, environment, output, cancellationToken).ConfigureAwait(false),
            "kill-switch" => await KillSwitchAsync(rest, environment, output, cancellationToken).ConfigureAwait(false),
            var other => throw new UsageException($"unknown flags subcommand '{other}' ({Subcommands})"),
        };

    private static async Task<int> ListAsync(Invocation call, TextWriter output, CancellationToken cancellationToken)
    {
        var (status, body) = await call.SendAsync(HttpMethod.Get, "/agents", null, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            return await ReportAsync(call, status, body, output).ConfigureAwait(false);
        }

        if (call.Json)
        {
            await output.WriteLineAsync(body).ConfigureAwait(false);
            return SentinelCli.Ok;
        }

        var overview = Deserialize(body, AdminJsonContext.Default.RemediationOverview);
        if (overview is null)
        {
            await output.WriteLineAsync($"agentsentinel flags: unexpected answer from {call.BaseUrl}").ConfigureAwait(false);
            return SentinelCli.Failed;
        }

        await WriteTableAsync(overview, output).ConfigureAwait(false);
        return SentinelCli.Ok;
    }

    private static async Task<int> PinAsync(Invocation call, TextWriter output, CancellationToken cancellationToken)
    {
        var agent = call.Arguments.Required("agent");
        var route = call.Arguments.Required("route");
        double? ratio = null;
        if (call.Arguments.Get("probe-ratio") is { } ratioText)
        {
            ratio = double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0.0 and <= 1.0
                ? r
                : throw new UsageException($"--probe-ratio must be a number between 0 and 1, not '{ratioText}'");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(
            new PinBody { Agent = agent, Route = route, Fallback = call.Arguments.Get("fallback"), ProbeRatio = ratio, Note = call.Arguments.Get("note") },
            AdminJsonContext.Default.PinBody);
        var (status, reply) = await call.SendAsync(HttpMethod.Post, "/pin", body, cancellationToken).ConfigureAwait(false);
        return await ReportAsync(call, status, reply, output).ConfigureAwait(false);
    }

    private static async Task<int> AgentOperationAsync(string operation, string[] args, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        var call = Parse(args, ["agent", "note"], environment);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new AgentBody { Agent = call.Arguments.Required("agent"), Note = call.Arguments.Get("note") }, AdminJsonContext.Default.AgentBody);
        var (status, reply) = await call.SendAsync(HttpMethod.Post, "/" + operation, body, cancellationToken).ConfigureAwait(false);
        return await ReportAsync(call, status, reply, output).ConfigureAwait(false);
    }

    /// <summary><c>kill-switch [status|on|off] [--note TEXT]</c>; without an action, shows the state.</summary>
    private static async Task<int> KillSwitchAsync(string[] args, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        var hasAction = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal);
        var action = hasAction ? args[0] : "status";
        var rest = hasAction ? args[1..] : args;
        bool engage;
        switch (action)
        {
            case "status":
            {
                var call = Parse(rest, [], environment);
                var (status, body) = await call.SendAsync(HttpMethod.Get, "/kill-switch", null, cancellationToken).ConfigureAwait(false);
                if (status != HttpStatusCode.OK || call.Json)
                {
                    return status == HttpStatusCode.OK ? await PrintAsync(body, output).ConfigureAwait(false) : await ReportAsync(call, status, body, output).ConfigureAwait(false);
                }

                var state = Deserialize(body, AdminJsonContext.Default.KillSwitchState);
                await output.WriteLineAsync(state is null
                    ? $"agentsentinel flags: unexpected answer from {call.BaseUrl}"
                    : $"kill switch: {OnOff(state.Engaged)}{(state.DryRun ? " (dry run)" : string.Empty)}").ConfigureAwait(false);
                return state is null ? SentinelCli.Failed : SentinelCli.Ok;
            }

            case "on":
                engage = true;
                break;
            case "off":
                engage = false;
                break;
            default:
                throw new UsageException($"kill-switch takes status, on or off, not '{action}'");
        }

        var set = Parse(rest, ["note"], environment);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new KillSwitchBody { Engaged = engage, Note = set.Arguments.Get("note") }, AdminJsonContext.Default.KillSwitchBody);
        var (code, reply) = await set.SendAsync(HttpMethod.Put, "/kill-switch", payload, cancellationToken).ConfigureAwait(false);
        return await ReportAsync(set, code, reply, output).ConfigureAwait(false);
    }

    /// <summary>Prints an operation's <c>{status, message}</c> (or the body verbatim with <c>--json</c>) and picks the exit code.</summary>
    private static async Task<int> ReportAsync(Invocation call, HttpStatusCode status, string body, TextWriter output)
    {
        var reply = Deserialize(body, AdminJsonContext.Default.AdminReply);
        var ok = status == HttpStatusCode.OK && reply is { Status: "done" or "unchanged" };
        var pending = status == HttpStatusCode.Accepted && reply is { Status: "pending" };
        var code = ok ? SentinelCli.Ok : pending ? SentinelCli.Pending : SentinelCli.Failed;
        if (call.Json && reply is not null)
        {
            await output.WriteLineAsync(body).ConfigureAwait(false);
            return code;
        }

        var line = (status, reply) switch
        {
            (HttpStatusCode.Unauthorized, _) =>
                $"agentsentinel flags: unauthorized: {call.BaseUrl} refused the token (check --token-file or {TokenVariable})",
            (HttpStatusCode.NotFound, null) =>
                $"agentsentinel flags: no admin API at {call.BaseUrl} (is Admin:Tokens configured on that instance?)",
            (_, { } r) when ok || pending => $"{r.Status}: {Printable(r.Message)}",
            (_, { } r) => $"agentsentinel flags: {r.Status}: {Printable(r.Message)}",
            _ => string.Create(CultureInfo.InvariantCulture, $"agentsentinel flags: {call.BaseUrl} answered {(int)status} {status}"),
        };
        await output.WriteLineAsync(line).ConfigureAwait(false);
        return code;
    }

    private static async Task<int> PrintAsync(string body, TextWriter output)
    {
        await output.WriteLineAsync(body).ConfigureAwait(false);
        return SentinelCli.Ok;
    }

    private static async Task WriteTableAsync(RemediationOverview overview, TextWriter output)
    {
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"kill switch: {OnOff(overview.KillSwitch)}   dry run: {OnOff(overview.DryRun)}   agents known: {overview.AgentsKnown}   in fallback: {overview.AgentsInFallback}"))
            .ConfigureAwait(false);
        if (overview.Agents.Count == 0)
        {
            await output.WriteLineAsync("no agent in remediation").ConfigureAwait(false);
            return;
        }

        string[] header = ["AGENT", "STATE", "ROUTE", "FALLBACK", "INCIDENT", "KIND", "PINNED", "ACK", "TRIPS", "NEXT CHANGE (UTC)", "APPLIED", "DETAIL"];
        var rows = new List<string[]>(overview.Agents.Count + 1) { header };
        rows.AddRange(overview.Agents.Select(a => new[]
        {
            Printable(a.Agent),
            Printable(a.State),
            Printable(a.Route),
            Printable(a.Fallback ?? "-"),
            Printable(a.Incident ?? "-"),
            Printable(a.Kind ?? "-"),
            YesNo(a.Pinned),
            YesNo(a.Acknowledged),
            a.Trips.ToString(CultureInfo.InvariantCulture),
            a.NextChangeUnixMs is { } ms
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                : "-",
            YesNo(a.FlagApplied),
            Printable(a.Detail ?? string.Empty),
        }));
        var widths = new int[header.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            await output.WriteLineAsync(line.ToString().TrimEnd()).ConfigureAwait(false);
        }
    }

    /// <summary>Agent names and details are untrusted: control characters (terminal escapes) are shown as '?'.</summary>
    private static string Printable(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return string.Create(text.Length, text, static (span, source) =>
                {
                    for (var i = 0; i < source.Length; i++)
                    {
                        span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' ? '?' : source[i];
                    }
                });
            }
        }

        return text;
    }

    private static string OnOff(bool value) => value ? "on" : "off";

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static T? Deserialize<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return body.Length == 0 ? null : JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Invocation Parse(string[] args, string[] valueOptions, Func<string, string?> environment)
    {
        if (args.Any(a => a == "--token" || a.StartsWith("--token=", StringComparison.Ordinal)))
        {
            throw new UsageException($"--token is not accepted (a token on the command line leaks into shell history and the process list): use --token-file FILE or {TokenVariable}");
        }

        var arguments = CommandArguments.Parse(args, [.. valueOptions, "url", "token-file", "ca-file"], ["json"]);
        var url = arguments.Get("url") ?? (environment(UrlVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultUrl);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url must be an http(s) URL, not '{url}'");
        }

        string token;
        if (arguments.Get("token-file") is { } file)
        {
            try
            {
                token = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--token-file: cannot read {file}: {e.Message}");
            }

            if (token.Length == 0)
            {
                throw new UsageException($"--token-file: {file} is empty");
            }
        }
        else
        {
            token = environment(TokenVariable)?.Trim() is { Length: > 0 } fromVariable
                ? fromVariable
                : throw new UsageException($"an admin token is needed: --token-file FILE or {TokenVariable}");
        }

        if (!AdminOptions.IsTokenText(token))
        {
            throw new UsageException("the admin token must be printable ASCII without spaces");
        }

        var caFile = arguments.Get("ca-file") ?? (environment(CaFileVariable) is { Length: > 0 } caFromEnvironment ? caFromEnvironment : null);
        X509Certificate2Collection? trusted = null;
        if (caFile is not null)
        {
            if (baseUri.Scheme != Uri.UriSchemeHttps)
            {
                throw new UsageException($"--ca-file applies to an https URL, not '{baseUri}'");
            }

            trusted = new X509Certificate2Collection();
            try
            {
                trusted.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new UsageException($"--ca-file: cannot read a PEM certificate from {caFile}: {e.Message}");
            }

            if (trusted.Count == 0)
            {
                throw new UsageException($"--ca-file: {caFile} holds no PEM certificate");
            }
        }

        return new Invocation(arguments, baseUri, token, trusted);
    }

    /// <summary>One parsed invocation: its options, the API's base URL and the token.</summary>
    private sealed class Invocation(CommandArguments arguments, Uri baseUrl, string token, X509Certificate2Collection? trusted)
    {
        public CommandArguments Arguments { get; } = arguments;

        public Uri BaseUrl { get; } = baseUrl;

        public bool Json => Arguments.Has("json");

        public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
        {
            var target = new Uri(BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + AdminWire.Prefix + path);
            using var http = new HttpClient(CreateHandler(), disposeHandler: true) { Timeout = RequestTimeout };
            using var request = new HttpRequestMessage(method, target);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            try
            {
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                return (response.StatusCode, text);
            }
            catch (HttpRequestException e) when (e.InnerException is AuthenticationException tls)
            {
                throw new AdminUnreachableException($"the admin API at {BaseUrl} presented a certificate that is not trusted ({tls.Message}): pass its CA with --ca-file or {CaFileVariable}");
            }
            catch (HttpRequestException e)
            {
                throw new AdminUnreachableException($"cannot reach the admin API at {BaseUrl}: {e.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new AdminUnreachableException($"no answer from the admin API at {BaseUrl} within {RequestTimeout.TotalSeconds:0}s");
            }
        }

        /// <summary>The system's trust store, or with <c>--ca-file</c> only the given certificates as roots (a private CA or a self-signed certificate).</summary>
        private SocketsHttpHandler CreateHandler()
        {
            var handler = new SocketsHttpHandler();
            if (trusted is not null)
            {
                handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                };
                handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
            }

            return handler;
        }
    }
}

/// <summary>The admin API could not be reached or did not answer: the command prints the message and exits with 1.</summary>
internal sealed class AdminUnreachableException(string message) : Exception(message);
