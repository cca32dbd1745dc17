using System.Globalization;
using AgentSentinel.Cli.CommandLine;
using AgentSentinel.Detection.Pricing;

namespace AgentSentinel.Cli.Commands;

/// <summary>
/// <c>agentsentinel prices check [--file models/prices.json]</c>: validate the price catalogue and print its size.
/// <c>agentsentinel prices import --litellm FILE [--file models/prices.json] [--as-of yyyy-MM-dd] [--add PROVIDER,...] [--dry-run]</c>:
/// merge LiteLLM's <c>model_prices_and_context_window.json</c> into it (see models/README.md).
/// An invalid catalogue prints every problem, by JSON path, and exits with 2.
/// </summary>
internal static class PricesCommand
{
    public const string DefaultFile = "models/prices.json";

    public static async Task<int> ExecuteAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw new UsageException("prices needs a subcommand: check or import");
        }

        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "check" => await CheckAsync(rest, output).ConfigureAwait(false),
                "import" => await ImportAsync(rest, output, cancellationToken).ConfigureAwait(false),
                _ => throw new UsageException($"unknown prices subcommand '{args[0]}' (check or import)"),
            };
        }
        catch (PriceCatalogueException e)
        {
            await output.WriteLineAsync("price catalogue is invalid:").ConfigureAwait(false);
            foreach (var error in e.Errors)
            {
                await output.WriteLineAsync("  " + error).ConfigureAwait(false);
            }

            return SentinelCli.UsageError;
        }
    }

    private static async Task<int> CheckAsync(string[] args, TextWriter output)
    {
        var options = CommandArguments.Parse(args, ["file"], []);
        var file = options.Get("file") ?? DefaultFile;
        var catalogue = PriceCatalogue.Load(file);
        var providers = catalogue.Models.Select(m => m.Provider).Distinct(StringComparer.Ordinal).Count();
        var oldest = catalogue.Models.Min(m => m.AsOf);
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{file}: valid, {catalogue.Count} models from {providers} providers, oldest price as of {oldest:yyyy-MM-dd}")).ConfigureAwait(false);
        return SentinelCli.Ok;
    }

    private static async Task<int> ImportAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = CommandArguments.Parse(args, ["litellm", "file", "as-of", "add"], ["dry-run"]);
        var litellm = options.Required("litellm");
        var file = options.Get("file") ?? DefaultFile;
        var asOf = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
        if (options.Get("as-of") is { } asOfText
            && !DateOnly.TryParseExact(asOfText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out asOf))
        {
            throw new UsageException($"--as-of must be a date yyyy-MM-dd, not '{asOfText}'");
        }

        var add = (options.Get("add") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var current = PriceCatalogue.Load(file);
        byte[] source;
        try
        {
            source = await File.ReadAllBytesAsync(litellm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--litellm: cannot read {litellm}: {e.Message}");
        }

        var result = LiteLlmPriceImporter.Merge(current, source, new LiteLlmImportOptions { AsOf = asOf, AddProviders = add });
        await WriteSectionAsync(output, "updated", result.Updated).ConfigureAwait(false);
        await WriteSectionAsync(output, "added", result.Added).ConfigureAwait(false);
        await WriteSectionAsync(output, "not in LiteLLM (kept)", result.NotFound).ConfigureAwait(false);
        await WriteSectionAsync(output, "LiteLLM records skipped", result.Skipped).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{result.Updated.Count} updated, {result.Added.Count} added, {result.Unchanged.Count} unchanged, {result.NotFound.Count} not in LiteLLM; {result.Catalogue.Count} models"))
            .ConfigureAwait(false);
        if (options.Has("dry-run"))
        {
            await output.WriteLineAsync($"dry run: {file} not written").ConfigureAwait(false);
        }
        else
        {
            PriceCatalogueWriter.Save(result.Catalogue, file);
            await output.WriteLineAsync($"wrote {file}").ConfigureAwait(false);
        }

        return SentinelCli.Ok;
    }

    private static async Task WriteSectionAsync(TextWriter output, string title, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        await output.WriteLineAsync($"{title} ({lines.Count}):").ConfigureAwait(false);
        foreach (var line in lines)
        {
            await output.WriteLineAsync("  " + line).ConfigureAwait(false);
        }
    }
}
