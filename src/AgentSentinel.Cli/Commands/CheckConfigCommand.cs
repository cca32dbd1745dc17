using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Cli.Hosting;

namespace AgentSentinel.Cli.Commands;

/// <summary><c>agentsentinel check-config --config FILE</c>: the same binding and validation as <c>run</c>, then exit.</summary>
internal static class CheckConfigCommand
{
    public static int Execute(string[] args, TextWriter output)
    {
        var options = CommandArguments.Parse(args, ["config"], []);
        var settings = SentinelSettings.Load(options.Required("config"));
        settings.ThrowIfInvalid(kafka: true, redis: true);
        output.WriteLine("configuration is valid");
        return SentinelCli.Ok;
    }
}
