namespace ClusterRegistry.Api.Http;

/// <summary>The <c>Warning</c> response header in k8s form: <c>299 - "text"</c>, one header value per warning.</summary>
public static class Warnings
{
    public static void Write(HttpResponse response, IEnumerable<string> warnings)
    {
        foreach (var w in warnings)
        {
            var text = w.Replace("\\", "\\\\").Replace("\"", "\\\"");
            // Header values must be printable ASCII; anything else would break the response.
            text = new string(text.Select(c => c is >= ' ' and < (char)0x7f ? c : '?').ToArray());
            response.Headers.Append("Warning", $"299 - \"{text}\"");
        }
    }
}
