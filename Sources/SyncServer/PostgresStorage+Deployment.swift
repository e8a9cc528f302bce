import Words
import PostgresNIO
import Sync

/// Moving a whole deployment in and out of PostgreSQL (export and import).
extension PostgresStorage {
    public func isEmpty() async throws -> Bool {
        var n: Int64 = 0
        for try await c in try await client.query("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM versions)", logger: logger)
            .decode(Int64.self) { n = c }
        return n == 0
    }

    public func setImporting(_ importing: Bool) async throws {
        if importing {
            try await execute("INSERT INTO meta (key, value) VALUES ('importing', '1') ON CONFLICT (key) DO NOTHING")
        } else {
            try await execute("DELETE FROM meta WHERE key = 'importing'")
        }
    }

    public func isImporting() async throws -> Bool {
        try await changed("SELECT 1 FROM meta WHERE key = 'importing'")
    }

    public func wipe() async throws {
        try await transaction { conn in
            try await exec(conn, "TRUNCATE media_pieces, media_refs, media, changesets, versions, records, forms, devices, users")
        }
    }

    public func recordOwners() async throws -> [RecordOwner] {
        var out: [RecordOwner] = []
        for try await (id, owner, form, at) in try await client.query(
            "SELECT id, owner, form_id, created_at FROM records ORDER BY created_at, id", logger: logger).decode((String, String, String, Int64).self) {
            out.append(RecordOwner(id: id, owner: owner, formID: form, createdAt: at))
        }
        return out
    }

    public func exportVersions(after seq: Int64, limit: Int) async throws -> [StoredVersion] {
        var out: [StoredVersion] = []
        for try await (n, siteID, siteSeq, record, form, formVersion, field, value, ms, counter, parents, author, pushedBy, received)
            in try await client.query("""
                SELECT seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents,
                       author, pushed_by, received_at FROM versions WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)
                """, logger: logger).decode((Int64, String, Int64, String, String, String, String, String?, Int64, Int32, String, String, String, Int64).self) {
            guard let s = SiteID(siteID) else { continue }
            let v = Version(id: VersionID(site: s, seq: siteSeq), record: record, form: form, formVersion: formVersion, field: field,
                            value: value, clock: HLC(ms: ms, counter: counter, site: s),
                            parents: parents.split(separator: " ").compactMap { VersionID(String($0)) }, author: author)
            out.append(StoredVersion(seq: n, version: v, pushedBy: pushedBy, receivedAt: received))
        }
        return out
    }

    public func importRecords(_ records: [RecordOwner]) async throws {
        try await transaction { conn in
            for r in records {
                try await exec(conn, "INSERT INTO records (id, owner, form_id, created_at) VALUES (\(r.id), \(r.owner), \(r.formID), \(r.createdAt))")
            }
        }
    }

    public func importVersions(_ versions: [StoredVersion]) async throws {
        try await transaction { conn in
            for s in versions {
                let v = s.version
                let parents = v.parents.map(\.description).joined(separator: " ")
                try await exec(conn, """
                    INSERT INTO versions (seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms,
                                          clock_counter, parents, author, pushed_by, received_at)
                    VALUES (\(s.seq), \(v.id.site.rawValue), \(v.id.seq), \(v.record), \(v.form), \(v.formVersion), \(v.field),
                            \(v.value), \(v.clock.ms), \(Int32(v.clock.counter)), \(parents), \(v.author), \(s.pushedBy), \(s.receivedAt))
                    """)
            }
            // The files the versions name, as a push notes them; their bytes follow in the export.
            try await noteMedia(conn, versions.map(\.version))
            // New pushes take blocks past every imported sequence.
            try await exec(conn, """
                SELECT setval('push_blocks', GREATEST((SELECT COALESCE(MAX(seq), 0) FROM versions) / \(Int64(1) << Self.blockBits) + 1,
                    (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM push_blocks)), false)
                """)
        }
    }
}

/// The server's key and the changesets' signatures on PostgreSQL.
extension PostgresStorage {
    public func serverSecret() async throws -> String {
        try await execute("INSERT INTO meta (key, value) VALUES ('server_key', \(SiteIdentity.make().secret)) ON CONFLICT (key) DO NOTHING")
        var secret = ""
        for try await s in try await client.query("SELECT value FROM meta WHERE key = 'server_key'", logger: logger).decode(String.self) {
            secret = s
        }
        return secret
    }

    public func setServerSecret(_ secret: String) async throws {
        try await execute("""
            INSERT INTO meta (key, value) VALUES ('server_key', \(secret)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }

    public func relayedArrivals() async throws -> [RelayedArrival] {
        var out: [RelayedArrival] = []
        for try await (site, at, carrier) in try await client.query("""
            SELECT DISTINCT ON (c.site_id) c.site_id, c.received_at, c.carried_by FROM changesets c JOIN devices d ON d.id = c.carried_by
            WHERE d.site_id <> c.site_id ORDER BY c.site_id, c.received_at DESC
            """, logger: logger).decode((String, Int64, String).self) {
            if let s = SiteID(site) { out.append(RelayedArrival(site: s, at: at, carriedBy: carrier)) }
        }
        return out
    }

    public func exportChangesets(after: VersionID?, limit: Int) async throws -> [StoredChangeset] {
        var out: [StoredChangeset] = []
        let site = after?.site.rawValue ?? "", seq = after?.seq ?? 0
        for try await (s, q, n, sig, carrier, at) in try await client.query("""
            SELECT site_id, seq, count, signature, carried_by, received_at FROM changesets
            WHERE (site_id, seq) > (\(site), \(seq)) ORDER BY site_id, seq LIMIT \(limit)
            """, logger: logger).decode((String, Int64, Int64, String, String, Int64).self) {
            if let id = SiteID(s) { out.append(StoredChangeset(site: id, seq: q, count: n, signature: sig, carriedBy: carrier, receivedAt: at)) }
        }
        return out
    }

    public func importChangesets(_ changesets: [StoredChangeset]) async throws {
        guard !changesets.isEmpty else { return }
        try await execute("""
            INSERT INTO changesets (site_id, seq, count, signature, carried_by, received_at)
            SELECT * FROM unnest(\(changesets.map(\.site.rawValue))::text[], \(changesets.map(\.seq))::bigint[],
                                 \(changesets.map(\.count))::bigint[], \(changesets.map(\.signature))::text[],
                                 \(changesets.map(\.carriedBy))::text[], \(changesets.map(\.receivedAt))::bigint[])
            """)
    }
}
