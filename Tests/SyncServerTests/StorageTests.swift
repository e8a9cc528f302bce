import Words
import Foundation
import GRDB
import RecolhaTesting
import Sync
import Testing
@testable import SyncServer

/// One suite for every engine of ServerStorage (SQLite and PostgreSQL), as
/// litestream tests each replica client.
struct StorageSuite {
    let make: () async throws -> any ServerStorage

    func version(_ site: SiteID, _ seq: Int64, record: String = "r1", field: String = "province", value: String? = "\"tete\"",
                 author: String = "ana") -> Version {
        Version(id: VersionID(site: site, seq: seq), record: record, form: "f", formVersion: "1", field: field, value: value,
                clock: HLC(ms: 1000 + seq, counter: 0, site: site), parents: [], author: author)
    }

    /// Each version as a changeset of its own (signatures are the
    /// service's business, checked before storage).
    static func each(_ versions: [Version]) -> [Changeset] {
        versions.map { var c = Changeset(versions: [$0])!; c.signature = String(repeating: "0", count: 128); return c }
    }

    /// A changeset enters whole or not at all.
    func aChangesetWithOneRefusedVersionIsRefusedWhole() async throws {
        let s = try await make()
        let a = SiteID("00000000000000aa")!
        var c = Changeset(versions: (1...3).map { version(a, $0) })!
        c.signature = String(repeating: "1", count: 128)
        let r = try await s.push([c], carrier: "d1", by: "ana", at: 1) { v, _ in v.id.seq == 2 ? .verbatim("bad") : nil }
        #expect(r.rejected == [Rejection(id: c.id, .verbatim("bad"))] && r.accepted.isEmpty)
        #expect(try await s.versionCount() == 0)
        let ok = try await s.push([c], carrier: "d1", by: "ana", at: 2) { _, _ in nil }
        #expect(ok.accepted == [c.id])
        #expect(try await s.exportChangesets(after: nil, limit: 10)
                == [StoredChangeset(site: a, seq: 1, count: 3, signature: c.signature, carriedBy: "d1", receivedAt: 2)])
        #expect(try await s.push([c], carrier: "relay", by: "ana", at: 3) { _, _ in nil }.duplicates == [c.id])
    }

    /// Who relayed each site's work last: only changesets carried by another device count.
    func relayedArrivalsNameTheCarrier() async throws {
        let s = try await make()
        try await s.createUser(UserRecord(name: "ana", role: .enumerator, passwordHash: "h", createdAt: 1))
        try await s.createUser(UserRecord(name: "sara", role: .supervisor, passwordHash: "h", createdAt: 1))
        let a = SiteID("00000000000000aa")!, b = SiteID("00000000000000bb")!
        try await s.addDevice(DeviceRecord(id: "d1", user: "ana", name: "tab", site: a, tokenHash: "x", createdAt: 1, expiresAt: 9,
                                           lastSeenAt: nil, revoked: false))
        try await s.addDevice(DeviceRecord(id: "d2", user: "sara", name: "laptop", site: b, tokenHash: "y", createdAt: 1, expiresAt: 9,
                                           lastSeenAt: nil, revoked: false))
        _ = try await s.push(Self.each([version(a, 1)]), carrier: "d1", by: "ana", at: 3) { _, _ in nil }
        #expect(try await s.relayedArrivals().isEmpty, "a device's own push is no relay")
        _ = try await s.push(Self.each([version(a, 2), version(a, 3)]), carrier: "d2", by: "sara", at: 5) { _, _ in nil }
        _ = try await s.push(Self.each([version(a, 4)]), carrier: "d2", by: "sara", at: 7) { _, _ in nil }
        #expect(try await s.relayedArrivals() == [RelayedArrival(site: a, at: 7, carriedBy: "d2")])
    }

    func theServerKeyIsMadeOnceAndKept() async throws {
        let s = try await make()
        let k = try await s.serverSecret()
        #expect(SiteIdentity(secret: k) != nil)
        #expect(try await s.serverSecret() == k)
        let other = SiteIdentity.make().secret
        try await s.setServerSecret(other)
        #expect(try await s.serverSecret() == other)
    }

    func pushIsIdempotentAndSequencesFollowCommitOrder() async throws {
        let s = try await make()
        let a = SiteID("00000000000000aa")!
        let batch = (1...5).map { version(a, $0) }
        let first = try await s.push(Self.each(batch), carrier: "d1", by: "ana", at: 1) { _, _ in nil }
        #expect(first.accepted == batch.map(\.id) && first.duplicates.isEmpty)
        let again = try await s.push(Self.each(batch), carrier: "d1", by: "ana", at: 2) { _, _ in nil }
        #expect(again.accepted.isEmpty && again.duplicates == batch.map(\.id))
        let pulled = try await s.pull(after: 0, limit: 100, maxBytes: 1 << 20, owner: nil, excludingSite: nil)
        #expect(pulled.versions.map(\.version.version) == batch)
        #expect(pulled.versions.map(\.seq) == pulled.versions.map(\.seq).sorted())
        #expect(!pulled.more)
        #expect(try await s.versionCount() == 5)
    }

    func rejectionsAreOneByOne() async throws {
        let s = try await make()
        let a = SiteID("00000000000000aa")!
        let r = try await s.push(Self.each((1...4).map { version(a, $0) }), carrier: "d1", by: "ana", at: 1) { v, _ in v.id.seq % 2 == 0 ? .verbatim("even") : nil }
        #expect(r.accepted.map(\.seq) == [1, 3] && r.rejected.map(\.id.seq) == [2, 4])
        #expect(try await s.versionCount() == 2)
    }

    func pullPagesByCountAndBytesAndFilters() async throws {
        let s = try await make()
        let a = SiteID("00000000000000aa")!, b = SiteID("00000000000000bb")!
        _ = try await s.push(Self.each((1...10).map { version(a, $0, record: "ra") }), carrier: "d1", by: "ana", at: 1) { _, _ in nil }
        // A new record belongs to its author (whoever carried it).
        _ = try await s.push(Self.each((1...10).map { version(b, $0, record: "rb", author: "bento") }), carrier: "d2", by: "sara", at: 1) { _, _ in nil }
        var cursor: Int64 = 0, seen: [Version] = [], pages = 0
        while true {
            let p = try await s.pull(after: cursor, limit: 3, maxBytes: 1 << 20, owner: nil, excludingSite: nil)
            seen += p.versions.map(\.version.version)
            pages += 1
            cursor = p.next
            if !p.more { break }
        }
        #expect(seen.count == 20 && pages == 7)
        let small = try await s.pull(after: 0, limit: 100, maxBytes: 1, owner: nil, excludingSite: nil)
        #expect(small.versions.count == 1 && small.more)
        let ana = try await s.pull(after: 0, limit: 100, maxBytes: 1 << 20, owner: "ana", excludingSite: nil)
        #expect(Set(ana.versions.map(\.version.version.record)) == ["ra"])
        let notMine = try await s.pull(after: 0, limit: 100, maxBytes: 1 << 20, owner: nil, excludingSite: a)
        #expect(Set(notMine.versions.map(\.version.version.id.site)) == [b])
        #expect(notMine.next == notMine.versions.last?.seq)
        let owners = try await s.push(Self.each([version(b, 11, record: "ra", author: "bento")]), carrier: "d1", by: "bento", at: 2) { _, owner in owner == "ana" ? .verbatim("not yours") : nil }
        #expect(owners.rejected.count == 1)
    }

    func usersDevicesAndForms() async throws {
        let s = try await make()
        try await s.createUser(UserRecord(name: "ana", role: .enumerator, passwordHash: "h", createdAt: 1))
        await #expect(throws: (any Error).self) { try await s.createUser(UserRecord(name: "ana", role: .admin, passwordHash: "h", createdAt: 1)) }
        #expect(try await s.setDisabled(user: "ana", true))
        #expect(try await s.user(named: "ana")?.disabled == true)
        #expect(try await !s.setDisabled(user: "nobody", true))
        try await s.addDevice(DeviceRecord(id: "d1", user: "ana", name: "tab", site: SiteID("00000000000000aa")!, tokenHash: "x",
                                           createdAt: 1, expiresAt: 2, lastSeenAt: nil, revoked: false))
        #expect(try await s.revokeDevice(id: "d1"))
        #expect(try await s.device(id: "d1")?.revoked == true)
        let form = PublishedForm(formID: "f", version: "1", title: "F", definition: "{}", sha256: "a", publishedAt: 1)
        #expect(try await s.publish(form))
        #expect(try await !s.publish(form))
        var changed = form
        changed.sha256 = "b"
        await #expect(throws: ServerError.self) { try await s.publish(changed) }
    }

    /// The same id with other content is no duplicate: the whole batch is
    /// refused (nothing stored) and the ids are named.
    func reusedIDsAreRefusedWholeAndNothingIsStored() async throws {
        let s = try await make()
        let a = SiteID("00000000000000aa")!
        _ = try await s.push(Self.each((1...3).map { version(a, $0) }), carrier: "d1", by: "ana", at: 1) { _, _ in nil }
        var other = version(a, 2)
        other.value = "\"niassa\""
        let batch = [version(a, 1), other, version(a, 4)]
        await #expect { _ = try await s.push(Self.each(batch), carrier: "d1", by: "ana", at: 2) { _, _ in nil } } throws: { e in
            let e = e as? ServerError
            return e?.code == ErrorCode.siteReused && e?.status == .conflict && e?.ids == [other.id] && !(e?.message.contains("niassa") ?? true)
        }
        #expect(try await s.versionCount() == 3)  // version 4 was not stored either
        let again = try await s.push(Self.each(batch.filter { $0 != other }), carrier: "d1", by: "ana", at: 3) { _, _ in nil }
        #expect(again.duplicates == [version(a, 1).id] && again.accepted == [version(a, 4).id])
    }

    /// What the pull and the console read: the changesets holding some
    /// versions (each once, with carrier and key), one record's versions,
    /// the record fields of all, a site's last sequence.
    func changesetsRecordsAndSequences() async throws {
        let s = try await make()
        try await s.createUser(UserRecord(name: "ana", role: .enumerator, passwordHash: "h", createdAt: 1))
        let ana = SiteIdentity.make()
        let a = ana.site
        try await s.addDevice(DeviceRecord(id: "d1", user: "ana", name: "tab", site: a, tokenHash: "x", createdAt: 1, expiresAt: 9,
                                           lastSeenAt: nil, revoked: false, publicKey: ana.publicKey))
        var c1 = Changeset(versions: [version(a, 1), version(a, 2, field: "_status", value: "\"finalized\"")])!
        c1.signature = String(repeating: "1", count: 128)
        var c2 = Changeset(versions: [version(a, 3, record: "r2")])!
        c2.signature = String(repeating: "2", count: 128)
        _ = try await s.push([c1], carrier: "d1", by: "ana", at: 3) { _, _ in nil }
        _ = try await s.push([c2], carrier: "console", by: "ana", at: 4) { _, _ in nil }
        let held = try await s.changesets(holding: [VersionID(site: a, seq: 2), VersionID(site: a, seq: 1), VersionID(site: a, seq: 3)])
        #expect(Set(held.heads) == [ChangesetHead(site: a, seq: 1, count: 2, signature: c1.signature),
                                    ChangesetHead(site: a, seq: 3, count: 1, signature: c2.signature)])
        #expect(held.keys == [a.rawValue: ana.publicKey])
        #expect(held.carriers == [VersionID(site: a, seq: 1): "d1", VersionID(site: a, seq: 3): "console"])
        #expect(try await s.changesets(holding: [VersionID(site: a, seq: 9)]).heads.isEmpty)
        #expect(try await s.versions(record: "r1").map(\.version.id.seq) == [1, 2])
        #expect(try await s.versions(record: "none").isEmpty)
        #expect(try await s.versions(fields: ["_status", "_review"]).map(\.field) == ["_status"])
        #expect(try await s.versions(fields: ["province"]).map(\.record) == ["r1", "r2"])
        #expect(try await s.lastSeq(site: a) == 3)
        #expect(try await s.lastSeq(site: SiteID("00000000000000cc")!) == 0)
    }

    func devicesBySiteAndImportMarker() async throws {
        let s = try await make()
        try await s.createUser(UserRecord(name: "ana", role: .enumerator, passwordHash: "h", createdAt: 1))
        let site = SiteID("00000000000000aa")!, old = SiteID("00000000000000bb")!
        try await s.addDevice(DeviceRecord(id: "d1", user: "ana", name: "tab", site: site, tokenHash: "x", createdAt: 1, expiresAt: 2,
                                           lastSeenAt: nil, revoked: false, previousSite: old))
        let found = try await s.devices(site: site)
        #expect(found.map(\.id) == ["d1"] && found.first?.previousSite == old)
        #expect(try await s.devices(site: old).isEmpty)
        #expect(try await !s.isImporting())
        try await s.setImporting(true)
        #expect(try await s.isImporting())
        try await s.wipe()
        try await s.setImporting(false)
        let empty = try await s.isEmpty(), importing = try await s.isImporting()
        #expect(empty && !importing)
    }

    func mergeScenariosSurviveTheServer(_ m: Fixtures.Merge) async throws {
        for order in m.deliveries {
            let s = try await make()
            let all = try JSONDecoder().decode([WireVersion].self, from: JSONSerialization.data(withJSONObject: m.versions)).map(\.version)
            let byID = Dictionary(all.map { ($0.id.description, $0) }, uniquingKeysWith: { a, _ in a })
            for id in order { _ = try await s.push(Self.each([byID[id]!]), carrier: "d1", by: "ana", at: 1) { _, _ in nil } }
            let back = try await s.pull(after: 0, limit: 1000, maxBytes: 1 << 24, owner: nil, excludingSite: nil)
            #expect(back.versions.count == all.count)
            let state = RecordState(record: m.record, versions: back.versions.map(\.version.version))
            #expect(state.values == m.values && state.conflicts == m.conflicts && state.isDeleted == m.deleted, "\(m.name)")
        }
    }
}

