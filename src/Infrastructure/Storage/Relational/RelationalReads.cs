using ClusterRegistry.Application.Abstractions;
using Microsoft.EntityFrameworkCore;

namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>Reads over the relational model that every relational backend shares: point reads, snapshot lists and history.</summary>
public static class RelationalReads
{
    public static async Task<StoredObject?> GetAsync(RegistryDbContext db, string key, CancellationToken ct)
    {
        var row = await db.Objects.AsNoTracking().FirstOrDefaultAsync(o => o.Key == key, ct);
        return row is null ? null : new StoredObject(row.Key, row.Value, row.ModRevision);
    }

    /// <summary>
    /// Lists at the requested revision (0: the latest), inside the caller's read snapshot: too new is TooLargeRevision,
    /// below the compaction point is Expired.
    /// </summary>
    public static async Task<StoredPage> ListAtRevisionAsync(RegistryDbContext db, string prefix, ListRange range, CancellationToken ct,
        Func<IQueryable<ObjectRow>, Domain.Selection.LabelSelector, IQueryable<ObjectRow>>? narrow = null)
    {
        var state = await db.State.AsNoTracking().SingleAsync(ct);
        var revision = range.Revision == 0 ? state.CurrentRevision : range.Revision;
        if (revision > state.CurrentRevision)
            throw new StorageException(StorageErrorCode.TooLargeRevision, prefix, revision.ToString(), state.CurrentRevision);
        if (revision < state.CompactedRevision)
            throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", state.CompactedRevision);
        return await ListAsync(db, prefix, range, revision, state.CurrentRevision, ct, narrow);
    }

    /// <summary>
    /// Lists <paramref name="prefix"/> as of <paramref name="revision"/> (the caller has checked it is within
    /// [compacted, current]). Keys changed after that revision are rolled back to the previous value of their first
    /// later event, which is what they held at that revision.
    /// </summary>
    /// <param name="narrow">A backend's translation of the label selector into its query; only used for the latest state.</param>
    public static async Task<StoredPage> ListAsync(RegistryDbContext db, string prefix, ListRange range, long revision, long current, CancellationToken ct,
        Func<IQueryable<ObjectRow>, Domain.Selection.LabelSelector, IQueryable<ObjectRow>>? narrow = null)
    {
        var after = range.StartAfterKey ?? "";
        var end = PrefixEnd(prefix);
        var rowsQuery = db.Objects.AsNoTracking()
            .Where(o => string.Compare(o.Key, prefix) >= 0 && string.Compare(o.Key, end) < 0 && string.Compare(o.Key, after) > 0);
        if (narrow is not null && range.Labels is { IsEmpty: false } labels && revision == current)
            rowsQuery = narrow(rowsQuery, labels);
        var query = rowsQuery.OrderBy(o => o.Key);
        if (revision == current && range.Filter is null && range.Limit > 0)
        {
            // The common page of the latest state: let the database do the limit and count the rest.
            var page = await query.Take(range.Limit + 1).Select(o => new StoredObject(o.Key, o.Value, o.ModRevision)).ToListAsync(ct);
            if (page.Count <= range.Limit) return new StoredPage(page, revision, false, null);
            page.RemoveAt(page.Count - 1);
            var last = page[^1].Key;
            var remaining = await query.Where(o => string.Compare(o.Key, last) > 0).LongCountAsync(ct);
            return new StoredPage(page, revision, true, remaining);
        }
        var rows = await query.Select(o => new StoredObject(o.Key, o.Value, o.ModRevision)).ToListAsync(ct);

        IEnumerable<StoredObject> state = rows;
        if (revision < current)
        {
            var later = await db.Events.AsNoTracking()
                .Where(e => e.Revision > revision && string.Compare(e.Key, prefix) >= 0 && string.Compare(e.Key, end) < 0
                            && string.Compare(e.Key, after) > 0)
                .OrderBy(e => e.Revision)
                .Select(e => new { e.Key, e.PrevValue, e.PrevRevision })
                .ToListAsync(ct);
            var undone = new Dictionary<string, (byte[]? Value, long Revision)>(StringComparer.Ordinal);
            foreach (var e in later) undone.TryAdd(e.Key, (e.PrevValue, e.PrevRevision));
            var byKey = rows.Where(r => !undone.ContainsKey(r.Key)).ToDictionary(r => r.Key, StringComparer.Ordinal);
            foreach (var (key, prev) in undone)
            {
                if (prev.Value is not null) byKey[key] = new StoredObject(key, prev.Value, prev.Revision);
            }
            state = byKey.Values.OrderBy(o => o.Key, StringComparer.Ordinal);
        }
        return Page(state, range, revision);
    }

    /// <summary>Applies filter and limit to keys in order, as the etcd3 store does.</summary>
    public static StoredPage Page(IEnumerable<StoredObject> ordered, ListRange range, long revision)
    {
        var items = new List<StoredObject>();
        var all = ordered as IList<StoredObject> ?? ordered.ToList();
        var i = 0;
        for (; i < all.Count; i++)
        {
            if (range.Limit > 0 && items.Count == range.Limit) break;
            if (range.Filter is null || range.Filter(all[i])) items.Add(all[i]);
        }
        var hasMore = i < all.Count;
        // The remaining count is only known when nothing is filtered out.
        return new StoredPage(items, revision, hasMore, hasMore && range.Filter is null ? all.Count - i : null);
    }

    public static Task<List<EventRow>> EventsAfterAsync(RegistryDbContext db, string prefix, long after, int batch, CancellationToken ct)
    {
        var end = PrefixEnd(prefix);
        return db.Events.AsNoTracking()
            .Where(e => e.Revision > after && string.Compare(e.Key, prefix) >= 0 && string.Compare(e.Key, end) < 0)
            .OrderBy(e => e.Revision).Take(batch).ToListAsync(ct);
    }

    public static StorageEvent ToEvent(EventRow e) =>
        new((StorageEventType)e.Type, e.Key, Optional(e.Value), Optional(e.PrevValue), e.Revision);

    /// <summary>A null array must stay null: the implicit conversion would turn it into an empty, present value.</summary>
    public static ReadOnlyMemory<byte>? Optional(byte[]? bytes) => bytes is null ? (ReadOnlyMemory<byte>?)null : bytes;

    /// <summary>The smallest string greater than every key with <paramref name="prefix"/>.</summary>
    public static string PrefixEnd(string prefix) => prefix.Length == 0 ? "\uffff" : prefix[..^1] + (char)(prefix[^1] + 1);
}
