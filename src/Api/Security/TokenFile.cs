using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>The kube static token file: CSV lines <c>token,user,uid,"group1,group2"</c>.</summary>
public static class TokenFile
{
    public static Dictionary<string, UserInfo> Load(string path)
    {
        var users = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = SplitCsv(line);
            if (fields.Count < 3 || fields[0].Length == 0 || fields[1].Length == 0)
                throw new InvalidOperationException($"{path}:{lineNumber}: expected token,user,uid[,\"group1,group2\"]");
            var groups = fields.Count > 3
                ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                : [];
            users[fields[0]] = new UserInfo(fields[1], fields[2], groups);
        }
        return users;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString().Trim()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString().Trim());
        return fields;
    }
}
