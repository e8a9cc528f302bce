import Foundation
import Forms
import GRDB
import Sync

/// The local store: one SQLite file holding forms, records and the versions
/// (the change log) that sync moves.
///
/// WAL mode, foreign keys on, a busy timeout, synchronous=FULL so that a
/// saved answer survives a power cut; every write is one transaction.
public final class Store: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// Wall clock in milliseconds since 1970; tests pass their own.
    let now: @Sendable () -> Int64

    /// Opens the store at `path`.
    /// - Parameter create: make the file (owner-only) and its folder when missing.
    /// - Throws: `StoreError` saying what is wrong with the path or file.
    public init(path: String, create: Bool = false,
                now: @escaping @Sendable () -> Int64 = Store.wallClock) throws(StoreError) {
        self.path = path
        self.now = now
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw .notAStore(path: path) }
        } else {
            guard create else { throw .missing(path: path) }
            try Self.createOwnerOnly(path)
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.journalMode = .wal
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: Store.cachePragma)
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.map(error, path: path)
        }
        let applied = try Self.migrate(queue, path: path)
        upgradeNotice = applied.isEmpty ? nil
            : Message(.storeUpgraded, ["steps": .text(applied.joined(separator: ", "))])
        copiedNotice = try Self.checkIdentity(queue, path: path, now: now())
        // Unsent versions no signature covers (written before changesets,
        // or by a tool) are signed now; none, from a partial index, at most opens.
        do { try queue.write { db in _ = try Self.signUnsigned(db) } } catch { throw Self.map(error, path: path) }
    }

    /// 8 MiB of pages kept in memory (SQLite's default is 2 MiB): applying a
    /// pull writes each version into two indexes keyed by random ids, and
    /// with the default cache a big store read the same pages back from the
    /// file over and over (issue 13: applying 87,000 versions/s, 106,000
    /// with this). Filled only as pages are used.
    public static let cachePragma = "PRAGMA cache_size = -8192"

    /// Set when opening an existing store applied migrations of a newer
    /// release (after a package upgrade).
    public let upgradeNotice: Message?

    /// Set when opening found this file is a copy of another device's store
    /// (or one made before device keys): it then took a new identity.
    public let copiedNotice: Message?

    public static let wallClock: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Creates an empty file readable by its owner only (and its folder, 0700).
    static func createOwnerOnly(_ path: String) throws(StoreError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotOpen(path: path, reason: Message(.storeCannotCreateFolder))
            }
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw .cannotOpen(path: path, reason: .verbatim(String(cString: strerror(errno))))
        }
        close(fd)
    }

    /// Applies the migrations the store lacks.
    /// - Returns: the names applied to a store that already had some (empty
    ///   for a new store or an up-to-date one).
    @discardableResult
    static func migrate(_ queue: DatabaseQueue, path: String) throws(StoreError) -> [String] {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
            try db.execute(sql: Schema.v1)
        }
        migrator.registerMigration("v2-sync") { db in
            try db.execute(sql: Schema.v2)
        }
        migrator.registerMigration("v3-identity") { db in
            try db.execute(sql: Schema.v3)
        }
        migrator.registerMigration("v4-changesets") { db in
            try db.execute(sql: Schema.v4)
        }
        migrator.registerMigration("v5-review") { db in
            try db.execute(sql: Schema.v5)
        }
        migrator.registerMigration("v6-language-and-listing") { db in
            try db.execute(sql: Schema.v6)
        }
        migrator.registerMigration("v7-media") { db in
            try db.execute(sql: Schema.v7)
        }
        do {
            try queue.inDatabase { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if appID != Schema.applicationID && (appID != 0 || tables > 0) {
                    throw StoreError.notAStore(path: path)
                }
                if try migrator.hasBeenSuperseded(db) { throw StoreError.newerStore(path: path) }
            }
            let had = try queue.read { try migrator.appliedIdentifiers($0) }
            try migrator.migrate(queue)
            return had.isEmpty ? [] : migrator.migrations.filter { !had.contains($0) }
        } catch let e as StoreError {
            throw e
        } catch {
            throw Self.map(error, path: path)
        }
    }

    /// Runs `body` in one write transaction.
    /// - Throws: `StoreError` (SQLite failures mapped to what to do).
    public func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.write(body)
        } catch let e as StoreError {
            throw e
        } catch {
            throw Self.map(error, path: path)
        }
    }

    /// Runs `body` with a consistent read.
    public func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.read(body)
        } catch let e as StoreError {
            throw e
        } catch {
            throw Self.map(error, path: path)
        }
    }

    /// Turns a SQLite error into what the person can do about it; the SQL
    /// and its arguments (answers) stay out of the message.
    static func map(_ error: any Error, path: String) -> StoreError {
        guard let db = error as? DatabaseError else { return .database(String(describing: type(of: error))) }
        switch db.resultCode {
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_NOTADB: return .notAStore(path: path)
        case .SQLITE_CANTOPEN: return .cannotOpen(path: path, reason: Message(.storeSQLiteCannotOpen))
        case .SQLITE_READONLY: return .cannotOpen(path: path, reason: Message(.storeReadOnly))
        case .SQLITE_PERM, .SQLITE_AUTH: return .cannotOpen(path: path, reason: Message(.storePermission))
        case .SQLITE_CORRUPT: return .database(Message(.storeCorrupt))
        case .SQLITE_IOERR:
            // A failed write is nearly always a full disk (or a file size
            // limit); the transaction was rolled back either way.
            if db.extendedResultCode == .SQLITE_IOERR_WRITE { return .diskFull(path: path) }
            return .cannotOpen(path: path, reason: Message(.storeIOError))
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .database(Message(.storeBusy))
        default: return .database("SQLite error \(db.extendedResultCode.rawValue): \(db.message ?? "")")
        }
    }
}

extension Store {
    /// The SQLite library this process runs on (`recolha --version`).
    public static var sqliteVersion: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }).flatMap { $0 } ?? "unknown"
    }
}
