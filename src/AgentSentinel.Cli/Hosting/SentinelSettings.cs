using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AgentSentinel.Actors;
using AgentSentinel.Detection;
using AgentSentinel.Kafka;
using AgentSentinel.Otlp;
using AgentSentinel.Alerting;
using AgentSentinel.Cli.Admin;
using AgentSentinel.Redis.Flags;
using AgentSentinel.Remediation.Policies;
using Microsoft.Extensions.Configuration;

namespace AgentSentinel.Cli.Hosting;

/// <summary>A configuration that cannot start the service; the message lists every problem, each naming its key.</summary>
internal sealed class ConfigurationException(string message) : Exception(message);

/// <summary>Where the metrics, health and admin endpoints listen, and whether over TLS.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    public string Host { get; set; } = "0.0.0.0";

    public int Port { get; set; } = 9464;

    /// <summary>A PEM file whose first certificate is the server's: set with <see cref="TlsKeyFile"/>, the endpoint serves HTTPS only.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertificateFile"/> (PKCS#8, PKCS#1 or SEC1, unencrypted).</summary>
    public string? TlsKeyFile { get; set; }

    public bool UsesTls => !string.IsNullOrWhiteSpace(TlsCertificateFile);

    /// <summary>Whether only this host can reach the endpoint (a loopback address).</summary>
    public bool IsLoopbackOnly => Host is "localhost" || (IPAddress.TryParse(Host, out var address) && IPAddress.IsLoopback(address));

    public IEnumerable<string> Validate()
    {
        if (Port is < 0 or > 65535)
        {
            yield return $"{SectionName}:Port must be between 0 and 65535 (0 picks a free port)";
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return $"{SectionName}:Host is required";
        }
        else if (Host is not ("*" or "localhost") && !IPAddress.TryParse(Host, out _))
        {
            yield return $"{SectionName}:Host must be an IP address, '*' or 'localhost' (was '{Host}')";
        }

        var hasCertificate = !string.IsNullOrWhiteSpace(TlsCertificateFile);
        var hasKey = !string.IsNullOrWhiteSpace(TlsKeyFile);
        if (hasCertificate != hasKey)
        {
            yield return hasCertificate
                ? $"{SectionName}:TlsKeyFile is required with {SectionName}:TlsCertificateFile"
                : $"{SectionName}:TlsCertificateFile is required with {SectionName}:TlsKeyFile";
        }
        else if (hasCertificate)
        {
            using var loaded = TryLoadCertificate(out var error);
            if (loaded is null)
            {
                yield return error!;
            }
        }
    }

    /// <summary>Loads the TLS certificate with its key; <see cref="Validate"/> has checked that it can.</summary>
    public X509Certificate2 LoadCertificate() =>
        TryLoadCertificate(out var error) ?? throw new ConfigurationException(error!);

    private X509Certificate2? TryLoadCertificate(out string? error)
    {
        error = null;
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(TlsCertificateFile!, TlsKeyFile);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                error = $"{SectionName}:TlsKeyFile: {TlsKeyFile} holds no private key for {TlsCertificateFile}";
                return null;
            }

            return certificate;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{SectionName}:TlsCertificateFile/TlsKeyFile cannot be read: {e.Message}";
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            error = $"{SectionName}:TlsCertificateFile/TlsKeyFile is not a PEM certificate with its matching private key: {e.Message}";
        }

        return null;
    }
}

/// <summary>
/// Every component's options, bound from one configuration (a JSON file, then environment variables
/// <c>AGENTSENTINEL__Section__Key</c>) and validated together: startup fails with every problem listed by key.
/// Defaults live in the options classes; an empty configuration is valid except where a connection is required.
/// </summary>
internal sealed class SentinelSettings
{
    public const string EnvironmentPrefix = "AGENTSENTINEL__";

    public OtlpDecoderOptions Otlp { get; } = new();
    public KafkaReceiverOptions Kafka { get; } = new();
    public RedisFlagStoreOptions Redis { get; } = new();
    public DetectionOptions Detection { get; } = new();
    public RemediationOptions Remediation { get; } = new();
    public PipelineOptions Pipeline { get; } = new();
    public MetricsOptions Metrics { get; } = new();
    public AlertmanagerOptions Alertmanager { get; } = new();
    public AdminOptions Admin { get; } = new();

