using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AgentSentinel.Cli.Tests.Support;

/// <summary>A self-signed server certificate for 127.0.0.1 and localhost, written as PEM files (what an operator configures).</summary>
internal sealed class TestCertificate
{
    private TestCertificate(string certificateFile, string keyFile)
    {
        CertificateFile = certificateFile;
        KeyFile = keyFile;
    }

    public string CertificateFile { get; }

    public string KeyFile { get; }

    public static TestCertificate Create(TempDirectory directory, string name = "server")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=agentsentinel-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        var certificateFile = directory.File(name + ".crt");
        var keyFile = directory.File(name + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new TestCertificate(certificateFile, keyFile);
    }
}