/// Every engine of ServerStorage through the same suite. The PostgreSQL
/// case says "skipped" with its reason when the cluster is not there.
enum StorageEngine: String, CaseIterable, Sendable { case sqlite, postgres }

@Suite struct StorageTests {
    let dir = TempDir()

    func suite(_ engine: StorageEngine) throws -> StorageSuite {
        switch engine {
        case .sqlite:
            let dir = self.dir
            return StorageSuite { try SQLiteStorage(path: dir.file(UUID().uuidString + ".sqlite"), create: true) }
        case .postgres:
            guard TestPostgres.available else {
                try Test.cancel("skipped: the PostgreSQL case needs the throwaway cluster `make test` starts (RECOLHA_TEST_POSTGRES_URL)")
            }
            return StorageSuite { try await PostgresStorage(url: try TestPostgres.freshDatabase()) }
        }
    }

    @Test(arguments: StorageEngine.allCases)
    func pushIsIdempotentAndSequencesFollowCommitOrder(engine: StorageEngine) async throws {
        try await suite(engine).pushIsIdempotentAndSequencesFollowCommitOrder()
    }
    @Test(arguments: StorageEngine.allCases)
    func rejectionsAreOneByOne(engine: StorageEngine) async throws { try await suite(engine).rejectionsAreOneByOne() }
    @Test(arguments: StorageEngine.allCases)
    func aChangesetIsRefusedWhole(engine: StorageEngine) async throws { try await suite(engine).aChangesetWithOneRefusedVersionIsRefusedWhole() }
    @Test(arguments: StorageEngine.allCases)
    func relayedArrivalsNameTheCarrier(engine: StorageEngine) async throws { try await suite(engine).relayedArrivalsNameTheCarrier() }
    @Test(arguments: StorageEngine.allCases)
    func theServerKeyIsMadeOnceAndKept(engine: StorageEngine) async throws { try await suite(engine).theServerKeyIsMadeOnceAndKept() }
    @Test(arguments: StorageEngine.allCases)
    func pullPagesByCountAndBytesAndFilters(engine: StorageEngine) async throws { try await suite(engine).pullPagesByCountAndBytesAndFilters() }
    @Test(arguments: StorageEngine.allCases)
    func usersDevicesAndForms(engine: StorageEngine) async throws { try await suite(engine).usersDevicesAndForms() }
    @Test(arguments: StorageEngine.allCases)
    func reusedIDsAreRefusedWhole(engine: StorageEngine) async throws { try await suite(engine).reusedIDsAreRefusedWholeAndNothingIsStored() }
    @Test(arguments: StorageEngine.allCases)
    func devicesBySiteAndImportMarker(engine: StorageEngine) async throws { try await suite(engine).devicesBySiteAndImportMarker() }
    @Test(arguments: StorageEngine.allCases)
    func changesetsRecordsAndSequences(engine: StorageEngine) async throws { try await suite(engine).changesetsRecordsAndSequences() }
    @Test(arguments: StorageEngine.allCases, Fixtures.merges)
    func mergeScenarios(engine: StorageEngine, m: Fixtures.Merge) async throws { try await suite(engine).mergeScenariosSurviveTheServer(m) }

