using System.Globalization;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Evaluation.Nab;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel eval nab [--data DIR] --out FILE.json [--threshold X] [--no-references]</c> (DIR defaults to
/// ../shared/data/nab): our streaming detector over the 58 NAB
/// streams, scored with NAB's rules in its three profiles, with NAB's optimised threshold and with a fixed one, next to
/// Numenta HTM (rescored from its published per-row scores) and our reproduction of NAB's Windowed Gaussian.
/// </summary>
internal static class EvalNabCommand
{
    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        if (args.Length > 0 && args[0] == "nab")
        {
            args = args[1..];
        }

        var options = CommandArguments.Parse(args, ["data", "out", "threshold"], ["no-references"]);
        var data = options.Get("data") ?? Path.Combine("..", "shared", "data", "nab");
        var outPath = options.Required("out");
        var threshold = NabEvaluationOptions.DefaultFixedThreshold;
        if (options.Get("threshold") is { } text
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) || !double.IsFinite(threshold)))
        {
            throw new UsageException($"--threshold must be a number, not '{text}'");
        }

        if (!Directory.Exists(data))
        {
            throw new UsageException($"--data: folder not found: {data}");
        }

        var report = await NabEvaluation.RunAsync(
            new NabEvaluationOptions { DataDirectory = data, FixedThreshold = threshold, IncludeReferences = !options.Has("no-references") },
            output,
            cancellationToken).ConfigureAwait(false);

        var directory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
        Directory.CreateDirectory(directory);
        var temporary = outPath + ".tmp";
        await using (var file = File.Create(temporary))
        {
            NabReportWriter.Write(file, report);
        }

        File.Move(temporary, outPath, overwrite: true);
        await output.WriteLineAsync($"nab report -> {outPath}").ConfigureAwait(false);
        return SentinelCli.Ok;
    }
}
