import Foundation
import Forms
import GRDB
import Sync

/// Where and as whom this device syncs, and how far it has pulled.
public struct SyncState: Sendable, Hashable {
    public var server: String
    public var user: String
    public var role: String
    public var token: String
    public var cacert: String?
    /// The site the token was issued for: when it is not this device's
    /// current site (the store took a new identity), sync asks for a token
    /// of the new one first.
    public var tokenSite: SiteID?
    /// The server's Ed25519 public key (hex), learnt at login: receipts
    /// that it did not sign acknowledge nothing.
    public var serverKey: String?
    /// The last server sequence applied here: never ahead of the data.
    public var cursor: Int64
    public var lastSyncAt: Int64?
    /// Device clock minus server clock at the last sync, in milliseconds.
    public var skewMs: Int64?
    /// The supervisor's hub this device last synced with (or enrolled through).
    public var hub: String? = nil
}

/// A version the server refused, with its reason.
public struct RejectedVersion: Sendable, Hashable {
    public var id: VersionID
    public var record: String
    public var field: String
    /// The server's refusal, worded in the reader's language when the
    /// server sent its code.
    public var message: Message
    /// In English.
    public var reason: String { message.description }

    /// What the `rejected` column keeps: the message as JSON when the
    /// server sent one (so `status` words it later), else its sentence.
    static func keep(_ r: Rejection) -> String {
        guard let m = r.message, let data = try? JSONEncoder().encode(m), let text = String(data: data, encoding: .utf8) else { return r.reason }
        return text
    }

    static func read(_ kept: String) -> Message {
        guard kept.hasPrefix("{"), let m = try? JSONDecoder().decode(Message.self, from: Data(kept.utf8)) else { return .verbatim(kept) }
        return m
    }
}

extension Store {
    /// Keeps the token of a login (the store file is owner-only) and the
    /// server's key, which must sign every receipt.
    public func saveLogin(server: String, user: String, role: String, token: String, cacert: String?, site: SiteID,
                          serverKey: String) throws(StoreError) {
        try write { db in
            _ = try requireDevice(db)
            try db.execute(sql: """
                INSERT INTO sync_state (id, server, user, role, token, cacert, cursor, token_site_id, server_key) VALUES (1, ?, ?, ?, ?, ?, 0, ?, ?)
                ON CONFLICT (id) DO UPDATE SET cursor = CASE WHEN server = excluded.server THEN cursor ELSE 0 END,
                    server = excluded.server, user = excluded.user, role = excluded.role, token = excluded.token,
                    cacert = excluded.cacert, token_site_id = excluded.token_site_id, server_key = excluded.server_key
                """, arguments: [server, user, role, token, cacert, site.rawValue, serverKey])
        }
    }

