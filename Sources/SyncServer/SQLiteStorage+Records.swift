import Words
import Foundation
import GRDB
import Sync

/// What pulls and the console read beyond the versions themselves: the
/// changesets holding them, one record's versions, fields across records,
/// a site's last sequence.
extension SQLiteStorage {
    public func changesets(holding ids: [VersionID]) async throws -> (heads: [ChangesetHead], keys: [String: String], carriers: [VersionID: String]) {
        try await pool.read { db in
            let find = try db.cachedStatement(sql: "SELECT seq, count, signature, carried_by FROM changesets WHERE site_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1")
            let key = try db.cachedStatement(sql: """
                SELECT public_key FROM devices WHERE site_id = ? AND public_key <> ''
                UNION ALL SELECT previous_public_key FROM devices WHERE previous_site_id = ? AND previous_public_key IS NOT NULL LIMIT 1
                """)
            var heads: [ChangesetHead] = [], keys: [String: String] = [:], last: [SiteID: ClosedRange<Int64>] = [:]
            var carriers: [VersionID: String] = [:]
            for id in ids {
                if last[id.site]?.contains(id.seq) == true { continue }
                guard let row = try Row.fetchOne(find, arguments: [id.site.rawValue, id.seq]) else { continue }
                let head = ChangesetHead(site: id.site, seq: row[0], count: row[1], signature: row[2])
                guard head.lastSeq >= id.seq else { continue }
                last[id.site] = head.seq...head.lastSeq
                heads.append(head)
                carriers[VersionID(site: id.site, seq: head.seq)] = row[3]
                if keys[id.site.rawValue] == nil, let k = try String.fetchOne(key, arguments: [id.site.rawValue, id.site.rawValue]) {
                    keys[id.site.rawValue] = k
                }
            }
            return (heads, keys, carriers)
        }
    }

    static let versionColumns = "seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author"

    public func versions(record id: String) async throws -> [StoredVersion] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns), pushed_by, received_at FROM versions WHERE record_id = ? ORDER BY seq",
                             arguments: [id]).compactMap { row in
                Self.version(row).map { StoredVersion(seq: row[0], version: $0, pushedBy: row[12], receivedAt: row[13]) }
            }
        }
    }

    public func versions(fields: [String]) async throws -> [Version] {
        guard !fields.isEmpty else { return [] }
        return try await pool.read { db in
            let marks = Array(repeating: "?", count: fields.count).joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns) FROM versions WHERE field IN (\(marks)) ORDER BY seq",
                                    arguments: StatementArguments(fields)).compactMap(Self.version)
        }
    }

    public func lastSeq(site: SiteID) async throws -> Int64 {
        try await pool.read { try Int64.fetchOne($0, sql: "SELECT max(site_seq) FROM versions WHERE site_id = ?", arguments: [site.rawValue]) ?? 0 }
    }
}
