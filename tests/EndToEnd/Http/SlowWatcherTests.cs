using System.Net;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// A watcher that never reads fills its TCP connection's buffers: the server must stop sending to it without stalling
/// other watchers or writers. Only a real connection pushes back this way, so this stays a process-level test.
/// </summary>
public sealed class SlowWatcherTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    private static Dictionary<string, string> Label(string key, string value) => new() { [key] = value };

    [Fact]
    public async Task Watch_SlowWatcherThatNeverReads_DoesNotBlockOtherWatchersOrWriters()
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("wslow");
        var rv = Api.ResourceVersion(await Api.ListAsync(_http, "limit=1"));

        // A watcher on everything that never reads its stream, on a connection of its own.
        using var slowClient = fixture.Server.CreateClient();
        await using var stalled = await WatchStream.OpenAsync(slowClient, $"watch=true&resourceVersion={rv}");

        // A healthy watcher on the object, read continuously.
        await using var healthy = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=slow%3D{sel}");
        var lastSeen = -1;
        var reader = Task.Run(async () =>
        {
            while (true)
            {
                var e = await healthy.NextNonBookmarkAsync(TimeSpan.FromSeconds(120));
                var ann = e.GetProperty("object").GetProperty("metadata");
                if (ann.TryGetProperty("annotations", out var a) && a.TryGetProperty("seq", out var seq))
                {
                    Volatile.Write(ref lastSeen, int.Parse(seq.GetString()!));
                    if (seq.GetString() == "299") return;
                }
            }
        });

        await Api.CreateAsync(_http, name, Label("slow", sel));
        var padding = new string('p', 16 * 1024);
        using var writes = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        for (var i = 0; i < 300; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, Api.Item(name))
            {
                Content = Api.Body($"{{\"metadata\":{{\"annotations\":{{\"seq\":\"{i}\",\"pad\":\"{padding}{i}\"}}}}}}", Api.MergePatch),
            };
            using var response = await _http.SendAsync(request, writes.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var finished = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.True(finished == reader, $"the healthy watcher stalled at seq {Volatile.Read(ref lastSeen)} while another watcher was not reading");
        await reader;

        // The server is still responsive for ordinary requests.
        Assert.Equal("299", (await Api.GetAsync(_http, name)).GetProperty("metadata").GetProperty("annotations").GetProperty("seq").GetString());
    }
}
