import Words
import GRDB
import Sync

/// This device's identity and the counters that make its versions unique.
public struct DeviceInfo: Sendable, Hashable {
    public var site: SiteID
    public var enumerator: String
    public var nextSeq: Int64
    public var clock: HLC
}

extension Store {
    /// Makes this store a device: a new identity (an Ed25519 key pair and
    /// the site id derived from its public key), counters at their start.
    /// - Throws: `StoreError.alreadyInitialized` when it already is one.
    @discardableResult
    public func initialize(enumerator: String) throws(StoreError) -> DeviceInfo {
        let identity = SiteIdentity.make()
        let site = identity.site
        let at = now()
        return try write { db in
            if let existing = try Self.device(db) {
                throw StoreError.alreadyInitialized(path: path, enumerator: existing.enumerator)
            }
            try db.execute(sql: """
                INSERT INTO device (id, site_id, enumerator, next_seq, clock_ms, clock_counter, created_at, site_secret, file_identity)
                VALUES (1, ?, ?, 1, 0, 0, ?, ?, ?)
                """, arguments: [site.rawValue, enumerator, at, identity.secret, Self.fileIdentity(path)])
            return DeviceInfo(site: site, enumerator: enumerator, nextSeq: 1, clock: HLC(ms: 0, counter: 0, site: site))
        }
    }

    /// The language kept for this device's person (`en`, `pt`), or nil when
    /// none was chosen (the environment decides).
    public func language() throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT language FROM device WHERE id = 1") }
    }

    /// Keeps (or, with nil, forgets) the language of this device's person.
    public func setLanguage(_ code: String?) throws(StoreError) {
        try write { db in
            guard try Self.device(db) != nil else { throw StoreError.notInitialized(path: path) }
            try db.execute(sql: "UPDATE device SET language = ? WHERE id = 1", arguments: [code])
        }
    }

    /// The device row, or nil before `initialize`.
    public func device() throws(StoreError) -> DeviceInfo? {
        try read { db in try Self.device(db) }
    }

    static func device(_ db: Database) throws -> DeviceInfo? {
        // Every save reads it: a statement prepared once per connection.
        guard let row = try Row.fetchOne(db.cachedStatement(
            sql: "SELECT site_id, enumerator, next_seq, clock_ms, clock_counter FROM device WHERE id = 1")) else { return nil }
        let siteText: String = row["site_id"]
        guard let site = SiteID(siteText) else { throw StoreError.database("the device row holds a malformed site id") }
        return DeviceInfo(
            site: site, enumerator: row["enumerator"], nextSeq: row["next_seq"],
            clock: HLC(ms: row["clock_ms"], counter: row["clock_counter"], site: site))
    }

    func requireDevice(_ db: Database) throws -> DeviceInfo {
        guard let d = try Self.device(db) else { throw StoreError.notInitialized(path: path) }
        return d
    }
}

/// Hands out version ids and clock stamps inside one transaction; `persist`
/// saves the counters in that same transaction, so a crash never reuses one.
struct VersionMinter {
    var device: DeviceInfo
    var clock: SiteClock
    let now: Int64

    init(device: DeviceInfo, now: Int64) {
        self.device = device
        self.clock = SiteClock(site: device.site, ms: device.clock.ms, counter: device.clock.counter)
        self.now = now
    }

    mutating func next() -> (VersionID, HLC) {
        let id = VersionID(site: device.site, seq: device.nextSeq)
        device.nextSeq += 1
        return (id, clock.tick(now: now))
    }

    func persist(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE device SET next_seq = ?, clock_ms = ?, clock_counter = ? WHERE id = 1")
            .execute(arguments: [device.nextSeq, clock.last.ms, clock.last.counter])
    }
}
