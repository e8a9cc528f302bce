import Words
import Foundation
import GRDB
import Sync

/// Changesets: every local transaction's versions under one signature of
/// this device's key, sent as one unit and acknowledged only by the
/// server's signed receipt (docs/sync-protocol.md, "Changesets").
extension Store {
    /// Signs the versions one transaction just wrote here as one changeset,
    /// in that same transaction.
    /// Writes a local transaction's versions already marked signed, and the
    /// changeset that signs them (one pass over the rows: marking them after
    /// the insert rewrote each row and its `versions_unsigned` entry).
    static func insertSigned(_ db: Database, _ versions: [Version]) throws {
        guard !versions.isEmpty else { return }
        guard let unsigned = Changeset(versions: versions) else {
            throw StoreError.database("a transaction's versions are not one run of one record")
        }
        guard let identity = try signingIdentity(db, site: unsigned.site) else {
            throw StoreError.database("no key for site \(unsigned.site) in this store")
        }
        let signed = unsigned.signed(by: identity)
        try insert(db, versions, signed: true)
        try insertChangeset(db, signed, markVersions: false)
    }

    static func insertChangeset(_ db: Database, _ c: Changeset, markVersions: Bool = true) throws {
        try db.cachedStatement(sql: "INSERT INTO changesets (site_id, seq, count, record_id, signature) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [c.site.rawValue, c.seq, c.entries.count, c.record, c.signature])
        guard markVersions else { return }
        try db.cachedStatement(sql: "UPDATE versions SET signed = 1 WHERE site_id = ? AND seq BETWEEN ? AND ?")
            .execute(arguments: [c.site.rawValue, c.seq, c.lastSeq])
    }

    /// The key of `site` when this store holds it (its current or previous identity).
    static func signingIdentity(_ db: Database, site: SiteID) throws -> SiteIdentity? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT site_secret, previous_site_secret FROM device WHERE id = 1")) else { return nil }
        for column in ["site_secret", "previous_site_secret"] {
            if let id = (row[column] as String?).flatMap(KeyCache.identity(secret:)), id.site == site { return id }
        }
        return nil
    }

