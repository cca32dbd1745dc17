using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// Per-model token prices (USD per million tokens) read from <c>models/prices.json</c>, and the cost of a span priced
/// with them. Immutable and safe to share between threads; lookups allocate nothing.
/// </summary>
/// <remarks>
/// A model string is resolved, ignoring case, by the first of:
/// <list type="number">
/// <item>an exact id or alias (<c>gpt-4o-2024-05-13</c> has its own entry);</item>
/// <item>the same after dropping where it is served (<c>openai/</c>, <c>models/</c>, Vertex paths and <c>@version</c>,
/// Bedrock's <c>us.anthropic.</c>), then after dropping trailing release markers one at a time (<c>-v2:0</c>,
/// <c>-20241022</c>, <c>-2024-08-06</c>, <c>-latest</c>, <c>-preview-05-20</c>, <c>-001</c>);</item>
/// <item>the longest id or alias that is a prefix of what remains, ending before a <c>-</c> or <c>:</c> that is followed
/// by a name, never a number: <c>gpt-4o-audio-preview</c> is priced as <c>gpt-4o</c>, but <c>claude-opus-4-9</c> is not
/// priced as <c>claude-opus-4</c>, nor <c>gpt-4-32k</c> as <c>gpt-4</c>.</item>
/// </list>
/// </remarks>
public sealed class PriceCatalogue
{
    /// <summary>The manifest resource name under which the Detection assembly carries <c>models/prices.json</c>.</summary>
    public const string ResourceName = "AgentSentinel.Detection.Pricing.prices.json";

    /// <summary>The only unit a catalogue file may declare.</summary>
    public const string Unit = "USD per 1M tokens";

    private static readonly Lazy<PriceCatalogue> DefaultCatalogue = new(LoadDefault);

    private readonly FrozenDictionary<string, ModelPrice> _byName;
    private readonly FrozenDictionary<string, ModelPrice>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    internal PriceCatalogue(IReadOnlyList<ModelPrice> models, DateOnly? asOf, string? source, string? comment)
    {
        Models = models;
        AsOf = asOf;
        Source = source;
        Comment = comment;
        var names = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in models)
        {
            names[model.Id] = model;
            foreach (var alias in model.Aliases)
            {
                names[alias] = model;
            }
        }

        _byName = names.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _bySpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// The catalogue shipped inside the Detection assembly (a copy of the repository's <c>models/prices.json</c>), else
    /// <c>models/prices.json</c> beside the application. Loaded once, on first use.
    /// </summary>
    public static PriceCatalogue Default => DefaultCatalogue.Value;

    /// <summary>Every entry, ordered by id (ordinal).</summary>
    public IReadOnlyList<ModelPrice> Models { get; }

    /// <summary>Number of entries.</summary>
    public int Count => Models.Count;

    /// <summary>The file's <c>as_of</c>: the date of entries that give none.</summary>
    public DateOnly? AsOf { get; }

    /// <summary>The file's <c>source</c>: the source of entries that give none.</summary>
    public string? Source { get; }

    /// <summary>The file's <c>comment</c>, kept so that rewriting the file keeps it.</summary>
    public string? Comment { get; }