    /// An enumerator's pull page walks the page's sequences, not every
    /// record the enumerator owns: the plan SQLite chooses is checked, since
    /// the other plan costs a whole store per page and no answer shows it.
    @Test func anOwnersPageStartsFromItsSequences() throws {
        let path = dir.file("plan.sqlite")
        _ = try SQLiteStorage(path: path, create: true)
        let plan = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStorage.ownersPage, arguments: [0, 100, "ana", ""]).map { $0["detail"] as String }
        }
        #expect(plan.first?.hasPrefix("SEARCH v USING INTEGER PRIMARY KEY") == true, "\(plan)")
        #expect(!plan.contains { $0.contains("records_owner") })
    }

    /// Server data an older release made is updated on first use after an
    /// upgrade (the package's postinst runs `init`), and says so once.
    @Test func olderServerDataIsUpdatedAndSaysSo() throws {
        let path = dir.file("old-server.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: SQLiteStorage.schema)
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v1-server')")
        }
        #expect(try SQLiteStorage(path: path).upgradeNotice?.contains("v2-identity") == true)
        #expect(try SQLiteStorage(path: path).upgradeNotice == nil)
        #expect(try SQLiteStorage(path: dir.file("new.sqlite"), create: true).upgradeNotice == nil)
    }

    @Test func aMissingDataFolderSaysRunInit() {
        #expect { try SQLiteStorage(path: dir.file("none/server.sqlite")) } throws: { e in
            (e as? ServerSetupError)?.description.contains("recolha-server init") == true
        }
    }
}

