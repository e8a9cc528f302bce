import Words
import Foundation
import GRDB
import Sync

/// The server's storage on one embedded SQLite file (WAL, one writer, many
/// readers). A single writer assigns sequences inside its transaction, so
/// commit order is sequence order and no reader sees 11 before 10.
public final class SQLiteStorage: ServerStorage {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating when asked) the server database at `path`.
    public init(path: String, create: Bool = false) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { throw ServerSetupError("no server data at \(path): run `recolha-server init --data DIR` first") }
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            guard fd >= 0 else { throw ServerSetupError("cannot create \(path): \(String(cString: strerror(errno)))") }
            close(fd)
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-server") { db in try db.execute(sql: Self.schema) }
        migrator.registerMigration("v2-identity") { db in try db.execute(sql: Self.schemaV2) }
        migrator.registerMigration("v3-device-keys") { db in try db.execute(sql: Self.schemaV3) }
        migrator.registerMigration("v4-changesets") { db in try db.execute(sql: Self.schemaV4) }
        migrator.registerMigration("v5-clock-skew") { db in try db.execute(sql: "ALTER TABLE devices ADD COLUMN clock_skew_ms INTEGER") }
        migrator.registerMigration("v6-media") { db in try db.execute(sql: Self.schemaMedia) }
        if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
            throw ServerSetupError("\(path) was written by a newer recolha-server: upgrade to serve it")
        }
        let had = try pool.read { try migrator.appliedIdentifiers($0) }
        try migrator.migrate(pool)
        let applied = migrator.migrations.filter { !had.contains($0) }
        upgradeNotice = had.isEmpty || applied.isEmpty ? nil
            : "the server data at \(path) was made by an older recolha-server and is now updated for this one (\(applied.joined(separator: ", "))); nothing in it was lost"
    }

    /// Set when opening applied migrations of a newer release to existing
    /// data (after a package upgrade).
    public let upgradeNotice: String?

    static let schema = """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('enumerator', 'supervisor', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            user TEXT NOT NULL REFERENCES users (name),
            name TEXT NOT NULL,
            site_id TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            last_seen_at INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE forms (
            form_id TEXT NOT NULL,
            version TEXT NOT NULL,
            title TEXT NOT NULL,
            definition TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            PRIMARY KEY (form_id, version)
        );
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            form_id TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX records_owner ON records (owner);
        CREATE TABLE versions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            site_id TEXT NOT NULL,
            site_seq INTEGER NOT NULL,
            record_id TEXT NOT NULL REFERENCES records (id),
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT,
            clock_ms INTEGER NOT NULL,
            clock_counter INTEGER NOT NULL,
            parents TEXT NOT NULL,
            author TEXT NOT NULL,
            pushed_by TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            UNIQUE (site_id, site_seq)
        );
        CREATE INDEX versions_record ON versions (record_id);
        """

    /// A device's predecessor site (a store found to be a copy took a new
    /// identity), and a marker for an import that has not finished.
    static let schemaV2 = """
        ALTER TABLE devices ADD COLUMN previous_site_id TEXT;
        CREATE INDEX devices_site ON devices (site_id);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """

    /// Protocol 2: each device's Ed25519 public key (and its predecessor's).
    /// Devices enrolled under protocol 1 hold no key; they log in again.
    static let schemaV3 = """
        ALTER TABLE devices ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE devices ADD COLUMN previous_public_key TEXT;
        """

    /// Protocol 2: each changeset's signature and who carried it here (the
    /// device id that pushed it: the writer itself, or a relay), and the
    /// server's own key for signing receipts (in meta).
    static let schemaV4 = """
        ALTER TABLE devices ADD COLUMN hpke_key TEXT NOT NULL DEFAULT '';
        CREATE TABLE changesets (
            site_id TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            count INTEGER NOT NULL CHECK (count >= 1),
            signature TEXT NOT NULL,
            carried_by TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            PRIMARY KEY (site_id, seq)
        ) WITHOUT ROWID;
        """

    public func createUser(_ u: UserRecord) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [u.name]) == true {
                throw ServerSetupError("user \(u.name) already exists")
            }
            try db.execute(sql: "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [u.name, u.role.rawValue, u.passwordHash, u.disabled, u.createdAt])
        }
    }

    static func user(_ row: Row) -> UserRecord {
        UserRecord(name: row["name"], role: Role(rawValue: row["role"]) ?? .enumerator, passwordHash: row["password_hash"],
                   disabled: row["disabled"], createdAt: row["created_at"])
    }

    public func user(named name: String) async throws -> UserRecord? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user) }
    }

    public func users() async throws -> [UserRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func setDisabled(user name: String, _ disabled: Bool) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            return db.changesCount > 0
        }
    }

    public func setPasswordHash(user name: String, _ hash: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE name = ?", arguments: [hash, name])
            return db.changesCount > 0
        }
    }

    public func sequenceGaps() async throws -> [SiteID: Int64] {
        try await pool.read { db in
            var out: [SiteID: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT site_id, max(site_seq) - count(*) FROM versions GROUP BY site_id HAVING max(site_seq) > count(*)") {
                if let site = SiteID(row[0] as String) { out[site] = row[1] }
            }
            return out
        }
    }

    public func addDevice(_ d: DeviceRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO devices (id, user, name, site_id, token_hash, created_at, expires_at, last_seen_at, revoked, previous_site_id,
                                     public_key, previous_public_key, hpke_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [d.id, d.user, d.name, d.site.rawValue, d.tokenHash, d.createdAt, d.expiresAt, d.lastSeenAt, d.revoked,
                                 d.previousSite?.rawValue, d.publicKey, d.previousPublicKey, d.hpkeKey])
        }
    }

    static func device(_ row: Row) -> DeviceRecord {
        DeviceRecord(id: row["id"], user: row["user"], name: row["name"], site: SiteID(row["site_id"]) ?? SiteID("0000000000000000")!,
                     tokenHash: row["token_hash"], createdAt: row["created_at"], expiresAt: row["expires_at"],
                     lastSeenAt: row["last_seen_at"], revoked: row["revoked"],
                     publicKey: row["public_key"], previousSite: (row["previous_site_id"] as String?).flatMap(SiteID.init),
                     previousPublicKey: row["previous_public_key"], hpkeKey: row["hpke_key"], clockSkewMs: row["clock_skew_ms"])
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ?", arguments: [id]).map(Self.device) }
    }

    public func devices() async throws -> [DeviceRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM devices ORDER BY created_at").map(Self.device) }
    }

    public func devices(site: SiteID) async throws -> [DeviceRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM devices WHERE site_id = ? ORDER BY created_at", arguments: [site.rawValue]).map(Self.device)
        }
    }

    public func revokeDevice(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE devices SET revoked = 1 WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func touchDevice(id: String, at: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE devices SET last_seen_at = ? WHERE id = ?", arguments: [at, id])
        }
    }

    public func setClockSkew(device id: String, _ skewMs: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE devices SET clock_skew_ms = ? WHERE id = ?", arguments: [skewMs, id])
        }
    }

    public func clockSkews() async throws -> [String: Int64] {
        try await pool.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT id, clock_skew_ms FROM devices WHERE clock_skew_ms IS NOT NULL")
                .map { ($0[0] as String, $0[1] as Int64) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public func publish(_ f: PublishedForm) async throws -> Bool {
        try await pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT sha256 FROM forms WHERE form_id = ? AND version = ?",
                                                  arguments: [f.formID, f.version]) {
                if existing == f.sha256 { return false }
                throw ServerError.formChanged(f.formID, f.version)
            }
            try db.execute(sql: "INSERT INTO forms (form_id, version, title, definition, sha256, published_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [f.formID, f.version, f.title, f.definition, f.sha256, f.publishedAt])
            return true
        }
    }

    static func form(_ row: Row) -> PublishedForm {
        PublishedForm(formID: row["form_id"], version: row["version"], title: row["title"], definition: row["definition"],
                      sha256: row["sha256"], publishedAt: row["published_at"])
    }

    public func forms() async throws -> [PublishedForm] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM forms ORDER BY form_id, published_at").map(Self.form) }
    }

    public func form(id: String, version: String) async throws -> PublishedForm? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM forms WHERE form_id = ? AND version = ?", arguments: [id, version]).map(Self.form)
        }
    }

    static let pageColumns = "v.seq, v.site_id, v.site_seq, v.record_id, v.form_id, v.form_version, v.field, v.value, v.clock_ms, v.clock_counter, v.parents, v.author"
    /// A page of an enumerator's pull: their own records' versions. CROSS
    /// JOIN keeps versions the outer loop: the page's range of sequences,
    /// then each version's record by its key. Left to choose, SQLite started
    /// from every record the owner has (records_owner) and probed each one's
    /// versions, so every page cost as much as the owner's whole store:
    /// 0.42 s a page at 100,000 records, about 16 minutes of server time
    /// for one enumerator's 4.5-million-version pull (found measuring issue 13).
    static let ownersPage = """
        SELECT \(pageColumns) FROM versions v CROSS JOIN records r ON r.id = v.record_id
        WHERE v.seq > ? AND v.seq <= ? AND r.owner = ? AND v.site_id <> ? ORDER BY v.seq
        """

    public func pull(after cursor: Int64, limit: Int, maxBytes: Int, owner: String?, excludingSite: SiteID?) async throws
        -> (versions: [SequencedVersion], next: Int64, more: Bool) {
        try await pool.read { db in
            // The last sequence scanned, even when skipped: the next cursor.
            let tail = try Int64.fetchOne(db, sql: "SELECT seq FROM versions WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
                                          arguments: [cursor, limit - 1])
            let site = excludingSite?.rawValue ?? ""
            let rows: RowCursor
            if let owner {
                rows = try Row.fetchCursor(db, sql: Self.ownersPage, arguments: [cursor, tail ?? Int64.max, owner, site])
            } else {
                rows = try Row.fetchCursor(db, sql: """
                    SELECT \(Self.pageColumns) FROM versions v WHERE v.seq > ? AND v.seq <= ? AND v.site_id <> ? ORDER BY v.seq
                    """, arguments: [cursor, tail ?? Int64.max, site])
            }
            var out: [SequencedVersion] = []
            var bytes = 0
            let maxSeq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM versions") ?? cursor
            var next = max(tail ?? maxSeq, cursor)
            var more = tail != nil && next < maxSeq
            while let row = try rows.next() {
                let value: String? = row[7]
                let size = 160 + (value?.utf8.count ?? 4) + (row[10] as String).utf8.count
                if !out.isEmpty && bytes + size > maxBytes {
                    next = out.last!.seq
                    more = true
                    break
                }
                guard let v = Self.version(row) else { continue }
                out.append(SequencedVersion(seq: row[0], version: v))
                bytes += size
            }
            return (out, next, more)
        }
    }

    /// A version from a row that starts seq, site_id, site_seq, record_id,
    /// form_id, form_version, field, value, clock_ms, clock_counter, parents, author.
    static func version(_ row: Row) -> Version? {
        guard let site = SiteID(row[1]) else { return nil }
        return Version(id: VersionID(site: site, seq: row[2]), record: row[3], form: row[4], formVersion: row[5], field: row[6],
                       value: row[7], clock: HLC(ms: row[8], counter: row[9], site: site),
                       parents: (row[10] as String).split(separator: " ").compactMap { VersionID(String($0)) }, author: row[11])
    }

    public func versionCount() async throws -> Int {
        try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions") ?? 0 }
    }
}

/// A problem setting up or administering the server, said plainly.
public struct ServerSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SQLiteStorage {
    /// The SQLite library this process runs on (`recolha-server --version`).
    public static var sqliteVersion: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }).flatMap { $0 } ?? "unknown"
    }
}
