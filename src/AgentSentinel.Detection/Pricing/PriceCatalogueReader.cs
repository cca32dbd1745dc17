using System.Globalization;
using System.Text.Json;

namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// Parses and validates the catalogue file. Every problem is collected (not only the first), each naming the JSON path
/// and, inside <c>models</c>, the entry's id: <c>prices.json: $.models[3].input (gpt-4o): must be a number ≥ 0</c>.
/// </summary>
internal static class PriceCatalogueReader
{
    public const int SchemaVersion = 1;

    /// <summary>Non-zero prices below this are per-token prices pasted into a per-million file.</summary>
    public const double SmallestPlausiblePrice = 0.0001;

    private static readonly string[] RootKeys = ["schema", "unit", "as_of", "source", "comment", "models"];

    private static readonly string[] EntryKeys =
        ["id", "provider", "aliases", "input", "output", "cached_input", "cache_write", "as_of", "source", "note"];

    public static PriceCatalogue Parse(byte[] utf8Json, string sourceName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new PriceCatalogueException(
                $"{sourceName}: not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {e.Message}", e);
        }

        using (document)
        {
            var errors = new List<string>();
            var models = new List<ModelPrice>();
            DateOnly? asOf = null;
            string? source = null, comment = null;
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PriceCatalogueException($"{sourceName}: $: must be a JSON object");
            }

            CheckKeys(root, "$", null, RootKeys, errors);
            if (!root.TryGetProperty("schema", out var schema))
            {
                errors.Add($"$.schema: missing (expected {SchemaVersion})");
            }
            else if (schema.ValueKind != JsonValueKind.Number || !schema.TryGetInt32(out var version) || version != SchemaVersion)
            {
                errors.Add($"$.schema: unsupported schema {schema.GetRawText()} (expected {SchemaVersion})");
            }

            if (!root.TryGetProperty("unit", out var unit))
            {
                errors.Add($"$.unit: missing (expected \"{PriceCatalogue.Unit}\")");
            }
            else if (unit.ValueKind != JsonValueKind.String || unit.GetString() != PriceCatalogue.Unit)
            {
                errors.Add($"$.unit: must be \"{PriceCatalogue.Unit}\", not {unit.GetRawText()}");
            }

            if (root.TryGetProperty("as_of", out var asOfElement))
            {
                asOf = ReadDate(asOfElement, "$.as_of", null, errors);
            }

            if (root.TryGetProperty("source", out var sourceElement))
            {
                source = ReadText(sourceElement, "$.source", null, errors);
            }

            if (root.TryGetProperty("comment", out var commentElement))
            {
                comment = ReadText(commentElement, "$.comment", null, errors);
            }

