import Foundation
import GRDB
import Forms
import RecolhaTesting
import Store
import Sync
import Testing
@testable import SyncClient

/// Seeded random runs through the real server: three devices create, edit,
/// delete, finalize and resolve, sync in random order over a transport that
/// drops, loses and duplicates, and carry each other's work in bundles; every
/// run ends with identical state and conflicts everywhere, every version on
/// the server exactly once, and every device's work confirmed by a receipt.
///
/// Twenty-four seeds in two suites of twelve: each suite runs its seeds one
/// at a time (a server and three devices each), and the two run beside the
/// others. One suite of 24 was the test run's long pole, running alone for
/// its last 160 seconds.
@Suite(.serialized) struct ConvergenceThroughServerTests {
    @Test(arguments: 0..<12)
    func randomRunsConverge(seed: Int) throws { try Self.run(seed: seed) }

    static func run(seed: Int) throws {
        let server = try TestServer()
        var rng = SeededRandom(seed: UInt64(seed) &* 31 &+ 7)
        let devices = try [
            ClientDevice(enumerator: "sara", server: server),
            ClientDevice(enumerator: "admin", server: server),
            // One device speaks JSON: both encodings meet on one server.
            ClientDevice(enumerator: "sara2", server: server, login: "sara", binary: false),
        ]
        for d in devices { try d.sync() }  // forms
        let fields = ["isolation_beds", "non_national_share", "power_hours", "comments"]
        var made = 0, carried = 0
        for step in 0..<30 {
            let d = devices.randomElement(using: &rng)!
            let live = try d.store.records().map(\.id)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                made += 1
                try d.store.save(SaveRequest(form: flagship, answers: exampleAnswers(tweak: made + seed * 100),
                                             finalize: Bool.random(using: &rng)))
            case 2, 3, 4:
                guard let id = live.randomElement(using: &rng) else { continue }
                var a = try d.store.record(id).answers
                let field = fields.randomElement(using: &rng)!
                a[field] = field == "comments" ? .text("note \(step)") : .integer(Int.random(in: 0...20, using: &rng))
                _ = try? d.store.save(SaveRequest(record: id, form: flagship, answers: a, touched: [field]))
            case 5:
                guard let id = live.randomElement(using: &rng), Int.random(in: 0..<3, using: &rng) == 0 else { continue }
                try d.store.delete(record: id)
            case 6:
                guard let c = try d.store.conflicts().first else { continue }
                let keep = c.heads.randomElement(using: &rng)!
                try d.store.resolve(record: c.record, field: c.field,
                                    value: c.field == MetaField.deleted ? (Bool.random(using: &rng) ? "true" : "false") : keep.value)
            case 7:
                // A supervisor carries another device's work on a stick,
                // and sometimes the receipts back.
                let to = devices.randomElement(using: &rng)!
                guard to !== d else { continue }
                let now = Store.wallClock()
                if let written = try? BundleFile.write(d.store, for: nil, now: now) {
                    try d.store.markHanded(written.content.changesets, to: "stick", at: now)
                    carried += try to.store.importBundle(try BundleFile.read(written.sealed, with: to.store)).stored
                }
                if Bool.random(using: &rng), let back = try? BundleFile.write(to.store, for: try d.store.syncState()!.user, now: now) {
                    _ = try? d.store.importBundle(try BundleFile.read(back.sealed, with: d.store))
                }
            default:
                let faulty = FaultyTransport(try CurlTransport(baseURL: server.url, retry: .none), seed: UInt64(seed * 1000 + step))
                _ = try? d.sync(SyncOptions(includeDrafts: true, pushBatch: 7, pullLimit: 9), transport: faulty)
            }
        }
        // Everyone syncs until quiet, without faults.
        for _ in 0..<2 { for d in devices { try d.sync() } }
        let states = try devices.map { try $0.state() }
        #expect(states[0] == states[1] && states[1] == states[2], "seed \(seed)")
        let ids = try devices.map { try $0.versionIDs() }
        #expect(ids[0] == ids[1] && ids[1] == ids[2])
        let onServer = try ServerDB(server).count("SELECT count(*) FROM versions")
        #expect(onServer == ids[0].count, "every version on the server exactly once")
        #expect(try devices.allSatisfy { try $0.store.status().unsent == 0 }, "every device's work confirmed by a receipt")
        print("seed \(seed): \(carried) changesets carried in bundles")
        // What each device prints about the shared data is the same, byte
        // for byte (docs/sync-protocol.md, "Canonical order").
        let printed = try devices.map { try $0.printed() }
        for (command, text) in printed[0] {
            #expect(printed[1][command] == text && printed[2][command] == text, "seed \(seed): `recolha \(command)` differs")
        }
    }
}

@Suite(.serialized) struct ConvergenceThroughServerMoreSeedsTests {
    @Test(arguments: 12..<24)
    func randomRunsConverge(seed: Int) throws { try ConvergenceThroughServerTests.run(seed: seed) }
}

/// Read access to the test server's database.
struct ServerDB {
    let path: String
    init(_ server: TestServer) { path = server.data + "/server.sqlite" }
    func count(_ sql: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: sql)! }
    }
}
