using System.Net;
using Microsoft.AspNetCore.Http;

namespace ClusterRegistry.Tests.Http;

/// <summary>Small places where the HTTP edge must answer as kube-apiserver does.</summary>
public sealed class EdgeConformanceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Watch_FromAResourceVersionFarInTheFuture_Returns504TooLargeResourceVersion()
    {
        using var response = await _http.GetAsync(Api.Collection + "?watch=true&resourceVersion=999999999");

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.GatewayTimeout, "Timeout");
        Assert.StartsWith("Too large resource version", Api.Message(status), StringComparison.Ordinal);
        Assert.Equal("ResourceVersionTooLarge", status.GetProperty("details").GetProperty("causes")[0].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("Bearer  {0}")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    public async Task BearerHeaderWithoutATokenInItsPlace_Returns401(string format)
    {
        var header = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, fixture.Server.Token);

        // Written onto the request as it is: HttpClient would normalise the spacing this test is about.
        var http = await fixture.Server.SendRawAsync(request =>
        {
            request.Request.Method = "GET";
            request.Request.Path = Api.Collection;
            request.Request.Headers.Authorization = header;
        });

        Assert.Equal(StatusCodes.Status401Unauthorized, http.Response.StatusCode);
    }
}