    /// <summary>Loads and binds; throws <see cref="ConfigurationException"/> naming the key of anything that does not bind.</summary>
    public static SentinelSettings Load(string? configFile, bool includeEnvironment = true)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new ConfigurationException($"--config {configFile}: no such file");
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        if (includeEnvironment)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationException($"{configFile}: {e.Message}");
        }

        var settings = new SentinelSettings();
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Bind(configuration, OtlpDecoderOptions.SectionName, settings.Otlp, known);
        Bind(configuration, KafkaReceiverOptions.SectionName, settings.Kafka, known);
        Bind(configuration, RedisFlagStoreOptions.SectionName, settings.Redis, known);
        Bind(configuration, DetectionOptions.SectionName, settings.Detection, known);
        Bind(configuration, RemediationOptions.SectionName, settings.Remediation, known);
        Bind(configuration, PipelineOptions.SectionName, settings.Pipeline, known);
        Bind(configuration, MetricsOptions.SectionName, settings.Metrics, known);
        Bind(configuration, AlertmanagerOptions.SectionName, settings.Alertmanager, known);
        Bind(configuration, AdminOptions.SectionName, settings.Admin, known);
        var unknown = configuration.GetChildren().Select(c => c.Key).Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ConfigurationException(string.Join('\n', unknown.Select(k => $"{k}: unknown section (known: {string.Join(", ", known)})")));
        }

        // A relative policy file is relative to the configuration file that names it (both ship side by side).
        if (configFile is not null && settings.Remediation.PolicyFile is { Length: > 0 } policy && !Path.IsPathRooted(policy))
        {
            settings.Remediation.PolicyFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configFile))!, policy);
        }

        return settings;
    }

    /// <summary>Every validation error of the components a command uses, each naming its key.</summary>
    public IReadOnlyList<string> Validate(bool kafka, bool redis)
    {
        var errors = new List<string>();
        errors.AddRange(Otlp.Validate());
        errors.AddRange(Detection.Validate());
        errors.AddRange(Remediation.Validate());
        errors.AddRange(Pipeline.Validate());
        errors.AddRange(Metrics.Validate());
        errors.AddRange(Alertmanager.Validate());
        errors.AddRange(Admin.Validate());
        errors.AddRange(ValidatePolicies());
        if (kafka)
        {
            errors.AddRange(Kafka.Validate());
        }

        if (redis)
        {
            errors.AddRange(Redis.Validate());
        }

        return errors;
    }

    /// <summary>The policy file's own problems, each prefixed with the key that names the file.</summary>
    private IEnumerable<string> ValidatePolicies()
    {
        if (Remediation.PolicyFile is not { Length: > 0 } path || !File.Exists(path))
        {
            return []; // a missing file is reported by Remediation.Validate
        }

        try
        {
            PolicyLoader.LoadFile(path);
            return [];
        }
        catch (PolicyValidationException e)
        {
            return e.Errors.Select(error => $"{RemediationOptions.SectionName}:{nameof(RemediationOptions.PolicyFile)} ({path}): {error}");
        }
        catch (IOException e)
        {
            return [$"{RemediationOptions.SectionName}:{nameof(RemediationOptions.PolicyFile)} ({path}): {e.Message}"];
        }
    }

    public void ThrowIfInvalid(bool kafka, bool redis)
    {
        var errors = Validate(kafka, redis);
        if (errors.Count > 0)
        {
            throw new ConfigurationException(string.Join('\n', errors.Select(e => "  " + e)));
        }
    }

    private static void Bind(IConfiguration configuration, string section, object options, HashSet<string> known)
    {
        known.Add(section);
        try
        {
            configuration.GetSection(section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key path ("Failed to convert configuration value at 'Kafka:MaxInFlightRecords' ...").
            throw new ConfigurationException($"  {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty)}");
        }
    }
}
