using AgentSentinel.Cli;

return await SentinelCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