@Suite(.enabled(if: TestPostgres.available, "needs the PostgreSQL cluster `make test` starts"))
struct PostgresStorageTests {
    /// A push that took its sequences first and commits last: a reader that
    /// pulls in between sees neither it nor the later push that committed
    /// before it, then both, in order.
    @Test func aReaderWaitsForAnEarlierPushStillInFlight() async throws {
        let url = try TestPostgres.freshDatabase()
        let a = try await PostgresStorage(url: url), b = try await PostgresStorage(url: url)
        let inFlight = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
        a.pushInFlight = {
            inFlight.continuation.yield()
            for await _ in release.stream { break }
        }
        func batch(_ site: String, record: String) -> [Version] {
            let s = SiteID(site)!
            return (1...3).map { Version(id: VersionID(site: s, seq: Int64($0)), record: record, form: "f", formVersion: "1", field: "x",
                                         value: "1", clock: HLC(ms: 1, counter: 0, site: s), parents: [], author: "w") }
        }
        let first = Task { try await a.push(StorageSuite.each(batch("00000000000000a1", record: "ra")), carrier: "d1", by: "w", at: 1) { _, _ in nil } }
        for await _ in inFlight.stream { break }
        _ = try await b.push(StorageSuite.each(batch("00000000000000b1", record: "rb")), carrier: "d2", by: "w", at: 1) { _, _ in nil }
        let during = try await b.pull(after: 0, limit: 100, maxBytes: 1 << 20, owner: nil, excludingSite: nil)
        #expect(during.versions.isEmpty && during.next == 0)
        release.continuation.yield()
        _ = try await first.value
        let after = try await b.pull(after: during.next, limit: 100, maxBytes: 1 << 20, owner: nil, excludingSite: nil)
        #expect(after.versions.map(\.version.version.id.site.rawValue) == Array(repeating: "00000000000000a1", count: 3) + Array(repeating: "00000000000000b1", count: 3))
    }

