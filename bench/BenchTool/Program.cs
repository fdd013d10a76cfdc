// bench/run.sh's helpers:
//   benchtool kestrel PORT            a bare Kestrel HTTPS endpoint answering every GET with a fixed 1 KB JSON body:
//                                     the ceiling of this machine for one small HTTPS response, measured with the same hey run
//   benchtool fanout URL TOKEN N M [PID]  N watchers of the clusters collection, then M merge patches one after another;
//                                     prints p50/p99 from each write's response to each watcher's delivery, and delivered/expected, and the RSS of process PID while the watchers are open
//                                     (FANOUT_HTTP2=1: the watchers share HTTP/2 connections; the client's own CPU per event is printed too)
//   benchtool load METHOD URL TOKEN CONTENT-TYPE BODY N C  N requests from C clients, {i} in URL and BODY replaced by the
//                                     request's number (hey for requests that must differ: deletes, applies that change something)
using BenchTool;

return args switch
{
    ["kestrel", var port] => await BareKestrel.RunAsync(int.Parse(port)),
    ["fanout", var url, var token, var watchers, var updates] => await Fanout.RunAsync(url, token, int.Parse(watchers), int.Parse(updates), 0),
    ["fanout", var url, var token, var watchers, var updates, var pid] => await Fanout.RunAsync(url, token, int.Parse(watchers), int.Parse(updates), int.Parse(pid)),
    ["load", var method, var url, var token, var type, var body, var n, var c] =>
        await Load.RunAsync(method, url, token, type, body, int.Parse(n), int.Parse(c)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: benchtool kestrel PORT | benchtool fanout URL TOKEN WATCHERS UPDATES | benchtool load METHOD URL TOKEN CONTENT-TYPE BODY N C");
    return 2;
}
