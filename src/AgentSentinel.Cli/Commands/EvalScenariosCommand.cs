using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Hosting;
using AgentSentinel.Evaluation.Scenarios;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel eval scenarios</c>: seeded agent traffic with labelled faults and a clean fleet, through per-agent
/// detection, scored per fault kind (precision, recall, F1, delay) and for false incidents per agent-hour.
/// </summary>
internal static class EvalScenariosCommand
{
    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var arguments = CommandArguments.Parse(args, ["seed", "out", "agents", "hours", "clean-hours", "config"], []);
        var outPath = arguments.Required("out");
        var settings = SentinelSettings.Load(arguments.Get("config"));
        settings.ThrowIfInvalid(kafka: false, redis: false);
        var options = new ScenarioOptions
        {
            Seed = arguments.GetInt("seed", 1, 0, int.MaxValue),
            Agents = arguments.GetInt("agents", 24, 1, 1000),
            Hours = arguments.GetInt("hours", 24, 4, 24 * 60),
            CleanHours = arguments.GetInt("clean-hours", 24, 0, 24 * 365),
            Detection = settings.Detection,
        };
        cancellationToken.ThrowIfCancellationRequested();
        var report = ScenarioEvaluation.Run(options, output);

        var directory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
        Directory.CreateDirectory(directory);
        var temporary = outPath + ".tmp";
        await using (var file = File.Create(temporary))
        {
            ScenarioReportWriter.Write(file, report);
        }

        File.Move(temporary, outPath, overwrite: true);
        ScenarioReportWriter.WriteSummary(output, report);
        await output.WriteLineAsync($"report -> {outPath}").ConfigureAwait(false);
        return SentinelCli.Ok;
    }
}
