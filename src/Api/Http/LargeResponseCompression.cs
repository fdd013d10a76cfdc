using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// gzip for large responses when the client accepts it, as kube-apiserver compresses (above 128 KiB, at gzip's fastest
/// level; kubectl and client-go ask for gzip). ASP.NET Core's response compression does the work; this provider only
/// lets it compress a response that declared its length and is at least <see cref="MinBytes"/> long. The API's writers
/// set the length of every whole body (objects, lists, Tables), so small answers go out as they are, and a stream
/// (a watch) has no length and is never compressed or buffered.
/// </summary>
public static class LargeResponseCompression
{
    public const long MinBytes = 128 * 1024;

    public static IServiceCollection AddLargeResponseCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            // Kubernetes compresses over TLS too; responses carry no secret next to attacker-chosen text in one body.
            o.EnableForHttps = true;
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = [MediaTypes.Json, MediaTypes.Yaml];
        });
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Replace(ServiceDescriptor.Singleton<IResponseCompressionProvider, SizeThreshold>());
        return services;
    }

    private sealed class SizeThreshold(IServiceProvider services, IOptions<ResponseCompressionOptions> options)
        : ResponseCompressionProvider(services, options)
    {
        public override bool ShouldCompressResponse(HttpContext context) =>
            context.Response.ContentLength >= MinBytes && base.ShouldCompressResponse(context);
    }
}