    /// Signs the unsent versions no changeset covers (written before
    /// changesets, or renumbered or re-attributed since they were signed):
    /// each run of one record, form version and author becomes one changeset.
    /// Versions of a site whose key this store does not hold stay unsigned.
    /// - Returns: how many changesets were made.
    @discardableResult
    static func signUnsigned(_ db: Database) throws -> Int {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
            FROM versions WHERE acked = 0 AND signed = 0 ORDER BY site_id, seq
            """)
        var runs: [[Version]] = []
        while let row = try rows.next() {
            let v = try version(row)
            if let last = runs.last?.last, Changeset(versions: [last, v]) != nil {
                runs[runs.count - 1].append(v)
            } else {
                runs.append([v])
            }
        }
        var made = 0
        for run in runs {
            guard let identity = try signingIdentity(db, site: run[0].id.site) else { continue }
            for part in stride(from: 0, to: run.count, by: Changeset.maxEntries) {
                let slice = Array(run[part..<min(part + Changeset.maxEntries, run.count)])
                try insertChangeset(db, Changeset(versions: slice)!.signed(by: identity))
                made += 1
            }
        }
        return made
    }

    /// Forgets the signatures of unsent changesets that hold any of the
    /// versions `condition` selects (before those versions change), so
    /// `signUnsigned` signs them again as they are now.
    static func unsign(_ db: Database, versionsWhere condition: String, arguments: StatementArguments = []) throws {
        try db.execute(sql: """
            DELETE FROM changesets WHERE acked = 0 AND EXISTS (
                SELECT 1 FROM versions v WHERE v.site_id = changesets.site_id
                  AND v.seq BETWEEN changesets.seq AND changesets.seq + changesets.count - 1 AND v.acked = 0 AND (\(condition)))
            """, arguments: arguments)
        try db.execute(sql: """
            UPDATE versions SET signed = 0 WHERE acked = 0 AND signed = 1 AND NOT EXISTS (
                SELECT 1 FROM changesets c WHERE c.site_id = versions.site_id AND c.seq <= versions.seq AND c.seq + c.count > versions.seq)
            """)
    }

    /// Changesets waiting to be sent, oldest first: not acknowledged, not
    /// rejected; drafts held back unless asked. At least one, then as many
    /// as fit in `limit` versions and about `maxBytes`.
    /// In clock order: a relayed record's first save goes before the
    /// supervisor's review of it, so the server gives the record to its
    /// author (each site's own changesets stay in sequence order). Other
    /// devices' changesets only from a supervisor's or admin's device (a
    /// relay); an enumerator's device holds a supervisor's review carried
    /// down to it, but does not carry it up.
    public func pendingChangesets(limit: Int, maxBytes: Int, includeDrafts: Bool) throws(StoreError) -> [Changeset] {
        try pushBatch(pushOrder(includeDrafts: includeDrafts), from: 0, limit: limit, maxBytes: maxBytes).changesets
    }

    /// Every changeset waiting to be sent, in the order `pendingChangesets`
    /// gives them, as references only (16 bytes each). A push reads it once
    /// and walks it batch by batch: asking for the oldest pending ones
    /// before each batch sorted the whole pending set again every time, so
    /// a push cost grew with the square of the work (a third of the
    /// device's time at 10,000 surveys, measured for issue 13).
    public func pushOrder(includeDrafts: Bool) throws(StoreError) -> PushOrder {
        try read { db in
            let heads = try Row.fetchCursor(db, sql: """
                SELECT c.site_id, c.seq, c.count FROM changesets c JOIN records r ON r.id = c.record_id
                JOIN versions v ON v.site_id = c.site_id AND v.seq = c.seq
                WHERE c.acked = 0 AND c.rejected IS NULL AND (? OR r.status <> 'draft')
                  AND (c.carried_by IS NULL OR (SELECT role FROM sync_state WHERE id = 1) IN ('supervisor', 'admin'))
                ORDER BY v.clock_ms, v.clock_counter, c.site_id, c.seq
                """, arguments: [includeDrafts])
            var order = PushOrder()
            var siteIndex: [String: Int32] = [:]
            while let head = try heads.next() {
                let raw: String = head[0]
                guard let site = SiteID(raw) else { throw StoreError.database("a changeset names site \(raw), not a site id") }
                let index = siteIndex[raw] ?? {
                    order.sites.append(site)
                    siteIndex[raw] = Int32(order.sites.count - 1)
                    return Int32(order.sites.count - 1)
                }()
                order.items.append(PushOrder.Item(site: index, seq: head[1], count: head[2]))
            }
            return order
        }
    }

    /// The changesets of `order` from `start` on that are still waiting (one
    /// acknowledged or rejected since the order was read is passed over): at
    /// least one, then as many as fit in `limit` versions and about
    /// `maxBytes`. `next` is where the following batch starts.
    public func pushBatch(_ order: PushOrder, from start: Int, limit: Int, maxBytes: Int) throws(StoreError)
        -> (changesets: [Changeset], next: Int) {
        try read { db in
            let head = try db.cachedStatement(sql: "SELECT signature FROM changesets WHERE site_id = ? AND seq = ? AND acked = 0 AND rejected IS NULL")
            let range = try db.cachedStatement(sql: """
                SELECT site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
                FROM versions WHERE site_id = ? AND seq BETWEEN ? AND ? ORDER BY seq
                """)
            var out: [Changeset] = []
            var count = 0, bytes = 0
            var i = max(start, 0)
            while i < order.items.count {
                let item = order.items[i]
                let n = Int(item.count)
                if !out.isEmpty && count + n > limit { break }
                let site = order.sites[Int(item.site)].rawValue
                guard let signature = try String.fetchOne(head, arguments: [site, item.seq]) else { i += 1; continue }
                var versions: [Version] = []
                let rows = try Row.fetchCursor(range, arguments: [site, item.seq, item.seq + Int64(n) - 1])
                while let row = try rows.next() { versions.append(try Self.version(row)) }
                guard versions.count == n, var c = Changeset(versions: versions) else {
                    throw StoreError.database("changeset \(site)-\(item.seq) does not match its versions")
                }
                c.signature = signature
                let size = 300 + versions.reduce(0) { $0 + 80 + $1.field.utf8.count + ($1.value?.utf8.count ?? 4) + $1.parents.count * 24 }
                if !out.isEmpty && bytes + size > maxBytes { break }
                out.append(c)
                count += n
                bytes += size
                i += 1
            }
            return (out, i)
        }
    }

    /// Records the server's answer to a push, in one transaction: every
    /// sequence a receipt names is acknowledged, each rejected changeset
    /// keeps its reason; receipts for other devices' relayed work are kept
    /// to carry back to them. The caller has checked the receipts' signatures.
    public func acknowledge(receipts: [Receipt], rejected: [Rejection]) throws(StoreError) {
        try write { db in
            let device = try requireDevice(db)
            var own: Set<SiteID> = [device.site]
            if let previous = try String.fetchOne(db, sql: "SELECT previous_site_id FROM device WHERE id = 1").flatMap(SiteID.init) {
                own.insert(previous)
            }
            for r in receipts {
                _ = try Self.apply(db, receipt: r, ownSites: own)
                // A receipt for work relayed from another device goes back to it.
                _ = try Self.keep(db, receipt: r, ownSites: own)
            }
            let reject = try db.cachedStatement(sql: "UPDATE changesets SET rejected = ? WHERE site_id = ? AND seq = ? RETURNING count")
            let rejectVersions = try db.cachedStatement(sql: "UPDATE versions SET rejected = ? WHERE site_id = ? AND seq BETWEEN ? AND ?")
            for r in rejected {
                let kept = RejectedVersion.keep(r)
                guard let n = try Int64.fetchOne(reject, arguments: [kept, r.id.site.rawValue, r.id.seq]) else { continue }
                try rejectVersions.execute(arguments: [kept, r.id.site.rawValue, r.id.seq, r.id.seq + n - 1])
            }
        }
    }

    /// Keeps the server's public key learnt at login: receipts must carry its signature.
    public func saveServerKey(_ key: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET server_key = ? WHERE id = 1", arguments: [key]) }
    }
}

/// The changesets a push sends, in order, as references: which site (an
/// index into `sites`), first sequence and count.
public struct PushOrder: Sendable {
    public struct Item: Sendable, Hashable {
        let site: Int32
        public let seq: Int64
        public let count: Int32
    }
    var sites: [SiteID] = []
    public var items: [Item] = []
    public init() {}
    public func site(of item: Item) -> SiteID { sites[Int(item.site)] }
}

/// Keys made from their secrets, kept for the process: deriving an Ed25519
/// key took 2% of every save. Holds only what the store already read.
enum KeyCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: SiteIdentity] = [:]

    static func identity(secret: String) -> SiteIdentity? {
        if let id = lock.withLock({ made[secret] }) { return id }
        guard let id = SiteIdentity(secret: secret) else { return nil }
        lock.withLock {
            if made.count > 16 { made.removeAll() }
            made[secret] = id
        }
        return id
    }
}
