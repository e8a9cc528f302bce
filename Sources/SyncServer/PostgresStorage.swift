import Words
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Sync

/// The server's storage on PostgreSQL, for deployments of several stateless
/// instances: users, tokens, forms, versions and cursors all live here.
///
/// Pushes from every instance run at once, with no global turn: each takes
/// a block of sequence numbers when it is ready to insert, and a pull reads
/// only below the lowest block still in flight, so a reader never passes a
/// sequence a transaction may yet commit (see `pushBlocksMigration`).
public final class PostgresStorage: ServerStorage {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Held for the moment a push takes and locks a block of sequences.
    static let pushLock: Int64 = 0x5243_4C48_0001
    static let migrationLock: Int64 = 0x5243_4C48_0002
    /// Tests only: runs inside a push after it took its sequences and
    /// before it inserts and commits, to hold a push in flight.
    nonisolated(unsafe) public var pushInFlight: (@Sendable () async -> Void)?
    /// Longest a statement may run before PostgreSQL cancels it.
    static let statementTimeoutMs = 30_000

    /// Connects to `postgres://user:password@host:port/database[?sslmode=require]`
    /// and applies the migrations it lacks.
    /// - Throws: `ServerSetupError` for a URL it cannot read or a database it cannot reach.
    public init(url: String, logger: Logger = Logger(label: "recolha-server.postgres")) async throws {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""),
              let host = c.host, let user = c.user else {
            throw ServerSetupError("cannot read the PostgreSQL URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        let tls = try Self.tls(query: c.queryItems ?? [])
        var config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: user, password: c.password,
                                                  database: database.isEmpty ? user : database, tls: tls)
        // No statement (nor a wait for a lock) holds a connection forever;
        // set once per connection, not per transaction (a round trip each).
        config.options.additionalStartupParameters = [("statement_timeout", String(Self.statementTimeoutMs))]
        client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.logger = logger
        let c2 = client
        runner = Task { await c2.run() }
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw ServerSetupError("cannot use the PostgreSQL database at \(host):\(c.port ?? 5432)/\(database): \(Self.describe(error))")
        }
    }

    deinit { runner.cancel() }

    /// TLS as libpq reads `sslmode` (and `sslrootcert`): disable; allow and
    /// prefer (encrypt when the server offers, verify nothing); require
    /// (encrypt, verify nothing); verify-ca (the chain against the root
    /// certificates); verify-full (the chain and the host name). An unknown
    /// mode is refused, never read as plain text.
    /// https://www.postgresql.org/docs/15/libpq-ssl.html
    static func tls(query: [URLQueryItem]) throws -> PostgresClient.Configuration.TLS {
        let mode = query.first { $0.name == "sslmode" }?.value ?? "prefer"
        let rootcert = query.first { $0.name == "sslrootcert" }?.value
        func configuration(verify: CertificateVerification) throws -> TLSConfiguration {
            var t = TLSConfiguration.makeClientConfiguration()
            t.certificateVerification = verify
            guard verify != .none else { return t }
            let file = rootcert ?? (NSHomeDirectory() + "/.postgresql/root.crt")
            if file == "system" { return t }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ServerSetupError("sslmode=\(mode) needs the root certificate \(file): give sslrootcert=FILE (or sslrootcert=system for the system's CAs)")
            }
            t.trustRoots = .file(file)
            return t
        }
        switch mode {
        case "disable": return .disable
        case "allow", "prefer": return .prefer(try configuration(verify: .none))
        case "require": return .require(try configuration(verify: .none))
        case "verify-ca": return .require(try configuration(verify: .noHostnameVerification))
        case "verify-full": return .require(try configuration(verify: .fullVerification))
        default:
            throw ServerSetupError("unknown sslmode \(mode) in the PostgreSQL URL: use disable, allow, prefer, require, verify-ca or verify-full")
        }
    }

    /// Runs a statement and reads its rows to the end: a row stream left
    /// unread holds the connection, and the next statement on it waits forever.
    func exec(_ conn: PostgresConnection, _ query: PostgresQuery) async throws {
        for try await _ in try await conn.query(query, logger: logger) {}
    }

    /// A statement on any pooled connection, rows read to the end.
    func execute(_ query: PostgresQuery) async throws {
        for try await _ in try await client.query(query, logger: logger) {}
    }

    /// One transaction on one pooled connection; the closure's own error
    /// comes out as it was thrown, after a rollback.
    func transaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
            try await exec(conn, "BEGIN")
            do {
                let result = try await body(conn)
                try await exec(conn, "COMMIT")
                return result
            } catch {
                try? await exec(conn, "ROLLBACK")
                // PostgresNIO keeps a statement that failed while a connection
                // prepared it failed on that connection for good: after any
                // error but a refusal of the data, the connection is closed
                // and the pool opens a fresh one.
                if let e = error as? PSQLError, !Self.keepsConnection(e) { try? await conn.close() }
                throw error
            }
        }
    }

    /// Errors about the data (integrity, data, a deadlock or serialization
    /// failure to retry) leave the connection as good as it was.
    static func keepsConnection(_ e: PSQLError) -> Bool {
        guard let state = e.serverInfo?[.sqlState] else { return false }
        return ["22", "23", "40"].contains(String(state.prefix(2)))
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            return "\(e.code)"
        }
        return "\(error)"
    }

    /// Applies missing migrations, each in its own transaction, one instance at a time.
    func migrate() async throws {
        try await transaction { conn in
            try await exec(conn, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        }
        for (name, statements) in Self.migrations {
            try await transaction { conn in
                try await exec(conn, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
                var done = false
                for try await _ in try await conn.query("SELECT 1 FROM schema_migrations WHERE name = \(name)", logger: logger) { done = true }
                if done { return }
                for sql in statements { try await exec(conn, PostgresQuery(unsafeSQL: sql)) }
                try await exec(conn, "INSERT INTO schema_migrations (name, applied_at) VALUES (\(name), \(ServerClock.nowMs()))")
            }
        }
        let known = Set(Self.migrations.map(\.0))
        var applied: [String] = []
        for try await name in try await client.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
            applied.append(name)
        }
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw ServerSetupError("the database was migrated by a newer recolha-server (\(unknown)): upgrade to serve it")
        }
    }

    public func createUser(_ u: UserRecord) async throws {
        try await transaction { conn in
            var exists = false
            for try await _ in try await conn.query("SELECT 1 FROM users WHERE name = \(u.name)", logger: logger) { exists = true }
            if exists { throw ServerSetupError("user \(u.name) already exists") }
            try await exec(conn, """
                INSERT INTO users (name, role, password_hash, disabled, created_at)
                VALUES (\(u.name), \(u.role.rawValue), \(u.passwordHash), \(u.disabled), \(u.createdAt))
                """)
        }
    }

    func users(_ query: PostgresQuery) async throws -> [UserRecord] {
        var out: [UserRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await (name, role, hash, disabled, created) in rows.decode((String, String, String, Bool, Int64).self) {
            out.append(UserRecord(name: name, role: Role(rawValue: role) ?? .enumerator, passwordHash: hash, disabled: disabled, createdAt: created))
        }
        return out
    }

    public func user(named name: String) async throws -> UserRecord? {
        try await users("SELECT name, role, password_hash, disabled, created_at FROM users WHERE name = \(name)").first
    }

    public func users() async throws -> [UserRecord] {
        try await users("SELECT name, role, password_hash, disabled, created_at FROM users ORDER BY name")
    }

    func changed(_ query: PostgresQuery) async throws -> Bool {
        let rows = try await client.query(query, logger: logger)
        var n = 0
        for try await _ in rows { n += 1 }
        return n > 0
    }

    public func setDisabled(user name: String, _ disabled: Bool) async throws -> Bool {
        try await changed("UPDATE users SET disabled = \(disabled) WHERE name = \(name) RETURNING name")
    }

    public func setPasswordHash(user name: String, _ hash: String) async throws -> Bool {
        try await changed("UPDATE users SET password_hash = \(hash) WHERE name = \(name) RETURNING name")
    }

    public func sequenceGaps() async throws -> [SiteID: Int64] {
        var out: [SiteID: Int64] = [:]
        for try await (site, missing) in try await client.query("""
            SELECT site_id, max(site_seq) - count(*) FROM versions GROUP BY site_id HAVING max(site_seq) > count(*)
            """, logger: logger).decode((String, Int64).self) {
            if let s = SiteID(site) { out[s] = missing }
        }
        return out
    }

    public func addDevice(_ d: DeviceRecord) async throws {
        try await execute("""
            INSERT INTO devices (id, user_name, name, site_id, token_hash, created_at, expires_at, last_seen_at, revoked, previous_site_id,
                                 public_key, previous_public_key, hpke_key)
            VALUES (\(d.id), \(d.user), \(d.name), \(d.site.rawValue), \(d.tokenHash), \(d.createdAt), \(d.expiresAt), \(d.lastSeenAt),
                    \(d.revoked), \(d.previousSite?.rawValue), \(d.publicKey), \(d.previousPublicKey), \(d.hpkeKey))
            """)
    }

    func devices(_ query: PostgresQuery) async throws -> [DeviceRecord] {
        var out: [DeviceRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await (id, user, name, site, hash, created, expires, seen, revoked, previous, key, previousKey, hpke, skew)
            in rows.decode((String, String, String, String, String, Int64, Int64, Int64?, Bool, String?, String, String?, String, Int64?).self) {
            out.append(DeviceRecord(id: id, user: user, name: name, site: SiteID(site) ?? SiteID("0000000000000000")!, tokenHash: hash,
                                    createdAt: created, expiresAt: expires, lastSeenAt: seen, revoked: revoked,
                                    publicKey: key, previousSite: previous.flatMap(SiteID.init), previousPublicKey: previousKey,
                                    hpkeKey: hpke, clockSkewMs: skew))
        }
        return out
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await devices("""
            SELECT id, user_name, name, site_id, token_hash, created_at, expires_at, last_seen_at, revoked, previous_site_id, public_key, previous_public_key, hpke_key,
                   clock_skew_ms
            FROM devices WHERE id = \(id)
            """).first
    }

    public func devices() async throws -> [DeviceRecord] {
        try await devices("""
            SELECT id, user_name, name, site_id, token_hash, created_at, expires_at, last_seen_at, revoked, previous_site_id, public_key, previous_public_key, hpke_key,
                   clock_skew_ms
            FROM devices ORDER BY created_at
            """)
    }

    public func devices(site: SiteID) async throws -> [DeviceRecord] {
        try await devices("""
            SELECT id, user_name, name, site_id, token_hash, created_at, expires_at, last_seen_at, revoked, previous_site_id, public_key, previous_public_key, hpke_key,
                   clock_skew_ms
            FROM devices WHERE site_id = \(site.rawValue) ORDER BY created_at
            """)
    }

    public func revokeDevice(id: String) async throws -> Bool {
        try await changed("UPDATE devices SET revoked = TRUE WHERE id = \(id) RETURNING id")
    }

    public func touchDevice(id: String, at: Int64) async throws {
        try await execute("UPDATE devices SET last_seen_at = \(at) WHERE id = \(id)")
    }

    public func setClockSkew(device id: String, _ skewMs: Int64) async throws {
        try await execute("UPDATE devices SET clock_skew_ms = \(skewMs) WHERE id = \(id)")
    }

    public func clockSkews() async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for try await (id, skew) in try await client.query("SELECT id, clock_skew_ms FROM devices WHERE clock_skew_ms IS NOT NULL",
                                                            logger: logger).decode((String, Int64).self) { out[id] = skew }
        return out
    }

    public func publish(_ f: PublishedForm) async throws -> Bool {
        try await transaction { conn in
            var existing: String?
            for try await sha in try await conn.query(
                "SELECT sha256 FROM forms WHERE form_id = \(f.formID) AND version = \(f.version) FOR UPDATE", logger: logger).decode(String.self) {
                existing = sha
            }
            if let existing {
                if existing == f.sha256 { return false }
                throw ServerError.formChanged(f.formID, f.version)
            }
            try await exec(conn, """
                INSERT INTO forms (form_id, version, title, definition, sha256, published_at)
                VALUES (\(f.formID), \(f.version), \(f.title), \(f.definition), \(f.sha256), \(f.publishedAt))
                ON CONFLICT DO NOTHING
                """)
            return true
        }
    }

    func forms(_ query: PostgresQuery) async throws -> [PublishedForm] {
        var out: [PublishedForm] = []
        let rows = try await client.query(query, logger: logger)
        for try await (id, version, title, definition, sha, at) in rows.decode((String, String, String, String, String, Int64).self) {
            out.append(PublishedForm(formID: id, version: version, title: title, definition: definition, sha256: sha, publishedAt: at))
        }
        return out
    }

    public func forms() async throws -> [PublishedForm] {
        try await forms("SELECT form_id, version, title, definition, sha256, published_at FROM forms ORDER BY form_id, published_at")
    }

    public func form(id: String, version: String) async throws -> PublishedForm? {
        try await forms("SELECT form_id, version, title, definition, sha256, published_at FROM forms WHERE form_id = \(id) AND version = \(version)").first
    }
}
