using AgentSentinel.Actors;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Cli.Replay;
using AgentSentinel.Cli.Reports;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp;
using AgentSentinel.Telemetry;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel replay</c>: the same decoders, actors and detectors over recorded Kafka record values, in event time,
/// with no Kafka or Redis. Remediation decides and reports but writes nothing.
/// </summary>
internal static class ReplayCommand
{
    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = CommandArguments.Parse(args, ["input", "format", "report", "config"], []);
        var input = options.Required("input");
        var reportPath = options.Required("report");
        var format = ParseFormat(options.Get("format") ?? "auto");
        var settings = SentinelSettings.Load(options.Get("config"));
        settings.ThrowIfInvalid(kafka: false, redis: false);

        var recorder = new PipelineRecorder();
        var stats = await ReplayAsync(input, format, settings, recorder, cancellationToken).ConfigureAwait(false);

        var directory = Path.GetDirectoryName(Path.GetFullPath(reportPath))!;
        Directory.CreateDirectory(directory);
        var temporary = reportPath + ".tmp";
        await using (var file = File.Create(temporary))
        {
            ReplayReportWriter.Write(file, stats, recorder);
        }

        File.Move(temporary, reportPath, overwrite: true);
        await output.WriteLineAsync(
            $"replayed {stats.Records} records ({stats.Spans} spans, {stats.DecodeErrors} undecodable): " +
            $"{recorder.TraceCount} traces, {recorder.Agents().Count} agents, {recorder.Anomalies().Count} anomalies, " +
            $"{recorder.Remediations().Count} remediations -> {reportPath}").ConfigureAwait(false);
        return SentinelCli.Ok;
    }

    /// <summary>Runs the records at <paramref name="input"/> through a fresh pipeline and returns the source counts.</summary>
    internal static async Task<ReplayStats> ReplayAsync(string input, OtlpEncoding? format, SentinelSettings settings, PipelineRecorder recorder, CancellationToken cancellationToken)
    {
        var decoders = DecoderCache(settings.Otlp);
        var batch = new SpanBatch();
        long records = 0, spans = 0, errors = 0;
        var consumed = SentinelMetrics.RecordsConsumed.WithLabels("replay");
        await using var pipeline = SentinelPipeline.Start(new SentinelPipelineSettings
        {
            Pipeline = settings.Pipeline,
            Detection = settings.Detection,
            Remediation = settings.Remediation,
            FlagStore = null,
            Observers = [recorder],
            CanonicalDecisionOrder = true,
        });
        foreach (var record in ReplayInput.Read(input))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var offset = records++;
            consumed.Inc();
            var encoding = format ?? OtlpFormatDetector.Detect(record.Value);
            var failure = record.Value.AsSpan().Trim(" \t\r\n"u8).IsEmpty
                ? new DecodeFailure(DecodeErrorKind.Empty, "empty record")
                : new DecodeFailure(DecodeErrorKind.Malformed, "neither OTLP protobuf nor OTLP/JSON");
            if (encoding is null || !decoders(encoding.Value).TryDecode(record.Value, batch, out failure))
            {
                errors++;
                SentinelMetrics.DecodeFailures.WithLabels(DecodeFailure.KindName(failure.Kind)).Inc();
                continue;
            }

            spans += batch.Count;
            SentinelMetrics.SpansDecoded.Inc(batch.Count);
            await pipeline.Sink.AcceptAsync(new IngestedRecord(batch.ToArray(), new RecordPosition("replay", 0, offset)), cancellationToken).ConfigureAwait(false);

            // Lockstep: every actor has handled this record (traces judged, decisions made, probes told to the agents)
            // before the next one goes in. Live, the actors run concurrently and event time keeps them close; a replay
            // runs as fast as it can, so without this the incident lifecycle (which spans agents and remediation) would
            // depend on thread timing. Detection alone would not need it.
            await pipeline.DrainAsync(cancellationToken).ConfigureAwait(false);
        }

        await pipeline.Sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new ReplayStats(records, spans, errors);
    }

    /// <summary>One decoder per encoding, created on first use (an auto-detected input may mix them).</summary>
    private static Func<OtlpEncoding, ISpanDecoder> DecoderCache(OtlpDecoderOptions options)
    {
        var decoders = new Dictionary<OtlpEncoding, ISpanDecoder>();
        return encoding =>
        {
            if (!decoders.TryGetValue(encoding, out var decoder))
            {
                decoders[encoding] = decoder = OtlpDecoders.Create(encoding, options);
            }

            return decoder;
        };
    }

    private static OtlpEncoding? ParseFormat(string format) => format switch
    {
        "auto" => null,
        "otlp_proto" => OtlpEncoding.OtlpProto,
        "otlp_json" => OtlpEncoding.OtlpJson,
        _ => throw new UsageException($"--format must be auto, otlp_proto or otlp_json, not '{format}'"),
    };
}