    /// <summary>Reads and validates a catalogue file.</summary>
    /// <exception cref="PriceCatalogueException">The file is malformed or an entry is invalid; every problem is listed, prefixed with the path.</exception>
    public static PriceCatalogue Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PriceCatalogueException($"{path}: cannot read the price catalogue: {e.Message}", e);
        }

        return PriceCatalogueReader.Parse(bytes, path);
    }

    /// <summary>Reads and validates a catalogue from UTF-8 JSON; <paramref name="sourceName"/> prefixes error messages.</summary>
    /// <exception cref="PriceCatalogueException">The JSON is malformed or an entry is invalid.</exception>
    public static PriceCatalogue Load(Stream utf8Json, string sourceName = "prices.json")
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var buffer = new MemoryStream();
        utf8Json.CopyTo(buffer);
        return PriceCatalogueReader.Parse(buffer.ToArray(), sourceName);
    }

    /// <summary>Reads and validates a catalogue from a JSON string.</summary>
    /// <exception cref="PriceCatalogueException">The JSON is malformed or an entry is invalid.</exception>
    public static PriceCatalogue Parse(string json, string sourceName = "prices.json") =>
        PriceCatalogueReader.Parse(System.Text.Encoding.UTF8.GetBytes(json), sourceName);

    /// <summary>
    /// Builds a catalogue from entries, with the same validation as a file (ids and aliases unique ignoring case, prices
    /// finite and not negative). Entries are ordered by id.
    /// </summary>
    /// <exception cref="PriceCatalogueException">An entry is invalid.</exception>
    public static PriceCatalogue Create(IEnumerable<ModelPrice> models, DateOnly? asOf = null, string? source = null, string? comment = null) =>
        PriceCatalogueReader.Validate([.. models], asOf, source, comment, "catalogue");

    /// <summary>The entry for a model string (see the class remarks for the resolution), or null.</summary>
    public ModelPrice? Find(string? model) => model is null ? null : Find(model.AsSpan());

    /// <summary>The entry for a model string, or null. Allocates nothing.</summary>
    public ModelPrice? Find(ReadOnlySpan<char> model) => Resolve(model, out _);

    /// <summary>The entry for a model string. Allocates nothing.</summary>
    public bool TryFind(ReadOnlySpan<char> model, [NotNullWhen(true)] out ModelPrice? price)
    {
        price = Resolve(model, out _);
        return price is not null;
    }

    /// <summary>
    /// The cost of a model call priced from its tokens: the response model's price, else the request model's. Cached
    /// input tokens are part of the input tokens and charged at the cached rate; reasoning tokens are part of the output
    /// tokens (see <see cref="ModelPrice.Cost"/>). The span's own <see cref="AgentSpan.CostUsd"/> is not consulted:
    /// callers prefer a reported cost. Allocates nothing.
    /// </summary>
    /// <returns>False when the span reports neither input nor output tokens, or names no model in the catalogue.</returns>
    public bool TryGetCost(in AgentSpan span, out double usd)
    {
        usd = 0;
        if (span.InputTokens is null && span.OutputTokens is null)
        {
            return false;
        }

        var price = Find(span.ResponseModel) ?? Find(span.RequestModel);
        if (price is null)
        {
            return false;
        }

        usd = price.Cost(span.InputTokens ?? 0, span.OutputTokens ?? 0, span.CachedInputTokens ?? 0);
        return true;
    }

    /// <summary>Resolves a model string and says how (the importer accepts only exact and normalised matches).</summary>
    internal ModelPrice? Resolve(ReadOnlySpan<char> model, out PriceMatch match)
    {
        match = PriceMatch.None;
        model = model.Trim();
        if (model.IsEmpty)
        {
            return null;
        }

        if (_bySpan.TryGetValue(model, out var price))
        {
            match = PriceMatch.Exact;
            return price;
        }

        var name = ModelNames.StripProvider(model);
        while (true)
        {
            if (_bySpan.TryGetValue(name, out price))
            {
                match = PriceMatch.Normalised;
                return price;
            }

            if (!ModelNames.TryStripVersion(name, out name))
            {
                break;
            }
        }

        for (var i = name.Length - 2; i > 0; i--)
        {
            if (ModelNames.IsPrefixBoundary(name, i) && _bySpan.TryGetValue(name[..i], out price))
            {
                match = PriceMatch.Prefix;
                return price;
            }
        }

        return null;
    }

    private static PriceCatalogue LoadDefault()
    {
        var assembly = typeof(PriceCatalogue).Assembly;
        using (var stream = assembly.GetManifestResourceStream(ResourceName))
        {
            if (stream is not null)
            {
                return Load(stream, $"{assembly.GetName().Name}:{ResourceName}");
            }
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "models", "prices.json");
        return File.Exists(beside)
            ? Load(beside)
            : throw new PriceCatalogueException(
                $"no price catalogue: the resource {ResourceName} is missing from {assembly.GetName().Name} and {beside} does not exist");
    }
}

/// <summary>How a model string was resolved.</summary>
internal enum PriceMatch
{
    None,
    Exact,
    Normalised,
    Prefix,
}