    /// Keeps the token the server gave for this device's new identity.
    public func saveToken(_ token: String, site: SiteID) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE sync_state SET token = ?, token_site_id = ? WHERE id = 1", arguments: [token, site.rawValue])
        }
    }

    public func syncState() throws(StoreError) -> SyncState? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sync_state WHERE id = 1").map {
                SyncState(server: $0["server"], user: $0["user"], role: $0["role"], token: $0["token"], cacert: $0["cacert"],
                          tokenSite: ($0["token_site_id"] as String?).flatMap(SiteID.init), serverKey: $0["server_key"], cursor: $0["cursor"], lastSyncAt: $0["last_sync_at"], skewMs: $0["skew_ms"],
                          hub: $0["hub"])
            }
        }
    }

    /// A version from a row of site_id, seq, record_id, form_id, form_version,
    /// field, value, clock_ms, clock_counter, parents, author.
    static func version(_ row: Row) throws -> Version {
        guard let site = SiteID(row[0]) else { throw StoreError.database("a version holds a malformed site id") }
        let parentsText: String = row[9]
        return Version(
            id: VersionID(site: site, seq: row[1]), record: row[2], form: row[3], formVersion: row[4], field: row[5],
            value: row[6], clock: HLC(ms: row[7], counter: row[8], site: site),
            parents: parentsText.isEmpty ? [] : parentsText.split(separator: " ").compactMap { VersionID(String($0)) },
            author: row[10])
    }

    /// Versions not yet acknowledged, counted from the partial index: the
    /// cost does not grow with the store.
    public func unsentCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE acked = 0") ?? 0 }
    }

    /// Records holding conflicts, from the partial index.
    public func conflictedRecordCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE conflicts > 0") ?? 0 }
    }

    /// Rejected versions go back in the queue (after the cause was fixed).
    public func retryRejected() throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "UPDATE versions SET rejected = NULL WHERE rejected IS NOT NULL")
            let n = db.changesCount
            try db.execute(sql: "UPDATE changesets SET rejected = NULL WHERE rejected IS NOT NULL")
            return n
        }
    }

    public func rejectedVersions() throws(StoreError) -> [RejectedVersion] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT site_id, seq, record_id, field, rejected FROM versions WHERE rejected IS NOT NULL ORDER BY site_id, seq")
                .compactMap { row in
                    guard let site = SiteID(row[0]) else { return nil }
                    return RejectedVersion(id: VersionID(site: site, seq: row[1]), record: row[2], field: row[3], message: RejectedVersion.read(row[4]))
                }
        }
    }

    /// Applies one pulled batch and moves the cursor, in one transaction, so
    /// the cursor is never ahead of the data. Versions already held are
    /// skipped; remote clocks move this device's clock only when not too far
    /// ahead of the server's time.
    /// - Returns: how many versions were new here.
    @discardableResult
    public func applyPulled(_ batch: [SequencedVersion], nextCursor: Int64, serverTime: Int64,
                            changesets heads: [ChangesetHead] = [], keys: [String: String] = [:]) throws(StoreError) -> Int {
        try write { db in
            let device = try requireDevice(db)
            // What is held already, one range query per run of one site's
            // consecutive numbers (a page is mostly whole changesets).
            let held = try db.cachedStatement(sql: "SELECT seq FROM versions WHERE site_id = ? AND seq BETWEEN ? AND ?")
            var fresh: [String: [Version]] = [:]
            var start = 0
            while start < batch.count {
                let first = batch[start].version.version.id
                var end = start + 1
                while end < batch.count, batch[end].version.version.id.site == first.site,
                      batch[end].version.version.id.seq == first.seq + Int64(end - start) { end += 1 }
                let have = Set(try Int64.fetchAll(held, arguments: [first.site.rawValue, first.seq, first.seq + Int64(end - start - 1)]))
                for item in batch[start..<end] where !have.contains(item.version.version.id.seq) {
                    fresh[item.version.version.record, default: []].append(item.version.version)
                }
                start = end
            }
            let formKnown = try db.cachedStatement(sql: "SELECT 1 FROM forms WHERE form_id = ? AND version = ?")
            var knownForms: Set<String> = []
            var clock = SiteClock(site: device.site, ms: device.clock.ms, counter: device.clock.counter)
            let guardian = ClockGuard(maxAheadMs: WireProtocol.maxClockAheadMs)
            for (record, versions) in fresh {
                let previous = try Self.versions(db, record: record)
                let all = previous + versions
                let newest = all.max { $0.clock < $1.clock }!
                let formKey = newest.form + "\u{1}" + newest.formVersion
                if !knownForms.contains(formKey) {
                    guard try Bool.fetchOne(formKnown, arguments: [newest.form, newest.formVersion]) == true else {
                        throw StoreError.unknownForm(id: "\(newest.form) version \(newest.formVersion)")
                    }
                    knownForms.insert(formKey)
                }
                try Self.upsertRecord(db, record: record, versions: all)
                try Self.insert(db, versions, acked: true)
                for v in versions where guardian.accepts(v.clock, now: serverTime) { clock.observe(v.clock, now: 0) }
            }
            try db.execute(sql: "UPDATE device SET clock_ms = ?, clock_counter = ? WHERE id = 1",
                           arguments: [clock.last.ms, clock.last.counter])
            try Self.keepSignatures(db, heads, keys: keys)
            try db.execute(sql: "UPDATE sync_state SET cursor = max(cursor, ?) WHERE id = 1", arguments: [nextCursor])
            return fresh.values.reduce(0) { $0 + $1.count }
        }
    }

    /// Keeps the signatures of pulled changesets (marked carried by the
    /// server, confirmed), so this device can hand them on to others in a
    /// bundle or from its hub; and each writer's key, only when it is the
    /// key its site id is made from.
    static func keepSignatures(_ db: Database, _ heads: [ChangesetHead], keys: [String: String]) throws {
        guard !heads.isEmpty else { return }
        let record = try db.cachedStatement(sql: "SELECT record_id, author FROM versions WHERE site_id = ? AND seq BETWEEN ? AND ? LIMIT 1")
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO changesets (site_id, seq, count, record_id, signature, acked, carried_by) VALUES (?, ?, ?, ?, ?, 1, 'server')
            """)
        let key = try db.cachedStatement(sql: "INSERT OR IGNORE INTO site_keys (site_id, public_key, user) VALUES (?, ?, ?)")
        for h in heads where h.count >= 1 && h.signature.utf8.count == 128 {
            guard let row = try Row.fetchOne(record, arguments: [h.site.rawValue, h.seq, h.lastSeq]) else { continue }
            try insert.execute(arguments: [h.site.rawValue, h.seq, h.count, row[0] as String, h.signature])
            if let k = keys[h.site.rawValue], SiteIdentity.derive(publicKey: k) == h.site {
                try key.execute(arguments: [h.site.rawValue, k, row[1] as String])
            }
        }
    }

    /// Remembers the hub this device syncs with, for the next `recolha sync`.
    public func rememberHub(_ url: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET hub = ? WHERE id = 1", arguments: [url]) }
    }

    /// Notes a finished sync and the clock skew it measured.
    public func recordSync(at: Int64, skewMs: Int64) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE sync_state SET last_sync_at = ?, skew_ms = ? WHERE id = 1", arguments: [at, skewMs])
        }
    }

    /// The forms held, by id and version, with the SHA-256 the server would give them.
    public func formDefinitions() throws(StoreError) -> [String: String] {
        try read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT form_id, version, definition FROM forms").map {
                (($0[0] as String) + "\u{1}" + ($0[1] as String), $0[2] as String)
            }, uniquingKeysWith: { a, _ in a })
        }
    }
}
