using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace BenchTool;

/// <summary>
/// hey for requests that must differ from one another (hey sends one URL and one body): request <c>i</c> of
/// <c>n</c> has every <c>{i}</c> in the URL and the body replaced by <c>i</c>, so each delete removes its own object and
/// each apply changes something. <c>concurrency</c> clients on as many keep-alive HTTP/1.1 connections, as hey -c. Prints
/// one line in bench/run.sh's format: req/s, p50, p99 and the count of each status code.
/// </summary>
public static class Load
{
    public static async Task<int> RunAsync(string method, string url, string token, string contentType, string body, int n, int concurrency)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var verb = new HttpMethod(method);
        var latencies = new double[n];
        var codes = new ConcurrentDictionary<int, int>();
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                using var request = new HttpRequestMessage(verb, url.Replace("{i}", index, StringComparison.Ordinal));
                if (body.Length > 0)
                {
                    request.Content = new StringContent(body.Replace("{i}", index, StringComparison.Ordinal), Encoding.UTF8);
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                }
                var start = Stopwatch.GetTimestamp();
                int code;
                try
                {
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    code = (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    code = 0;
                }
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                codes.AddOrUpdate(code, 1, (_, c) => c + 1);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        var counts = string.Join(" ", codes.OrderBy(c => c.Key).Select(c => $"[{c.Key}]{c.Value}"));
        Console.WriteLine(FormattableString.Invariant(
            $"{n / seconds,9:F1} req/s  p50 {latencies[n / 2],7:F1} ms  p99 {latencies[Math.Min(n - 1, n * 99 / 100)],7:F1} ms  {counts} "));
        return 0;
    }
}
