import Foundation
import GRDB
import Sync

/// Media files on the server's SQLite file: what records name them, and
/// their bytes in pieces as they arrived (a resumed upload appends).
extension SQLiteStorage {
    static let schemaMedia = """
        CREATE TABLE media (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            name TEXT NOT NULL,
            received INTEGER NOT NULL DEFAULT 0,
            complete INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE media_refs (
            sha256 TEXT NOT NULL,
            record_id TEXT NOT NULL,
            PRIMARY KEY (sha256, record_id)
        ) WITHOUT ROWID;
        CREATE INDEX media_refs_by_record ON media_refs (record_id);
        CREATE TABLE media_pieces (
            sha256 TEXT NOT NULL,
            offset INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (sha256, offset)
        ) WITHOUT ROWID;
        """

    /// Notes the files fresh versions name (inside the push's transaction).
    static func noteMedia(_ db: Database, _ versions: [Version]) throws {
        for (f, record) in MediaRefs.of(versions) {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO media (sha256, size, name) VALUES (?, ?, ?)")
                .execute(arguments: [f.sha256, f.size, f.name])
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO media_refs (sha256, record_id) VALUES (?, ?)")
                .execute(arguments: [f.sha256, record])
        }
    }

    static func media(_ db: Database, _ sha256: String) throws -> ServerMedia? {
        guard let row = try Row.fetchOne(db, sql: "SELECT size, name, received, complete FROM media WHERE sha256 = ?", arguments: [sha256]) else {
            return nil
        }
        let owners = try String.fetchAll(db, sql: """
            SELECT DISTINCT r.owner FROM media_refs m JOIN records r ON r.id = m.record_id WHERE m.sha256 = ? ORDER BY r.owner
            """, arguments: [sha256])
        guard !owners.isEmpty else { return nil }
        return ServerMedia(sha256: sha256, size: row[0], name: row[1], received: row[2], complete: row[3], owners: owners)
    }

    public func media(_ sha256: String) async throws -> ServerMedia? {
        try await pool.read { db in try Self.media(db, sha256) }
    }

    public func appendMedia(_ sha256: String, offset: Int, bytes: Data) async throws -> ServerMedia {
        try await pool.write { db in
            guard var m = try Self.media(db, sha256) else { throw ServerError(.notFound, "media_unknown", "no record names this file") }
            if m.complete { return m }
            guard offset == m.received else { throw ServerError.mediaOffset(m.received) }
            if !bytes.isEmpty {
                try db.execute(sql: "INSERT INTO media_pieces (sha256, offset, data) VALUES (?, ?, ?)", arguments: [sha256, offset, bytes])
            }
            m.received += bytes.count
            try db.execute(sql: "UPDATE media SET received = ? WHERE sha256 = ?", arguments: [m.received, sha256])
            return m
        }
    }

    public func mediaBytes(_ sha256: String, from offset: Int, count: Int) async throws -> Data {
        try await pool.read { db in
            var out = Data()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT offset, data FROM media_pieces WHERE sha256 = ? AND offset < ? AND offset + length(data) > ? ORDER BY offset
                """, arguments: [sha256, offset + count, offset])
            while let row = try rows.next(), out.count < count {
                let start: Int = row[0]
                let data: Data = row[1]
                let from = max(offset + out.count - start, 0)
                let piece = data[data.startIndex + from ..< data.endIndex]
                out.append(piece.prefix(count - out.count))
            }
            return out
        }
    }

    public func finishMedia(_ sha256: String, verified: Bool) async throws {
        try await pool.write { db in
            if verified {
                try db.execute(sql: "UPDATE media SET complete = 1 WHERE sha256 = ?", arguments: [sha256])
            } else {
                try db.execute(sql: "DELETE FROM media_pieces WHERE sha256 = ?", arguments: [sha256])
                try db.execute(sql: "UPDATE media SET received = 0 WHERE sha256 = ?", arguments: [sha256])
            }
        }
    }

    public func completeMedia(after: String, limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT sha256 FROM media WHERE complete = 1 AND sha256 > ? ORDER BY sha256 LIMIT ?", arguments: [after, limit])
        }
    }

    public func missingMedia(records: [String]) async throws -> [String: [ServerMedia]] {
        try await pool.read { db in
            var out: [String: [ServerMedia]] = [:]
            for record in records {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT m.sha256, m.size, m.name, m.received FROM media_refs r JOIN media m ON m.sha256 = r.sha256
                    WHERE r.record_id = ? AND m.complete = 0 ORDER BY m.name
                    """, arguments: [record])
                if !rows.isEmpty {
                    out[record] = rows.map { ServerMedia(sha256: $0[0], size: $0[1], name: $0[2], received: $0[3], complete: false, owners: []) }
                }
            }
            return out
        }
    }
}
