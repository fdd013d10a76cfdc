using System.Text.Json;
using ClusterRegistry.Domain.Selection;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.EntityFrameworkCore;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// Label selector requirements PostgreSQL can answer from the GIN-indexed <c>labels</c> jsonb column: equality
/// (<c>@&gt;</c>), a single-value <c>in</c>, key existence (<c>?</c>) and absence. The rest (!=, notin, gt, lt) are left
/// to the in-memory filter, which still checks every candidate.
/// </summary>
public static class PostgresLabelQuery
{
    public static IQueryable<ObjectRow> Narrow(IQueryable<ObjectRow> rows, LabelSelector selector)
    {
        foreach (var r in selector.Requirements)
        {
            var key = r.Key;
            switch (r.Operator)
            {
                case LabelOperator.Equals:
                case LabelOperator.In when r.Values.Count == 1:
                    var json = JsonSerializer.Serialize(new Dictionary<string, string> { [key] = r.Values[0] });
                    rows = rows.Where(o => o.Labels != null && EF.Functions.JsonContains(o.Labels, json));
                    break;
                case LabelOperator.Exists:
                    rows = rows.Where(o => o.Labels != null && EF.Functions.JsonExists(o.Labels, key));
                    break;
                case LabelOperator.DoesNotExist:
                    rows = rows.Where(o => o.Labels == null || !EF.Functions.JsonExists(o.Labels, key));
                    break;
            }
        }
        return rows;
    }
}