    /// Two instances push at once while readers pull. Sequences are blocks
    /// taken as each push inserts, so they have gaps; what a reader must
    /// never do is pass a sequence a push may still commit: following its
    /// cursor it sees every version exactly once, in rising order, the same
    /// list a pull from the start gives once the writers are done. Two of
    /// the writers push the same versions through both instances at once
    /// (a supervisor relaying what the device also sends), and each version
    /// is kept once.
    @Test func readersNeverPassAPushStillInFlight() async throws {
        let url = try TestPostgres.freshDatabase()
        let a = try await PostgresStorage(url: url), b = try await PostgresStorage(url: url)
        let writers = 4, batches = 15, size = 8
        func batch(_ w: Int, _ n: Int) -> [Version] {
            let site = SiteID(String(format: "%016x", 0xa0 + w))!
            return (1...size).map { i in
                Version(id: VersionID(site: site, seq: Int64(n * size + i)), record: "r\(w)", form: "f", formVersion: "1",
                        field: "x", value: "1", clock: HLC(ms: 1, counter: 0, site: site), parents: [], author: "w")
            }
        }
        let total = (writers + 1) * batches * size
        let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for w in 0..<writers {
                group.addTask {
                    for n in 0..<batches { _ = try await (w % 2 == 0 ? a : b).push(StorageSuite.each(batch(w, n)), carrier: "d1", by: "w\(w)", at: 1) { _, _ in nil } }
                    return []
                }
            }
            for storage in [a, b] {
                group.addTask {
                    for n in 0..<batches {
                        let r = try await storage.push(StorageSuite.each(batch(writers, n)), carrier: "d1", by: "w", at: 1) { _, _ in nil }
                        #expect(r.accepted.count + r.duplicates.count == size && r.rejected.isEmpty)
                    }
                    return []
                }
            }
            for r in 0..<2 {
                group.addTask {
                    let storage = r == 0 ? a : b
                    var cursor: Int64 = 0, seen: [Int64] = []
                    while seen.count < total {
                        let p = try await storage.pull(after: cursor, limit: 7, maxBytes: 1 << 20, owner: nil, excludingSite: nil)
                        for v in p.versions {
                            guard v.seq > (seen.last ?? 0) else { throw ServerSetupError("out of order: saw \(v.seq) after \(seen.last ?? 0)") }
                            seen.append(v.seq)
                        }
                        cursor = p.next
                    }
                    return seen
                }
            }
            var readers: [[Int64]] = []
            for try await seen in group where !seen.isEmpty { readers.append(seen) }
            return readers
        }
        let all = try await a.pull(after: 0, limit: 10_000, maxBytes: 1 << 30, owner: nil, excludingSite: nil).versions
        #expect(all.count == total && Set(all.map(\.version.version.id)).count == total)
        #expect(seen.count == 2)
        for s in seen { #expect(s == all.map(\.seq)) }
    }
}
