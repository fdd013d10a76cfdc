using DotNet.Testcontainers.Builders;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>A PostgreSQL 15 container for end-to-end tests (image: <see cref="StoreContainers"/>).</summary>
public sealed class PostgresContainer : StoreContainer
{
    public string ConnectionString => $"Host=127.0.0.1;Port={HostPort};Username=postgres;Password=postgres;Database=postgres";

    public override string[] ServerArgs => ["--storage-backend", "postgres", "--postgres-connection-string", ConnectionString];

    protected override ContainerBuilder Define() => StoreContainers.Postgres("postgres-e2e").WithPortBinding(HostPort, StoreContainers.PostgresPort);

    protected override async Task WaitServingAsync()
    {
        // Wait until it accepts TCP connections on the fixed port (the official image restarts once after init).
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", HostPort);
                await Task.Delay(300);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(200);
            }
        }
    }
}
