using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AgentSentinel.Detection.Pricing;

/// <summary>
/// Writes a catalogue in the one stable layout of <c>models/prices.json</c>: fixed key order, one line per model, models
/// ordered by id, numbers in their shortest round-trip form, LF line ends. Writing what was read gives the same catalogue;
/// writing the same catalogue twice gives the same bytes.
/// </summary>
public static class PriceCatalogueWriter
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The catalogue as JSON text.</summary>
    public static string ToJson(PriceCatalogue catalogue)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        var json = new StringBuilder();
        json.Append("{\n");
        json.Append("  \"schema\": ").Append(PriceCatalogueReader.SchemaVersion.ToString(CultureInfo.InvariantCulture)).Append(",\n");
        json.Append("  \"unit\": ").Append(Quote(PriceCatalogue.Unit)).Append(",\n");
        if (catalogue.AsOf is { } asOf)
        {
            json.Append("  \"as_of\": ").Append(Quote(Date(asOf))).Append(",\n");
        }

        if (catalogue.Source is { } source)
        {
            json.Append("  \"source\": ").Append(Quote(source)).Append(",\n");
        }

        if (catalogue.Comment is { } comment)
        {
            json.Append("  \"comment\": ").Append(Quote(comment)).Append(",\n");
        }

        json.Append("  \"models\": [\n");
        for (var i = 0; i < catalogue.Models.Count; i++)
        {
            var model = catalogue.Models[i];
            json.Append("    {\"id\": ").Append(Quote(model.Id));
            json.Append(", \"provider\": ").Append(Quote(model.Provider));
            json.Append(", \"input\": ").Append(Number(model.InputPerMillion));
            json.Append(", \"output\": ").Append(Number(model.OutputPerMillion));
            if (model.CachedInputPerMillion is { } cached)
            {
                json.Append(", \"cached_input\": ").Append(Number(cached));
            }

            if (model.CacheWritePerMillion is { } cacheWrite)
            {
                json.Append(", \"cache_write\": ").Append(Number(cacheWrite));
            }

            if (model.Aliases.Count > 0)
            {
                json.Append(", \"aliases\": [").AppendJoin(", ", model.Aliases.Select(Quote)).Append(']');
            }

            if (model.AsOf != catalogue.AsOf)
            {
                json.Append(", \"as_of\": ").Append(Quote(Date(model.AsOf)));
            }

            if (!string.Equals(model.Source, catalogue.Source, StringComparison.Ordinal))
            {
                json.Append(", \"source\": ").Append(Quote(model.Source));
            }

            if (model.Note is { } note)
            {
                json.Append(", \"note\": ").Append(Quote(note));
            }

            json.Append(i + 1 < catalogue.Models.Count ? "},\n" : "}\n");
        }

        json.Append("  ]\n}\n");
        return json.ToString();
    }

    /// <summary>Writes the catalogue to a file (UTF-8 without BOM), replacing it.</summary>
    public static void Save(PriceCatalogue catalogue, string path) =>
        File.WriteAllText(path, ToJson(catalogue), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private static string Quote(string text) => "\"" + JsonEncodedText.Encode(text, Encoder).Value + "\"";

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
