namespace ClusterRegistry.Crinit.Pki;

/// <summary>A PEM certificate and its PEM (PKCS#1, as the original wrote) private key.</summary>
public sealed record IssuedCertificate(string CertificatePem, string KeyPem);
