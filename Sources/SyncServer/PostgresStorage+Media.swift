import Foundation
import PostgresNIO
import Sync

/// Media files on PostgreSQL: the same tables as on SQLite (bytea pieces).
extension PostgresStorage {
    static let mediaMigration: (String, [String]) = ("v6-media", [
        """
        CREATE TABLE media (
            sha256 TEXT PRIMARY KEY,
            size BIGINT NOT NULL,
            name TEXT NOT NULL,
            received BIGINT NOT NULL DEFAULT 0,
            complete BOOLEAN NOT NULL DEFAULT false)
        """,
        """
        CREATE TABLE media_refs (
            sha256 TEXT NOT NULL,
            record_id TEXT NOT NULL,
            PRIMARY KEY (sha256, record_id))
        """,
        "CREATE INDEX media_refs_by_record ON media_refs (record_id)",
        """
        CREATE TABLE media_pieces (
            sha256 TEXT NOT NULL,
            "offset" BIGINT NOT NULL,
            data BYTEA NOT NULL,
            PRIMARY KEY (sha256, "offset"))
        """,
    ])

    /// Notes the files fresh versions name (inside the push's transaction).
    func noteMedia(_ conn: PostgresConnection, _ versions: [Version]) async throws {
        let refs = MediaRefs.of(versions)
        guard !refs.isEmpty else { return }
        try await exec(conn, """
            INSERT INTO media (sha256, size, name)
            SELECT DISTINCT ON (h) h, s, n FROM unnest(\(refs.map(\.file.sha256))::text[], \(refs.map { Int64($0.file.size) })::bigint[],
                                                     \(refs.map(\.file.name))::text[]) AS u(h, s, n)
            ON CONFLICT DO NOTHING
            """)
        try await exec(conn, """
            INSERT INTO media_refs (sha256, record_id)
            SELECT DISTINCT h, r FROM unnest(\(refs.map(\.file.sha256))::text[], \(refs.map(\.record))::text[]) AS u(h, r)
            ON CONFLICT DO NOTHING
            """)
    }

    func media(_ conn: PostgresConnection, _ sha256: String, lock: Bool) async throws -> ServerMedia? {
        var found: ServerMedia?
        let query: PostgresQuery = lock
            ? "SELECT size, name, received, complete FROM media WHERE sha256 = \(sha256) FOR UPDATE"
            : "SELECT size, name, received, complete FROM media WHERE sha256 = \(sha256)"
        for try await (size, name, received, complete) in try await conn.query(query, logger: logger).decode((Int64, String, Int64, Bool).self) {
            found = ServerMedia(sha256: sha256, size: Int(size), name: name, received: Int(received), complete: complete, owners: [])
        }
        guard var m = found else { return nil }
        for try await owner in try await conn.query("""
            SELECT DISTINCT r.owner FROM media_refs m JOIN records r ON r.id = m.record_id WHERE m.sha256 = \(sha256) ORDER BY r.owner
            """, logger: logger).decode(String.self) { m.owners.append(owner) }
        return m.owners.isEmpty ? nil : m
    }

    public func media(_ sha256: String) async throws -> ServerMedia? {
        try await client.withConnection { conn in try await self.media(conn, sha256, lock: false) }
    }

    public func appendMedia(_ sha256: String, offset: Int, bytes: Data) async throws -> ServerMedia {
        try await transaction { conn in
            guard var m = try await self.media(conn, sha256, lock: true) else { throw ServerError(.notFound, "media_unknown", "no record names this file") }
            if m.complete { return m }
            guard offset == m.received else { throw ServerError.mediaOffset(m.received) }
            if !bytes.isEmpty {
                try await self.exec(conn, "INSERT INTO media_pieces (sha256, \"offset\", data) VALUES (\(sha256), \(Int64(offset)), \(bytes))")
            }
            m.received += bytes.count
            try await self.exec(conn, "UPDATE media SET received = \(Int64(m.received)) WHERE sha256 = \(sha256)")
            return m
        }
    }

    public func mediaBytes(_ sha256: String, from offset: Int, count: Int) async throws -> Data {
        var out = Data()
        let end = Int64(offset + count), start = Int64(offset)
        for try await (pieceStart, data) in try await client.query("""
            SELECT "offset", data FROM media_pieces
            WHERE sha256 = \(sha256) AND "offset" < \(end) AND "offset" + length(data) > \(start) ORDER BY "offset"
            """, logger: logger).decode((Int64, Data).self) {
            guard out.count < count else { continue }
            let from = max(offset + out.count - Int(pieceStart), 0)
            out.append(data[data.startIndex + from ..< data.endIndex].prefix(count - out.count))
        }
        return out
    }

    public func finishMedia(_ sha256: String, verified: Bool) async throws {
        try await transaction { conn in
            if verified {
                try await self.exec(conn, "UPDATE media SET complete = true WHERE sha256 = \(sha256)")
            } else {
                try await self.exec(conn, "DELETE FROM media_pieces WHERE sha256 = \(sha256)")
                try await self.exec(conn, "UPDATE media SET received = 0 WHERE sha256 = \(sha256)")
            }
        }
    }

    public func completeMedia(after: String, limit: Int) async throws -> [String] {
        var out: [String] = []
        for try await sha in try await client.query("""
            SELECT sha256 FROM media WHERE complete AND sha256 > \(after) ORDER BY sha256 LIMIT \(Int64(limit))
            """, logger: logger).decode(String.self) { out.append(sha) }
        return out
    }

    public func missingMedia(records: [String]) async throws -> [String: [ServerMedia]] {
        var out: [String: [ServerMedia]] = [:]
        guard !records.isEmpty else { return out }
        for try await (record, sha, size, name, received) in try await client.query("""
            SELECT r.record_id, m.sha256, m.size, m.name, m.received FROM media_refs r JOIN media m ON m.sha256 = r.sha256
            WHERE r.record_id = ANY(\(records)) AND NOT m.complete ORDER BY m.name
            """, logger: logger).decode((String, String, Int64, String, Int64).self) {
            out[record, default: []].append(ServerMedia(sha256: sha, size: Int(size), name: name, received: Int(received), complete: false, owners: []))
        }
        return out
    }
}
