import Words
import Foundation
import GRDB
import Sync

/// Moving a whole deployment in and out of SQLite (export and import), the
/// server's signing key and the changesets' signatures.
extension SQLiteStorage {
    public func isEmpty() async throws -> Bool {
        try await pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM versions)") ?? 0) == 0
        }
    }

    public func setImporting(_ importing: Bool) async throws {
        try await pool.write { db in
            if importing {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('importing', '1')")
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = 'importing'")
            }
        }
    }

    public func isImporting() async throws -> Bool {
        try await pool.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM meta WHERE key = 'importing'") == true }
    }

    public func wipe() async throws {
        try await pool.write { db in
            for table in ["media_pieces", "media_refs", "media", "changesets", "versions", "records", "forms", "devices", "users"] { try db.execute(sql: "DELETE FROM \(table)") }
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'versions'")
        }
    }

    public func serverSecret() async throws -> String {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('server_key', ?)", arguments: [SiteIdentity.make().secret])
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'server_key'") ?? ""
        }
    }

    public func setServerSecret(_ secret: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('server_key', ?)", arguments: [secret])
        }
    }

    public func relayedArrivals() async throws -> [RelayedArrival] {
        try await pool.read { db in
            // SQLite takes the bare column from the row holding the max.
            try Row.fetchAll(db, sql: """
                SELECT c.site_id, max(c.received_at), c.carried_by FROM changesets c JOIN devices d ON d.id = c.carried_by
                WHERE d.site_id <> c.site_id GROUP BY c.site_id ORDER BY c.site_id
                """).compactMap { row in SiteID(row[0]).map { RelayedArrival(site: $0, at: row[1], carriedBy: row[2]) } }
        }
    }

    public func exportChangesets(after: VersionID?, limit: Int) async throws -> [StoredChangeset] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT site_id, seq, count, signature, carried_by, received_at FROM changesets
                WHERE (site_id, seq) > (?, ?) ORDER BY site_id, seq LIMIT ?
                """, arguments: [after?.site.rawValue ?? "", after?.seq ?? 0, limit]).compactMap { row in
                SiteID(row[0]).map { StoredChangeset(site: $0, seq: row[1], count: row[2], signature: row[3], carriedBy: row[4], receivedAt: row[5]) }
            }
        }
    }

    public func importChangesets(_ changesets: [StoredChangeset]) async throws {
        try await pool.write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO changesets (site_id, seq, count, signature, carried_by, received_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for c in changesets {
                try stmt.execute(arguments: [c.site.rawValue, c.seq, c.count, c.signature, c.carriedBy, c.receivedAt])
            }
        }
    }

    public func recordOwners() async throws -> [RecordOwner] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, owner, form_id, created_at FROM records ORDER BY created_at, id").map {
                RecordOwner(id: $0[0], owner: $0[1], formID: $0[2], createdAt: $0[3])
            }
        }
    }

    public func exportVersions(after seq: Int64, limit: Int) async throws -> [StoredVersion] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents,
                       author, pushed_by, received_at FROM versions WHERE seq > ? ORDER BY seq LIMIT ?
                """, arguments: [seq, limit]).compactMap { row in
                guard let v = Self.version(row) else { return nil }
                return StoredVersion(seq: row[0], version: v, pushedBy: row[12], receivedAt: row[13])
            }
        }
    }

    public func importRecords(_ records: [RecordOwner]) async throws {
        try await pool.write { db in
            let stmt = try db.cachedStatement(sql: "INSERT INTO records (id, owner, form_id, created_at) VALUES (?, ?, ?, ?)")
            for r in records { try stmt.execute(arguments: [r.id, r.owner, r.formID, r.createdAt]) }
        }
    }

    public func importVersions(_ versions: [StoredVersion]) async throws {
        try await pool.write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO versions (seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms,
                                      clock_counter, parents, author, pushed_by, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in versions {
                let v = s.version
                try stmt.execute(arguments: [s.seq, v.id.site.rawValue, v.id.seq, v.record, v.form, v.formVersion, v.field, v.value,
                                             v.clock.ms, v.clock.counter, v.parents.map(\.description).joined(separator: " "), v.author,
                                             s.pushedBy, s.receivedAt])
            }
            // The files the versions name, as a push notes them; their bytes follow in the export.
            try Self.noteMedia(db, versions.map(\.version))
        }
    }
}
