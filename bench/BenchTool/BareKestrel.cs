using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BenchTool;

/// <summary>The reference: Kestrel over HTTPS writing a constant 1 KB JSON document, nothing else.</summary>
public static class BareKestrel
{
    public static async Task<int> RunAsync(int port)
    {
        var body = Body();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = SelfSigned();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.Run(async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.RunAsync();
        return 0;
    }

    private static byte[] Body()
    {
        var text = new StringBuilder("{\"kind\":\"Cluster\",\"padding\":\"");
        while (text.Length < 1022) text.Append('x');
        return Encoding.UTF8.GetBytes(text.Append("\"}").ToString());
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
