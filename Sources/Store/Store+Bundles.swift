import Words
import Foundation
import Forms
import GRDB
import Sync

/// What importing a bundle did.
public struct BundleImport: Sendable, Hashable {
    /// Changesets new here (now waiting to be relayed to the server).
    public var stored = 0
    /// Changesets this device already held (they came another way too).
    public var already = 0
    /// Changesets refused, each with its reason (naming the changeset and its writer).
    public var refused: [Message] = []
    /// Versions of this device's own work a server receipt in the bundle confirmed.
    public var confirmed = 0
    /// Receipts kept to carry on to the devices they are for.
    public var receiptsKept = 0
    /// Forms this device lacked, added from the bundle.
    public var formsAdded = 0
    /// Media files new here, kept (their bytes matched their hash).
    public var filesStored = 0
    public var notices: [Message] = []
}

/// Who reads this device's bundles (`GET /v1/recipients`, refreshed at each sync).
public struct BundleRecipients: Sendable, Hashable {
    public var serverKey: String?
    public var devices: [RecipientInfo]
}

/// Bundles: the same changesets and receipts as sync, carried on a stick
/// (docs/sync-protocol.md, "Bundles").
extension Store {
    /// Keeps who may read this device's bundles, as the server listed them.
    public func saveRecipients(_ list: RecipientList) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM recipients")
            let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO recipients (hpke_key, site_id, user, role, name) VALUES (?, ?, ?, ?, ?)")
            try insert.execute(arguments: [list.serverKey, nil, "", "server", "the server"])
            for d in list.devices { try insert.execute(arguments: [d.hpkeKey, d.site.rawValue, d.user, d.role, d.name]) }
        }
    }

    public func recipients() throws(StoreError) -> BundleRecipients {
        try read { db in
            var out = BundleRecipients(serverKey: nil, devices: [])
            for row in try Row.fetchAll(db, sql: "SELECT hpke_key, site_id, user, role, name FROM recipients ORDER BY user, name") {
                if row[3] as String == "server" { out.serverKey = row[0]; continue }
                guard let site = SiteID(row[1] as String? ?? "") else { continue }
                out.devices.append(RecipientInfo(site: site, user: row[2], role: row[3], name: row[4], hpkeKey: row[0]))
            }
            return out
        }
    }

    /// What a bundle from this device carries: without `user`, this
    /// device's own changesets the server has not confirmed (drafts stay,
    /// as in sync); for `user` (on a supervisor's device), the receipts for
    /// that user's devices, and what they lack of their own records: every
    /// changeset on them written elsewhere (reviews, resolutions, edits)
    /// with its writer's key, and the forms this device holds.
    public func bundleContent(for user: String?, to site: SiteID? = nil, now at: Int64) throws(StoreError) -> BundleContent {
        let ids = try identity()
        return try read { db in
            let device = try requireDevice(db)
            var keys: [String: String] = [:]
            var changesets: [Changeset] = []
            var receipts: [Receipt] = []
            var forms: [String]?
            if let user {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT r.site_id, r.held, r.server_time, r.signature FROM receipts r JOIN site_keys k ON k.site_id = r.site_id
                    WHERE k.user = ? ORDER BY r.site_id, r.server_time
                    """, arguments: [user])
                for row in rows {
                    guard let site = SiteID(row[0]), let held = try? JSONDecoder().decode([[Int64]].self, from: Data((row[1] as String).utf8))
                    else { continue }
                    var r = Receipt(site: site, held: [], serverTime: row[2], signature: row[3])
                    r.held = held
                    receipts.append(r)
                }
                // Changesets on the user's records written by any other
                // device (the recipient's own it has), signed, with keys.
                let heads = try Row.fetchAll(db, sql: """
                    SELECT c.site_id, c.seq, c.count, c.signature, k.public_key FROM changesets c
                    JOIN records r ON r.id = c.record_id LEFT JOIN site_keys k ON k.site_id = c.site_id
                    WHERE r.author = ? AND c.site_id <> ? AND c.site_id NOT IN (SELECT site_id FROM site_keys WHERE user = ?)
                    ORDER BY c.site_id, c.seq
                    """, arguments: [user, site?.rawValue ?? "", user])
                for head in heads {
                    // A changeset whose versions did not all arrive here yet waits.
                    let own = [ids.current] + (ids.previous.map { [$0] } ?? [])
                    let site: String = head[0]
                    guard let key = (head[4] as String?) ?? own.first(where: { $0.site.rawValue == site })?.publicKey,
                          let c = try? Self.changeset(db, head) else { continue }
                    changesets.append(c)
                    keys[site] = key
                }
                forms = try String.fetchAll(db, sql: "SELECT definition FROM forms ORDER BY form_id, version")
            } else {
                for id in [ids.current] + (ids.previous.map { [$0] } ?? []) { keys[id.site.rawValue] = id.publicKey }
                let heads = try Row.fetchAll(db, sql: """
                    SELECT c.site_id, c.seq, c.count, c.signature FROM changesets c JOIN records r ON r.id = c.record_id
                    WHERE c.acked = 0 AND c.carried_by IS NULL AND c.site_id IN (?, ?) AND r.status <> 'draft'
                    ORDER BY c.site_id, c.seq
                    """, arguments: [ids.current.site.rawValue, ids.previous?.site.rawValue ?? ""])
                for head in heads { changesets.append(try Self.changeset(db, head)) }
            }
            let media = try mediaForBundle(db, changesets.flatMap(\.versions))
            return BundleContent(from: device.site, fromUser: device.enumerator, createdAt: at, keys: keys,
                                 changesets: changesets, receipts: receipts, forms: forms, media: media.isEmpty ? nil : media)
        }
    }

    /// A changeset from a row of site_id, seq, count, signature, with its versions.
    static func changeset(_ db: Database, _ head: Row) throws -> Changeset {
        let site: String = head[0], first: Int64 = head[1], n: Int64 = head[2]
        var versions: [Version] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
            FROM versions WHERE site_id = ? AND seq BETWEEN ? AND ? ORDER BY seq
            """), arguments: [site, first, first + n - 1])
        while let row = try rows.next() { versions.append(try version(row)) }
        guard versions.count == n, var c = Changeset(versions: versions) else {
            throw StoreError.database("changeset \(site)-\(first) does not match its versions")
        }
        c.signature = head[3]
        return c
    }

    /// Notes that this device's changesets went into a bundle (`to` says
    /// which file), so `status` can say they left with a relay.
    public func markHanded(_ changesets: [Changeset], to: String, at: Int64) throws(StoreError) {
        try write { db in
            let stmt = try db.cachedStatement(sql: "UPDATE changesets SET handed_at = ?, handed_to = ? WHERE site_id = ? AND seq = ?")
            for c in changesets { try stmt.execute(arguments: [at, to, c.site.rawValue, c.seq]) }
        }
    }

    /// Stores what a bundle carries that this device lacks, in one
    /// transaction: every changeset that verifies with its site's key
    /// (others are refused, named; the rest still import), and every
    /// receipt signed by the server this device logged in to.
    public func importBundle(_ content: BundleContent) throws(StoreError) -> BundleImport {
        var result = try importChangesets(content)
        // Files after the changesets that name them; each checked against its hash.
        for m in content.media ?? [] where !(try holdsMedia(m.sha256)) {
            if try receiveMedia(m.sha256, bytes: m.data) { result.filesStored += 1 } else {
                result.refused.append(Message(.bundleFileAltered, ["sha": .text(String(m.sha256.prefix(12)))]))
            }
        }
        return result
    }

    func importChangesets(_ content: BundleContent) throws(StoreError) -> BundleImport {
        let serverKey = try syncState()?.serverKey
        return try write { db in
            let device = try requireDevice(db)
            var result = BundleImport()
            let exists = try db.cachedStatement(sql: "SELECT count(*) FROM versions WHERE site_id = ? AND seq BETWEEN ? AND ?")
            let hasForm = try db.cachedStatement(sql: "SELECT 1 FROM forms WHERE form_id = ? AND version = ?")
            // Forms first: the changesets may be of a form new here.
            for text in content.forms ?? [] {
                guard let form = try? Form.load(json: Data(text.utf8)) else {
                    result.notices.append(Message(.bundleFormBroken))
                    continue
                }
                let canonical = Self.canonicalDefinition(form.definition)
                if let held = try String.fetchOne(db, sql: "SELECT definition FROM forms WHERE form_id = ? AND version = ?",
                                                  arguments: [form.id, form.version]) {
                    if held != canonical {
                        result.notices.append(Message(.bundleFormDiffers, ["form": .text(form.id), "version": .text(form.version)]))
                    }
                    continue
                }
                try db.execute(sql: "INSERT INTO forms (form_id, version, title, definition, added_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [form.id, form.version, form.title, canonical, content.createdAt])
                result.formsAdded += 1
            }
            var guardian = SiteClock(site: device.site, ms: device.clock.ms, counter: device.clock.counter)
            for c in content.changesets {
                if let problem = content.problem(with: c) { result.refused.append(problem); continue }
                let held = try Int.fetchOne(exists, arguments: [c.site.rawValue, c.seq, c.lastSeq]) ?? 0
                if held == c.entries.count { result.already += 1; continue }
                guard try Bool.fetchOne(hasForm, arguments: [c.form, c.formVersion]) == true else {
                    result.refused.append(Message(.bundleNoForm, ["changeset": .text(c.id.description), "author": .text(c.author), "form": .text(c.form), "version": .text(c.formVersion)]))
                    continue
                }
                // Part of it may be here already (a pull page can end inside
                // a changeset): those versions are the very ones it signs.
                var versions = c.versions
                if held > 0 {
                    let one = try db.cachedStatement(sql: "SELECT 1 FROM versions WHERE site_id = ? AND seq = ?")
                    versions = try versions.filter { try Bool.fetchOne(one, arguments: [$0.id.site.rawValue, $0.id.seq]) != true }
                }
                let all = try Self.versions(db, record: c.record) + versions
                try Self.upsertRecord(db, record: c.record, versions: all)
                try Self.insert(db, versions)
                try db.execute(sql: "INSERT OR IGNORE INTO changesets (site_id, seq, count, record_id, signature, carried_by) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [c.site.rawValue, c.seq, c.entries.count, c.record, c.signature, content.from.rawValue])
                try db.execute(sql: "UPDATE versions SET signed = 1 WHERE site_id = ? AND seq BETWEEN ? AND ?",
                               arguments: [c.site.rawValue, c.seq, c.lastSeq])
                try db.execute(sql: "INSERT OR REPLACE INTO site_keys (site_id, public_key, user) VALUES (?, ?, ?)",
                               arguments: [c.site.rawValue, content.keys[c.site.rawValue] ?? "", c.author])
                // Remote clocks move this one only within the server's bound.
                for v in versions where v.clock.ms <= max(guardian.last.ms, content.createdAt) + WireProtocol.maxClockAheadMs {
                    guardian.observe(v.clock, now: 0)
                }
                result.stored += 1
            }
            try db.execute(sql: "UPDATE device SET clock_ms = ?, clock_counter = ? WHERE id = 1",
                           arguments: [guardian.last.ms, guardian.last.counter])
            if !content.receipts.isEmpty {
                guard let serverKey else {
                    result.notices.append(Message(.bundleReceiptsUnread, ["count": .int(content.receipts.count)]))
                    return result
                }
                for r in content.receipts {
                    guard r.verify(serverKey: serverKey) else {
                        result.refused.append(Message(.bundleReceiptForeign, ["site": .text(r.site.rawValue)]))
                        continue
                    }
                    result.confirmed += try Self.apply(db, receipt: r, ownSites: [device.site])
                    if try Self.keep(db, receipt: r, ownSites: [device.site]) { result.receiptsKept += 1 }
                }
            }
            return result
        }
    }

    /// Acknowledges what a verified receipt names.
    /// - Returns: how many of this device's own versions it confirmed.
    static func apply(_ db: Database, receipt r: Receipt, ownSites: Set<SiteID>) throws -> Int {
        var confirmed = 0
        for range in r.ranges ?? [] {
            try db.cachedStatement(sql: "UPDATE versions SET acked = 1, rejected = NULL WHERE site_id = ? AND seq BETWEEN ? AND ? AND acked = 0")
                .execute(arguments: [r.site.rawValue, range.lowerBound, range.upperBound])
            if ownSites.contains(r.site) { confirmed += db.changesCount }
            try db.cachedStatement(sql: "UPDATE changesets SET acked = 1, rejected = NULL WHERE site_id = ? AND seq BETWEEN ? AND ? AND acked = 0")
                .execute(arguments: [r.site.rawValue, range.lowerBound, range.upperBound])
        }
        return confirmed
    }

    /// Keeps a receipt for another device's site, to carry back to it.
    static func keep(_ db: Database, receipt r: Receipt, ownSites: Set<SiteID>) throws -> Bool {
        guard !ownSites.contains(r.site), let held = try? JSONEncoder().encode(r.held) else { return false }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO receipts (site_id, held, server_time, signature) VALUES (?, ?, ?, ?)")
            .execute(arguments: [r.site.rawValue, String(decoding: held, as: UTF8.self), r.serverTime, r.signature])
        return db.changesCount > 0
    }
}

/// Where this device's work stands on its way to the server, and what it
/// carries for others.
public struct RelayStatus: Sendable, Hashable {
    /// Changes saved here, neither confirmed by the server nor handed to a relay.
    public var savedHere = 0
    /// Changes handed to a relay in a bundle (file name, when), not yet confirmed.
    public var handed: [(to: String, at: Int64, versions: Int)] = []
    /// Changes of this device the server confirmed with a receipt.
    public var confirmed = 0
    /// Per team member whose work this device carried: changes waiting for
    /// the server, changes it confirmed, and changes numbered below the
    /// highest one here that never reached this device (a gap: drafts kept
    /// on their device, or work handed to someone else).
    public var carried: [(user: String, waiting: Int, confirmed: Int, missing: Int)] = []

    public static func == (a: RelayStatus, b: RelayStatus) -> Bool {
        a.savedHere == b.savedHere && a.confirmed == b.confirmed
            && a.handed.map { "\($0.to)\u{1}\($0.at)\u{1}\($0.versions)" } == b.handed.map { "\($0.to)\u{1}\($0.at)\u{1}\($0.versions)" }
            && a.carried.map { "\($0.user)\u{1}\($0.waiting)\u{1}\($0.confirmed)\u{1}\($0.missing)" }
                == b.carried.map { "\($0.user)\u{1}\($0.waiting)\u{1}\($0.confirmed)\u{1}\($0.missing)" }
    }
    public func hash(into h: inout Hasher) { h.combine(savedHere); h.combine(confirmed) }
}

extension Store {
    /// Sites whose work this device carries for others: changesets a relay
    /// or a device brought here (not the server), on records its user does
    /// not own (a review carried down to this device's user is not relayed
    /// work). One argument: this device's user.
    static let relayedHere = """
        SELECT DISTINCT c.site_id FROM changesets c JOIN records r ON r.id = c.record_id
        WHERE c.carried_by IS NOT NULL AND c.carried_by <> 'server' AND r.author <> ?
        """

    public func relayStatus() throws(StoreError) -> RelayStatus {
        try read { db in
            let device = try Self.device(db)
            var s = RelayStatus()
            s.savedHere = try Int.fetchOne(db, sql: """
                SELECT coalesce(sum(count), 0) FROM changesets WHERE acked = 0 AND carried_by IS NULL AND handed_at IS NULL
                """) ?? 0
            s.handed = try Row.fetchAll(db, sql: """
                SELECT handed_to, max(handed_at), sum(count) FROM changesets
                WHERE acked = 0 AND carried_by IS NULL AND handed_at IS NOT NULL GROUP BY handed_to ORDER BY max(handed_at)
                """).map { ($0[0], $0[1], $0[2]) }
            s.confirmed = try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM changesets WHERE acked = 1 AND carried_by IS NULL") ?? 0
            // Sequence numbers start at 1 and are never reused: below a
            // site's highest number here, each one absent is a gap.
            let missing = Dictionary(try Row.fetchAll(db, sql: """
                SELECT k.user, sum(v.top - v.held) FROM site_keys k
                JOIN (SELECT site_id, max(seq) AS top, count(*) AS held FROM versions
                      WHERE site_id IN (\(Self.relayedHere)) GROUP BY site_id) v ON v.site_id = k.site_id
                GROUP BY k.user
                """, arguments: [device?.enumerator ?? ""]).map { ($0[0] as String, $0[1] as Int) }, uniquingKeysWith: +)
            s.carried = try Row.fetchAll(db, sql: """
                SELECT k.user, coalesce(sum(CASE WHEN c.acked = 0 THEN c.count END), 0), coalesce(sum(CASE WHEN c.acked = 1 THEN c.count END), 0)
                FROM changesets c JOIN site_keys k ON k.site_id = c.site_id WHERE c.site_id IN (\(Self.relayedHere))
                GROUP BY k.user ORDER BY k.user
                """, arguments: [device?.enumerator ?? ""]).map { ($0[0], $0[1], $0[2], missing[$0[0] as String] ?? 0) }
            return s
        }
    }
}