            if (!root.TryGetProperty("models", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                errors.Add("$.models: missing, or not an array");
            }
            else
            {
                var index = 0;
                foreach (var element in array.EnumerateArray())
                {
                    if (ReadEntry(element, $"$.models[{index}]", asOf, source, errors) is { } model)
                    {
                        models.Add(model);
                    }

                    index++;
                }
            }

            if (errors.Count > 0)
            {
                throw new PriceCatalogueException([.. errors.Select(e => $"{sourceName}: {e}")]);
            }

            return Validate(models, asOf, source, comment, sourceName);
        }
    }

    /// <summary>Checks what holds across entries (unique names, at least one entry) and builds the catalogue.</summary>
    public static PriceCatalogue Validate(List<ModelPrice> models, DateOnly? asOf, string? source, string? comment, string sourceName)
    {
        var errors = new List<string>();
        if (models.Count == 0)
        {
            errors.Add("$.models: no entries");
        }

        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            CheckEntry(model, $"$.models[{i}]", errors);
            Claim(model.Id, $"$.models[{i}].id", model.Id);
            for (var a = 0; a < model.Aliases.Count; a++)
            {
                Claim(model.Aliases[a], $"$.models[{i}].aliases[{a}]", model.Id);
            }
        }

        if (errors.Count > 0)
        {
            throw new PriceCatalogueException([.. errors.Select(e => $"{sourceName}: {e}")]);
        }

        // Copies, so that nobody holding the inputs can change the catalogue.
        var sorted = models
            .Select(m => m with { Aliases = Array.AsReadOnly(m.Aliases.ToArray()) })
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToArray();
        return new PriceCatalogue(Array.AsReadOnly(sorted), asOf, source, comment);

        void Claim(string name, string path, string id)
        {
            if (!owners.TryAdd(name, id))
            {
                errors.Add($"{path} ({id}): \"{name}\" is already the id or an alias of {owners[name]}");
            }
        }
    }

    private static ModelPrice? ReadEntry(JsonElement element, string path, DateOnly? fileAsOf, string? fileSource, List<string> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: must be an object, not {element.ValueKind.ToString().ToLowerInvariant()}");
            return null;
        }

        var before = errors.Count;
        string? id = null;
        if (element.TryGetProperty("id", out var idElement))
        {
            id = ReadText(idElement, $"{path}.id", null, errors);
        }
        else
        {
            errors.Add($"{path}.id: missing");
        }

        var label = id ?? "no id";
        CheckKeys(element, path, label, EntryKeys, errors);
        var provider = Required(element, "provider", path, label, errors, ReadText);
        var input = Required(element, "input", path, label, errors, ReadPrice);
        var output = Required(element, "output", path, label, errors, ReadPrice);
        var cached = Optional(element, "cached_input", path, label, errors, ReadPrice);
        var cacheWrite = Optional(element, "cache_write", path, label, errors, ReadPrice);
        var asOf = Optional(element, "as_of", path, label, errors, ReadDate) ?? fileAsOf;
        var source = Optional(element, "source", path, label, errors, ReadText) ?? fileSource;
        var note = Optional(element, "note", path, label, errors, ReadText);
        var aliases = new List<string>();
        if (element.TryGetProperty("aliases", out var aliasArray))
        {
            if (aliasArray.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"{path}.aliases ({label}): must be an array of strings");
            }
            else
            {
                var a = 0;
                foreach (var alias in aliasArray.EnumerateArray())
                {
                    if (ReadText(alias, $"{path}.aliases[{a}]", label, errors) is { } text)
                    {
                        aliases.Add(text);
                    }

                    a++;
                }
            }
        }

        if (asOf is null && !element.TryGetProperty("as_of", out _))
        {
            errors.Add($"{path}.as_of ({label}): missing, and the file gives no as_of");
        }

        if (source is null && !element.TryGetProperty("source", out _))
        {
            errors.Add($"{path}.source ({label}): missing, and the file gives no source");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ModelPrice
        {
            Id = id!,
            Provider = provider!,
            Aliases = aliases,
            InputPerMillion = input!.Value,
            OutputPerMillion = output!.Value,
            CachedInputPerMillion = cached,
            CacheWritePerMillion = cacheWrite,
            AsOf = asOf!.Value,
            Source = source!,
            Note = note,
        };
    }

    private static void CheckEntry(ModelPrice model, string path, List<string> errors)
    {
        var label = string.IsNullOrWhiteSpace(model.Id) ? "no id" : model.Id;
        CheckName(model.Id, $"{path}.id", label, errors);
        for (var a = 0; a < model.Aliases.Count; a++)
        {
            CheckName(model.Aliases[a], $"{path}.aliases[{a}]", label, errors);
        }

        if (string.IsNullOrWhiteSpace(model.Provider))
        {
            errors.Add($"{path}.provider ({label}): must not be empty");
        }

        if (string.IsNullOrWhiteSpace(model.Source))
        {
            errors.Add($"{path}.source ({label}): must not be empty");
        }

        CheckPrice(model.InputPerMillion, $"{path}.input", label, errors);
        CheckPrice(model.OutputPerMillion, $"{path}.output", label, errors);
        CheckPrice(model.CachedInputPerMillion, $"{path}.cached_input", label, errors);
        CheckPrice(model.CacheWritePerMillion, $"{path}.cache_write", label, errors);
    }

    private static void CheckName(string? name, string path, string label, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace))
        {
            errors.Add($"{path} ({label}): must be a non-empty name without spaces, not \"{name}\"");
        }
    }

    private static void CheckPrice(double? price, string path, string label, List<string> errors)
    {
        if (price is not { } value)
        {
            return;
        }

        if (!double.IsFinite(value) || value < 0)
        {
            errors.Add($"{path} ({label}): must be a number >= 0 (USD per 1M tokens), not {value.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (value > 0 && value < SmallestPlausiblePrice)
        {
            errors.Add(
                $"{path} ({label}): {value.ToString(CultureInfo.InvariantCulture)} looks like a price per token; this file is in USD per 1M tokens");
        }
    }

    private static void CheckKeys(JsonElement element, string path, string? label, string[] known, List<string> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var where = label is null ? $"{path}.{property.Name}" : $"{path}.{property.Name} ({label})";
            if (Array.IndexOf(known, property.Name) < 0)
            {
                errors.Add($"{where}: unknown key (expected one of {string.Join(", ", known)})");
            }
            else if (!seen.Add(property.Name))
            {
                errors.Add($"{where}: given twice");
            }
        }
    }

    private static T? Required<T>(JsonElement entry, string key, string path, string label, List<string> errors, Func<JsonElement, string, string?, List<string>, T?> read)
    {
        if (entry.TryGetProperty(key, out var value))
        {
            return read(value, $"{path}.{key}", label, errors);
        }

        errors.Add($"{path}.{key} ({label}): missing");
        return default;
    }

    private static T? Optional<T>(JsonElement entry, string key, string path, string label, List<string> errors, Func<JsonElement, string, string?, List<string>, T?> read) =>
        entry.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? read(value, $"{path}.{key}", label, errors) : default;

    private static string Where(string path, string? label) => label is null ? path : $"{path} ({label})";

    private static string? ReadText(JsonElement value, string path, string? label, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text && !string.IsNullOrWhiteSpace(text))
        {
            return text;
        }

        errors.Add($"{Where(path, label)}: must be a non-empty string, not {value.GetRawText()}");
        return null;
    }

    private static double? ReadPrice(JsonElement value, string path, string? label, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var price) && double.IsFinite(price) && price >= 0)
        {
            if (price > 0 && price < SmallestPlausiblePrice)
            {
                errors.Add($"{Where(path, label)}: {value.GetRawText()} looks like a price per token; this file is in USD per 1M tokens");
                return null;
            }

            return price;
        }

        errors.Add($"{Where(path, label)}: must be a number >= 0 (USD per 1M tokens), not {value.GetRawText()}");
        return null;
    }

    private static DateOnly? ReadDate(JsonElement value, string path, string? label, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        errors.Add($"{Where(path, label)}: must be a date \"yyyy-MM-dd\", not {value.GetRawText()}");
        return null;
    }
}
