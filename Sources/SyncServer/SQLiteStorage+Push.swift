import Words
import Foundation
import GRDB
import SQLiteBinding
import Sync

/// The push's transaction: what is held already, the owner's check, and the
/// rows of every accepted changeset.
extension SQLiteStorage {
    public func push(_ changesets: [Changeset], carrier: String, by user: String, at: Int64, policy: VersionPolicy) async throws -> PushResult {
        try await pool.write { db in
            var result = PushResult()
            let held = try db.cachedStatement(sql: """
                SELECT seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
                FROM versions WHERE site_id = ? AND site_seq BETWEEN ? AND ?
                """)
            let owner = try db.cachedStatement(sql: "SELECT owner FROM records WHERE id = ?")
            let newRecord = try db.cachedStatement(sql: "INSERT INTO records (id, owner, form_id, created_at) VALUES (?, ?, ?, ?)")
            let signature = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO changesets (site_id, seq, count, signature, carried_by, received_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            var reused: [VersionID] = []
            for c in changesets {
                // What the server already holds of the changeset's numbers:
                // one range query, not one per version (a changeset's
                // versions are consecutive numbers of one site).
                var heldHere: [Int64: Version?] = [:]
                let versions = c.versions
                let rows = try Row.fetchCursor(held, arguments: [c.site.rawValue, c.seq, c.lastSeq])
                while let row = try rows.next() { heldHere[row[2] as Int64] = Self.version(row) }
                var fresh: [Version] = []
                fresh.reserveCapacity(versions.count)
                for v in versions {
                    if let existing = heldHere[v.id.seq] {
                        if existing != v { reused.append(v.id) }
                    } else {
                        fresh.append(v)
                    }
                }
                if fresh.isEmpty { result.duplicates.append(c.id); continue }
                // A changeset enters whole or not at all: its signature covers every version.
                let recordOwner = try String.fetchOne(owner, arguments: [c.record])
                if let reason = Self.firstRefusal(fresh, owner: recordOwner, policy) {
                    result.rejected.append(Rejection(id: c.id, reason))
                    continue
                }
                // The owner is the writer (the policy checked the author), not a relay.
                if recordOwner == nil { try newRecord.execute(arguments: [c.record, c.author, c.form, at]) }
                try db.insertRows("""
                    INSERT INTO versions (site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms,
                                          clock_counter, parents, author, pushed_by, received_at)
                    """, columns: 13, count: fresh.count) { b, i in
                    let v = fresh[i]
                    b.text(v.id.site.rawValue); b.int(v.id.seq); b.text(v.record); b.text(v.form); b.text(v.formVersion)
                    b.text(v.field); b.text(v.value); b.int(v.clock.ms); b.int(Int64(v.clock.counter))
                    b.text(v.parents.isEmpty ? "" : v.parents.map(\.description).joined(separator: " ")); b.text(v.author)
                    b.text(user); b.int(at)
                }
                try Self.noteMedia(db, fresh)
                try signature.execute(arguments: [c.site.rawValue, c.seq, c.entries.count, c.signature, carrier, at])
                result.accepted.append(c.id)
            }
            // Thrown inside the transaction: nothing of the batch is stored.
            if !reused.isEmpty { throw ServerError.siteReused(reused) }
            return result
        }
    }
}
