import Foundation
import RecolhaTesting
import Sync
import Testing
@testable import SyncServer

@Suite(.enabled(if: TestPostgres.available, "needs the PostgreSQL cluster `make test` starts"))
struct PostgresRecoveryTests {
    /// The push's statements are prepared once per connection, and
    /// PostgresNIO keeps one that failed to prepare failed on that
    /// connection. After such a failure the connection is closed, so the
    /// pushes that follow get a fresh one and go through.
    @Test func aStatementThatFailedToPrepareDoesNotStayFailed() async throws {
        let url = try TestPostgres.freshDatabase()
        let s = try await PostgresStorage(url: url)
        func batch(_ n: Int) -> [Changeset] {
            let site = SiteID("00000000000000c1")!
            return StorageSuite.each((1...3).map { i in
                Version(id: VersionID(site: site, seq: Int64(n * 3 + i)), record: "r\(n)", form: "f", formVersion: "1", field: "x",
                        value: "1", clock: HLC(ms: 1, counter: 0, site: site), parents: [], author: "w")
            })
        }
        // The function a push takes its sequences from, gone for a moment:
        // preparing the statement that calls it fails.
        try await s.execute("ALTER FUNCTION recolha_take_block() RENAME TO recolha_take_block_gone")
        await #expect(throws: (any Error).self) {
            _ = try await s.push(batch(0), carrier: "d1", by: "w", at: 1) { _, _ in nil }
        }
        try await s.execute("ALTER FUNCTION recolha_take_block_gone() RENAME TO recolha_take_block")
        for n in 1...5 {
            let r = try await s.push(batch(n), carrier: "d1", by: "w", at: 1) { _, _ in nil }
            #expect(r.accepted.count == 3, "push \(n)")
        }
        #expect(try await s.versionCount() == 15)
    }
}
