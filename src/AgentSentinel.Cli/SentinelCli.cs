using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Commands;
using AgentSentinel.Cli.Hosting;

namespace AgentSentinel.Cli;

/// <summary>The <c>agentsentinel</c> command line: dispatches to a command and maps failures to exit codes.</summary>
internal static class SentinelCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    /// <summary><c>flags</c>: the operation was decided but its flag write has not landed yet (retried until it does).</summary>
    public const int Pending = 3;

    private const string Usage = """
        usage: agentsentinel <command> [options]

        commands:
          run           consume the trace topic, detect, remediate (production)
                        --config FILE      JSON configuration (env AGENTSENTINEL__Section__Key overrides)
          demo          the embedded demo: mock Kafka + private redis-server + a simulated agent fleet
                        --agents N (20)  --duration 120s  --seed N (7)  --report FILE.json  [--config FILE]
          replay        run the pipeline over recorded Kafka record values, in event time, no Kafka or Redis
                        --input PATH  [--format auto|otlp_proto|otlp_json]  --report FILE.json  [--config FILE]
          check-config  validate a configuration file and exit
                        --config FILE
          eval nab      score our streaming detector (and the NAB reference detectors) on the Numenta Anomaly Benchmark
                        --data DIR (../shared/data/nab)  --out FILE.json  [--threshold X]
          eval scenarios  labelled agent fault scenarios: per-kind precision/recall/F1, delays, false incidents
                        --seed N  --out FILE.json  [--agents N] [--hours H] [--clean-hours H]
          prices        the model price catalogue: check it, or import LiteLLM's price list into it
                        check [--file models/prices.json] | import --litellm FILE [--file models/prices.json]
          flags         manual remediation through a running instance's admin API (Admin:Tokens)
                        list | pin --agent A --route fallback|probe|primary [--fallback F] [--probe-ratio X]
                        | unpin|ack|clear --agent A | kill-switch [status|on|off]   [--note TEXT] [--json]
                        --url URL (env AGENTSENTINEL_ADMIN_URL, http://127.0.0.1:9464)
                        --token-file FILE (or env AGENTSENTINEL_ADMIN_TOKEN; never a token on the command line)
                        --ca-file FILE (or env AGENTSENTINEL_ADMIN_CA_FILE): trust this PEM CA for an https URL
        """;

    private static Task<int> EvalAsync(string[] args, TextWriter output, CancellationToken cancellationToken) =>
        args.FirstOrDefault() switch
        {
            "nab" => EvalNabCommand.ExecuteAsync(args[1..], output, cancellationToken),
            "scenarios" => EvalScenariosCommand.ExecuteAsync(args[1..], output, cancellationToken),
            var other => throw new UsageException(other is null ? "eval needs a benchmark: nab or scenarios" : $"unknown benchmark '{other}' (nab or scenarios)"),
        };

    /// <summary>Runs one command. <paramref name="stop"/> (tests, hosts) stops it like SIGTERM or Ctrl+C would.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? UsageError : Ok;
        }

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stop);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            ctx =>
            {
                ctx.Cancel = true;
                cancellation.Cancel();
            });
        try
        {
            var rest = args.Skip(1).ToArray();
            return args[0] switch
            {
                "run" => await RunCommand.ExecuteAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                "demo" => await DemoCommand.ExecuteAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                "replay" => await ReplayCommand.ExecuteAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                "check-config" => CheckConfigCommand.Execute(rest, output),
                "eval" => await EvalAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                "prices" => await PricesCommand.ExecuteAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                "flags" => await FlagsCommand.ExecuteAsync(rest, output, cancellation.Token).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"agentsentinel: {e.Message}\n\n{Usage}").ConfigureAwait(false);
            return UsageError;
        }
        catch (ConfigurationException e)
        {
            await error.WriteLineAsync($"agentsentinel: invalid configuration:\n{e.Message}").ConfigureAwait(false);
            return UsageError;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
