import Words
import Foundation
import Logging
import PostgresNIO
import Sync

/// Versions on PostgreSQL: pushes from every instance at once, each taking
/// its block of sequences as it inserts; a pull from one snapshot, below the
/// lowest block still in flight, within a byte budget.
extension PostgresStorage {
    public func push(_ changesets: [Changeset], carrier: String, by user: String, at: Int64, policy: VersionPolicy) async throws -> PushResult {
        var attempt = 1
        while true {
            do {
                return try await pushOnce(changesets, carrier: carrier, by: user, at: at, policy: policy)
            } catch let e as PSQLError where attempt < 4 && Self.retryable(e) {
                // Another push inserted the same versions or record first
                // (a relay and the device itself, a retry through another
                // instance): run again, and they are found as held.
                attempt += 1
            }
        }
    }

    /// A unique key taken by a concurrent transaction, or a deadlock between two.
    static func retryable(_ e: PSQLError) -> Bool {
        ["23505", "40P01", "40001"].contains(e.serverInfo?[.sqlState] ?? "")
    }

    /// Takes blocks of sequence numbers for `count` versions, each locked until this transaction ends.
    func sequences(_ conn: PostgresConnection, count: Int) async throws -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(count)
        while out.count < count {
            var block: Int64 = 0
            for try await b in try await conn.execute(PushStatement.TakeBlock(), logger: logger) { block = b }
            let first = block << Self.blockBits
            out += (0..<min(Int64(count - out.count), 1 << Self.blockBits)).map { first + $0 }
        }
        return out
    }

    func pushOnce(_ changesets: [Changeset], carrier: String, by user: String, at: Int64, policy: VersionPolicy) async throws -> PushResult {
        let versions = changesets.flatMap(\.versions)
        return try await transaction { conn in
            // The whole batch in a few statements, not a few per version.
            let sites = versions.map { $0.id.site.rawValue }, seqs = versions.map { $0.id.seq }
            var held: [VersionID: Version] = [:]
            for try await (siteID, siteSeq, record, form, formVersion, field, value, ms, counter, parents, author)
                in try await conn.execute(PushStatement.Held(sites: sites, seqs: seqs), logger: logger) {
                guard let s = SiteID(siteID) else { continue }
                let id = VersionID(site: s, seq: siteSeq)
                held[id] = Version(id: id, record: record, form: form, formVersion: formVersion, field: field, value: value,
                                   clock: HLC(ms: ms, counter: counter, site: s),
                                   parents: parents.split(separator: " ").compactMap { VersionID(String($0)) }, author: author)
            }
            let reused = versions.filter { v in held[v.id].map { $0 != v } ?? false }.map(\.id)
            if !reused.isEmpty { throw ServerError.siteReused(reused) }
            var owners: [String: String] = [:]
            let recordIDs = Array(Set(versions.map(\.record)))
            for try await (id, owner) in try await conn.execute(PushStatement.Owners(ids: recordIDs), logger: logger) {
                owners[id] = owner
            }
            var result = PushResult()
            var newRecords: [(String, String, String)] = []
            var vs: [Version] = []
            var signed: [Changeset] = []
            for c in changesets {
                var fresh: [Version] = []
                for v in c.versions {
                    if let h = held[v.id] {
                        // The same id twice in one batch with other content is a reuse too.
                        if h != v { throw ServerError.siteReused([v.id]) }
                    } else {
                        fresh.append(v)
                    }
                }
                if fresh.isEmpty { result.duplicates.append(c.id); continue }
                // A changeset enters whole or not at all: its signature covers every version.
                if let reason = Self.firstRefusal(fresh, owner: owners[c.record], policy) {
                    result.rejected.append(Rejection(id: c.id, reason))
                    continue
                }
                if owners[c.record] == nil {
                    // The owner is the writer (the policy checked the author), not a relay.
                    owners[c.record] = c.author
                    newRecords.append((c.record, c.form, c.author))
                }
                for v in fresh {
                    held[v.id] = v
                    vs.append(v)
                }
                signed.append(c)
                result.accepted.append(c.id)
            }
            if !signed.isEmpty {
                _ = try await conn.execute(PushStatement.InsertChangesets(signed, carrier: carrier, at: at), logger: logger)
            }
            if !newRecords.isEmpty {
                _ = try await conn.execute(PushStatement.InsertRecords(
                    ids: newRecords.map(\.0), forms: newRecords.map(\.1), owners: newRecords.map(\.2), at: at), logger: logger)
            }
            if !vs.isEmpty {
                // Sequences last, so the block is held for the inserts only.
                let seqs = try await sequences(conn, count: vs.count)
                await pushInFlight?()
                _ = try await conn.execute(PushStatement.InsertVersions(vs, seqs: seqs, user: user, at: at), logger: logger)
                try await noteMedia(conn, vs)
            }
            return result
        }
    }

    public func versions(record id: String) async throws -> [StoredVersion] {
        var out: [StoredVersion] = []
        for try await (n, siteID, siteSeq, record, form, formVersion, field, value, ms, counter, parents, author, pushedBy, received)
            in try await client.query("""
                SELECT seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents,
                       author, pushed_by, received_at FROM versions WHERE record_id = \(id) ORDER BY seq
                """, logger: logger).decode((Int64, String, Int64, String, String, String, String, String?, Int64, Int32, String, String, String, Int64).self) {
            guard let s = SiteID(siteID) else { continue }
            let v = Version(id: VersionID(site: s, seq: siteSeq), record: record, form: form, formVersion: formVersion, field: field,
                            value: value, clock: HLC(ms: ms, counter: counter, site: s),
                            parents: parents.split(separator: " ").compactMap { VersionID(String($0)) }, author: author)
            out.append(StoredVersion(seq: n, version: v, pushedBy: pushedBy, receivedAt: received))
        }
        return out
    }

    public func versions(fields: [String]) async throws -> [Version] {
        var out: [Version] = []
        for try await (siteID, siteSeq, record, form, formVersion, field, value, ms, counter, parents, author)
            in try await client.query("""
                SELECT site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
                FROM versions WHERE field = ANY(\(fields)::text[]) ORDER BY seq
                """, logger: logger).decode((String, Int64, String, String, String, String, String?, Int64, Int32, String, String).self) {
            guard let s = SiteID(siteID) else { continue }
            out.append(Version(id: VersionID(site: s, seq: siteSeq), record: record, form: form, formVersion: formVersion, field: field,
                               value: value, clock: HLC(ms: ms, counter: counter, site: s),
                               parents: parents.split(separator: " ").compactMap { VersionID(String($0)) }, author: author))
        }
        return out
    }

    public func lastSeq(site: SiteID) async throws -> Int64 {
        var last: Int64 = 0
        for try await m in try await client.query("SELECT COALESCE(MAX(site_seq), 0) FROM versions WHERE site_id = \(site.rawValue)",
                                                  logger: logger).decode(Int64.self) { last = m }
        return last
    }

    public func changesets(holding ids: [VersionID]) async throws -> (heads: [ChangesetHead], keys: [String: String], carriers: [VersionID: String]) {
        guard !ids.isEmpty else { return ([], [:], [:]) }
        let sites = ids.map(\.site.rawValue), seqs = ids.map(\.seq)
        return try await transaction { conn in
            var heads: [ChangesetHead] = [], keys: [String: String] = [:], carriers: [VersionID: String] = [:]
            let rows = try await conn.query("""
                SELECT DISTINCT c.site_id, c.seq, c.count, c.signature, c.carried_by
                FROM unnest(\(sites)::text[], \(seqs)::bigint[]) AS v(site_id, seq)
                JOIN LATERAL (SELECT site_id, seq, count, signature, carried_by FROM changesets c
                              WHERE c.site_id = v.site_id AND c.seq <= v.seq ORDER BY c.seq DESC LIMIT 1) c ON c.seq + c.count > v.seq
                ORDER BY c.site_id, c.seq
                """, logger: logger)
            for try await (site, seq, count, signature, carrier) in rows.decode((String, Int64, Int64, String, String).self) {
                guard let s = SiteID(site) else { continue }
                heads.append(ChangesetHead(site: s, seq: seq, count: count, signature: signature))
                carriers[VersionID(site: s, seq: seq)] = carrier
            }
            let wanted = Array(Set(heads.map(\.site.rawValue)))
            let keyRows = try await conn.query("""
                SELECT site_id, public_key FROM devices WHERE site_id = ANY(\(wanted)::text[]) AND public_key <> ''
                UNION ALL SELECT previous_site_id, previous_public_key FROM devices
                WHERE previous_site_id = ANY(\(wanted)::text[]) AND previous_public_key IS NOT NULL
                """, logger: logger)
            for try await (site, key) in keyRows.decode((String, String).self) { keys[site] = key }
            return (heads, keys, carriers)
        }
    }

    public func pull(after cursor: Int64, limit: Int, maxBytes: Int, owner: String?, excludingSite: SiteID?) async throws
        -> (versions: [SequencedVersion], next: Int64, more: Bool) {
        // Below the bound every sequence is committed or never will be. It
        // is read before the snapshot is taken, so the snapshot sees every
        // commit below it.
        var bound: Int64 = 0
        for try await b in try await client.query("SELECT recolha_pull_bound()", logger: logger).decode(Int64.self) { bound = b }
        // One snapshot for every query, so `next` and the rows agree while
        // other instances commit.
        return try await transaction { conn in
            try await exec(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            var tail: Int64?
            for try await s in try await conn.query(
                "SELECT seq FROM versions WHERE seq > \(cursor) AND seq < \(bound) ORDER BY seq LIMIT 1 OFFSET \(limit - 1)",
                logger: logger).decode(Int64.self) { tail = s }
            var maxSeq = cursor
            for try await m in try await conn.query("SELECT COALESCE(MAX(seq), 0) FROM versions WHERE seq < \(bound)",
                                                    logger: logger).decode(Int64.self) { maxSeq = m }
            let upper = tail ?? (bound - 1)
            let site = excludingSite?.rawValue ?? ""
            // The byte budget is applied in SQL: a running total over the
            // window, and only rows within it (plus the first row past it,
            // which says the budget cut the batch) leave the database. The
            // first row always goes, even alone over the budget, so row 2
            // is then the one past it.
            let ownerFilter = owner ?? ""
            let rows = try await conn.query("""
                SELECT seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author,
                       running, rn FROM (
                  SELECT v.seq, v.site_id, v.site_seq, v.record_id, v.form_id, v.form_version, v.field, v.value, v.clock_ms,
                         v.clock_counter, v.parents, v.author,
                         160 + COALESCE(octet_length(v.value), 4) + octet_length(v.parents) AS size,
                         SUM(160 + COALESCE(octet_length(v.value), 4) + octet_length(v.parents)) OVER (ORDER BY v.seq) AS running,
                         ROW_NUMBER() OVER (ORDER BY v.seq) AS rn
                  FROM versions v JOIN records r ON r.id = v.record_id
                  WHERE v.seq > \(cursor) AND v.seq <= \(upper) AND v.site_id <> \(site)
                    AND (\(ownerFilter) = '' OR r.owner = \(ownerFilter))
                ) w WHERE running - size <= \(Int64(maxBytes)) OR rn <= 2 ORDER BY seq
                """, logger: logger)
            var out: [SequencedVersion] = []
            var next = max(tail ?? maxSeq, cursor)
            var more = tail != nil && next < maxSeq
            for try await (seq, siteID, siteSeq, record, form, formVersion, field, value, ms, counter, parents, author, running, rn)
                in rows.decode((Int64, String, Int64, String, String, String, String, String?, Int64, Int32, String, String, Int64, Int64).self) {
                if running > Int64(maxBytes) && rn > 1 {
                    // The first row past the budget: stop before it.
                    next = out.last?.seq ?? next
                    more = true
                    continue
                }
                guard let s = SiteID(siteID) else { continue }
                let v = Version(id: VersionID(site: s, seq: siteSeq), record: record, form: form, formVersion: formVersion, field: field,
                                value: value, clock: HLC(ms: ms, counter: counter, site: s),
                                parents: parents.split(separator: " ").compactMap { VersionID(String($0)) }, author: author)
                out.append(SequencedVersion(seq: seq, version: v))
            }
            return (out, next, more)
        }
    }

    public func versionCount() async throws -> Int {
        var n = 0
        for try await c in try await client.query("SELECT COUNT(*) FROM versions", logger: logger).decode(Int64.self) { n = Int(c) }
        return n
    }
}
