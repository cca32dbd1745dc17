using System.Text.Encodings.Web;
using System.Text.Json;

namespace AgentSentinel.Evaluation.Nab;

/// <summary>
/// Writes a <see cref="NabReport"/> as indented JSON. Deterministic: the same report gives the same bytes (fixed key
/// order, scores rounded to 6 decimals, no timings or paths).
/// </summary>
public static class NabReportWriter
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="stream"/> as UTF-8 JSON.</summary>
    public static void Write(Stream stream, NabReport report)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("benchmark", "Numenta Anomaly Benchmark (NAB v1.1 scoring)");
        json.WriteString("detector", report.Detector);
        json.WriteStartObject("corpus");
        json.WriteNumber("files", report.Files);
        json.WriteNumber("rows", report.Rows);
        json.WriteNumber("windows", report.Windows);
        json.WriteEndObject();

        json.WriteStartObject("detector_settings");
        foreach (var (name, value) in report.DetectorSettings)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();

        if (report.FixedThreshold is { } fixedThreshold)
        {
            json.WriteStartObject("fixed_threshold");
            json.WriteNumber("threshold", fixedThreshold);
            json.WriteString("basis", report.FixedThresholdBasis);
            json.WriteEndObject();
        }

        json.WriteStartObject("scores");
        WriteProfiles(json, report.Profiles);
        json.WriteEndObject();

        json.WriteStartObject("references");
        foreach (var reference in report.References)
        {
            json.WriteStartObject(reference.Name);
            json.WriteString("source", reference.Source);
            WriteProfiles(json, reference.Profiles);
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartObject("published_scoreboard");
        foreach (var (detector, profiles) in report.Published.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(detector);
            foreach (var (profile, score) in profiles.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteNumber(profile, Round(score, 2));
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartArray("files_standard_profile");
        foreach (var file in report.FileResults)
        {
            json.WriteStartObject();
            json.WriteString("file", file.File);
            json.WriteNumber("rows", file.Rows);
            json.WriteNumber("windows", file.Windows);
            WriteScore(json, "optimized", file.Optimized);
            if (file.Fixed is { } atFixed)
            {
                WriteScore(json, "fixed", atFixed);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteProfiles(Utf8JsonWriter json, IReadOnlyList<NabProfileResults> profiles)
    {
        foreach (var profile in profiles)
        {
            json.WriteStartObject(profile.Profile.Name);
            WriteResult(json, "optimized", profile.Optimized);
            if (profile.Fixed is { } atFixed)
            {
                WriteResult(json, "fixed", atFixed);
            }

            json.WriteEndObject();
        }
    }

    private static void WriteResult(Utf8JsonWriter json, string name, NabProfileResult result)
    {
        json.WriteStartObject(name);
        json.WriteNumber("threshold", result.Threshold);
        json.WriteNumber("normalized_score", Round(result.NormalizedScore, 4));
        json.WriteNumber("raw_score", Round(result.RawScore, 6));
        WriteCounts(json, result.Counts);
        json.WriteEndObject();
    }

    private static void WriteScore(Utf8JsonWriter json, string name, NabScore score)
    {
        json.WriteStartObject(name);
        json.WriteNumber("raw_score", Round(score.Score, 6));
        WriteCounts(json, score);
        json.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter json, NabScore score)
    {
        json.WriteNumber("windows_detected", score.WindowsDetected);
        json.WriteNumber("tp", score.TruePositives);
        json.WriteNumber("fp", score.FalsePositives);
        json.WriteNumber("fn", score.FalseNegatives);
        json.WriteNumber("tn", score.TrueNegatives);
    }

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.ToEven);
}
