import Words
import Foundation
import GRDB
import Sync

/// A device's identity: the site id derived from its Ed25519 key, and what happens
/// when a store file turns out to be a copy of another device's.
///
/// A copy (a store file copied to a second laptop, a cloned disk, a restored
/// backup) holds the same site id and sequence counter as its original: if
/// both wrote under it, their versions would carry the same ids. So a copy
/// takes a new identity. It finds out in one of two ways: on opening, the
/// file is not the one the identity was made in (another device and inode);
/// or at sync, the server answers that it already holds some of its version
/// ids with other content (`site_reused`). Either way every version not yet
/// acknowledged that the original may also have numbered moves to the new
/// site with fresh numbers, so both laptops' work reaches the server.
extension Store {
    /// The identity of the file at `path`: device and inode numbers.
    static func fileIdentity(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino)"
    }

    /// On opening: a store whose file identity changed (or that has no
    /// key yet, or a protocol 1 secret) takes a new identity. Versions already written keep
    /// their ids: they were written before the copy, so both copies hold
    /// the very same ones.
    /// - Returns: a sentence for the person, or nil when nothing changed.
    static func checkIdentity(_ queue: DatabaseQueue, path: String, now: Int64) throws(StoreError) -> Message? {
        guard let here = fileIdentity(path) else { return nil }
        do {
            return try queue.write { db -> Message? in
                guard let row = try Row.fetchOne(db, sql: "SELECT site_id, site_secret, file_identity FROM device WHERE id = 1") else { return nil }
                let old: String = row["site_id"]
                // A key that does not derive the site: a store of protocol 1,
                // whose site id came from a secret, not from a key.
                let secret: String? = (row["site_secret"] as String?).flatMap { s in
                    SiteIdentity(secret: s)?.site.rawValue == old ? s : nil
                }
                let recorded: String? = row["file_identity"]
                if secret != nil && recorded == here { return nil }
                if secret != nil && recorded == nil {
                    try db.execute(sql: "UPDATE device SET file_identity = ? WHERE id = 1", arguments: [here])
                    return nil
                }
                let identity = try takeNewIdentity(db, fileIdentity: here)
                if secret == nil, let oldSite = SiteID(old) {
                    // Its unsent work cannot be signed with the old secret: it
                    // moves to the new site, signed with the new key.
                    _ = try reassign(db, site: oldSite, from: 1, path: path)
                }
                return secret == nil
                    ? Message(.storeGotKeys, ["site": .text(identity.site.rawValue)])
                    : Message(.storeCopied, ["old": .text(old), "site": .text(identity.site.rawValue)])
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw map(error, path: path)
        }
    }

    /// Makes a new identity current, keeping the old one as previous (its
    /// versions may still be sent from here), counters starting again at 1.
    static func takeNewIdentity(_ db: Database, fileIdentity: String?) throws -> SiteIdentity {
        let identity = SiteIdentity.make()
        try db.execute(sql: """
            UPDATE device SET previous_site_id = site_id, previous_site_secret = site_secret,
                site_id = ?, site_secret = ?, next_seq = 1, file_identity = coalesce(?, file_identity) WHERE id = 1
            """, arguments: [identity.site.rawValue, identity.secret, fileIdentity])
        return identity
    }

    /// This device's identity, and the one it used before, if any.
    public func identity() throws(StoreError) -> (current: SiteIdentity, previous: SiteIdentity?) {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT site_secret, previous_site_secret, previous_site_id FROM device WHERE id = 1") else {
                throw StoreError.notInitialized(path: path)
            }
            guard let current = (row["site_secret"] as String?).flatMap(SiteIdentity.init(secret:)) else {
                throw StoreError.database("the device row holds no valid secret")
            }
            // A protocol 1 secret does not derive its site: no key to prove it with.
            let previous = (row["previous_site_secret"] as String?).flatMap(SiteIdentity.init(secret:))
            return (current, previous?.site.rawValue == row["previous_site_id"] ? previous : nil)
        }
    }

    /// The server holds some of this device's version ids with other
    /// content: this store is a copy. Moves every version of `site` from
    /// `seq` on that the server has not acknowledged to this device's own
    /// site with fresh numbers (taking a new identity first when `site` is
    /// the current one), rewriting the parents that name them.
    /// - Returns: how many versions moved, and the site they moved to.
    @discardableResult
    public func reassign(site: SiteID, from seq: Int64) throws(StoreError) -> (moved: Int, to: SiteID) {
        try write { db in try Self.reassign(db, site: site, from: seq, path: path) }
    }

    static func reassign(_ db: Database, site: SiteID, from seq: Int64, path: String) throws -> (moved: Int, to: SiteID) {
            guard var device = try Self.device(db) else { throw StoreError.notInitialized(path: path) }
            if device.site == site {
                _ = try Self.takeNewIdentity(db, fileIdentity: nil)
                device = try Self.device(db)!
            }
            // Renumbered and renamed versions are signed again below.
            try Self.unsign(db, versionsWhere: "1")
            let ids = try Row.fetchAll(db, sql: "SELECT seq FROM versions WHERE site_id = ? AND seq >= ? AND acked = 0 ORDER BY seq",
                                       arguments: [site.rawValue, seq]).map { VersionID(site: site, seq: $0[0]) }
            var map: [String: String] = [:]
            var next = device.nextSeq
            let move = try db.cachedStatement(sql: "UPDATE versions SET site_id = ?, seq = ?, rejected = NULL WHERE site_id = ? AND seq = ?")
            for id in ids {
                let to = VersionID(site: device.site, seq: next)
                next += 1
                try move.execute(arguments: [to.site.rawValue, to.seq, id.site.rawValue, id.seq])
                map[id.description] = to.description
            }
            if !map.isEmpty {
                // Only versions the server has not acknowledged can name a moved one.
                let rows = try Row.fetchAll(db, sql: "SELECT site_id, seq, parents FROM versions WHERE acked = 0 AND parents <> ''")
                let fix = try db.cachedStatement(sql: "UPDATE versions SET parents = ? WHERE site_id = ? AND seq = ?")
                for row in rows {
                    let parents: String = row[2]
                    let renamed = parents.split(separator: " ").map { map[String($0)] ?? String($0) }.joined(separator: " ")
                    if renamed != parents { try fix.execute(arguments: [renamed, row[0] as String, row[1] as Int64]) }
                }
                try db.execute(sql: "UPDATE records SET device = ? WHERE device = ?", arguments: [device.site.rawValue, site.rawValue])
            }
            try db.execute(sql: "UPDATE device SET next_seq = ? WHERE id = 1", arguments: [next])
            try Self.signUnsigned(db)
            return (ids.count, device.site)
    }

    /// After a login: this device writes as the server's user name from now
    /// on, and the versions it has never sent take that name too (nobody
    /// else holds them), so the server records the authenticated author.
    /// - Returns: how many unsent versions were re-attributed.
    @discardableResult
    public func adoptUser(_ name: String) throws(StoreError) -> Int {
        try write { db in
            let device = try requireDevice(db)
            guard device.enumerator != name else { return 0 }
            try Self.unsign(db, versionsWhere: "v.author = ?", arguments: [device.enumerator])
            try db.execute(sql: "UPDATE versions SET author = ? WHERE acked = 0 AND author = ?", arguments: [name, device.enumerator])
            let n = db.changesCount
            try Self.signUnsigned(db)
            try db.execute(sql: "UPDATE records SET author = ? WHERE author = ?", arguments: [name, device.enumerator])
            try db.execute(sql: "UPDATE device SET enumerator = ? WHERE id = 1", arguments: [name])
            return n
        }
    }
}
