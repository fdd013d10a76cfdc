using System.Net;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>Waits for a server's /readyz, as a readiness probe would, failing fast when the server is gone.</summary>
public static class Readyz
{
    /// <summary>
    /// Polls <paramref name="url"/>/readyz (any certificate) until it answers 200. After each miss
    /// <paramref name="gone"/> says why the server cannot come up any more (null while it still may); that, or 90
    /// s without an answer, fails the test with the text from <paramref name="describe"/>.
    /// </summary>
    public static async Task WaitAsync(string url, Func<Task<string?>> gone, Func<Task<string>> describe)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url + "/readyz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            var why = await gone();
            if (why is not null || DateTime.UtcNow > deadline)
                Assert.Fail($"not ready at {url}/readyz ({why ?? "timed out"}):\n{await describe()}");
            await Task.Delay(250);
        }
    }
}
