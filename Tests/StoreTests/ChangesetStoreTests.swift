import Foundation
import Forms
import GRDB
import RecolhaTesting
import Sync
import Testing
@testable import Store

/// Every local transaction is one changeset signed with the device's key.
@Suite struct ChangesetStoreTests {
    func pending(_ store: Store) throws -> [Changeset] {
        try store.pendingChangesets(limit: 100_000, maxBytes: .max, includeDrafts: true)
    }

    @Test func aSaveAndADeleteAreEachOneSignedChangeset() throws {
        let f = try Fixture()
        let key = try f.store.identity().current.publicKey
        let saved = try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true))
        var sets = try pending(f.store)
        #expect(sets.count == 1 && sets[0].entries.count == saved.versions)
        #expect(sets[0].verify(publicKey: key))
        try f.store.delete(record: saved.record)
        sets = try pending(f.store)
        #expect(sets.count == 2 && sets.allSatisfy { $0.verify(publicKey: key) })
        #expect(sets[1].entries.map(\.field) == [MetaField.deleted])
        // Together they hold every version written, once.
        #expect(Set(sets.flatMap(\.versions)) == Set(try f.store.versions(record: saved.record)))
        #expect(sets.flatMap(\.versions).count == (try f.store.versions(record: saved.record)).count)
    }

    @Test func batchesAreWholeChangesetsWithinTheLimits() throws {
        let f = try Fixture()
        for _ in 0..<3 { try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true)) }
        let one = try f.store.pendingChangesets(limit: 1, maxBytes: .max, includeDrafts: false)
        #expect(one.count == 1, "at least one changeset, even over the limit")
        let all = try f.store.pendingChangesets(limit: 100_000, maxBytes: .max, includeDrafts: false)
        #expect(all.count == 3)
        let two = try f.store.pendingChangesets(limit: all[0].entries.count * 2, maxBytes: .max, includeDrafts: false)
        #expect(two.count == 2)
    }

    /// A push reads its order once and walks it batch by batch: the batches
    /// together are the pending changesets in the same order, and one
    /// acknowledged or rejected after the order was read is passed over.
    @Test func aPushOrderIsWalkedInBatchesSkippingWhatWasSettledMeanwhile() throws {
        let f = try Fixture()
        for _ in 0..<5 { try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true)) }
        let all = try pending(f.store)
        let order = try f.store.pushOrder(includeDrafts: false)
        #expect(order.items.count == 5)
        #expect(order.items.map { VersionID(site: order.site(of: $0), seq: $0.seq) } == all.map(\.id))
        let perTwo = all[0].entries.count * 2
        var walked: [Changeset] = [], at = 0
        while true {
            let b = try f.store.pushBatch(order, from: at, limit: perTwo, maxBytes: .max)
            if b.changesets.isEmpty { #expect(b.next == order.items.count); break }
            #expect(b.changesets.count <= 2 && b.next > at)
            walked += b.changesets
            at = b.next
        }
        #expect(walked == all)
        // Settled after the order was read: the second by a receipt, the third refused.
        let receipt = Receipt(site: all[1].site, held: [all[1].seq...all[1].lastSeq], serverTime: 1).signed(by: SiteIdentity.make())
        try f.store.acknowledge(receipts: [receipt], rejected: [Rejection(id: all[2].id, reason: "form not published")])
        let rest = try f.store.pushBatch(order, from: 1, limit: perTwo, maxBytes: .max)
        #expect(rest.changesets.map(\.id) == [all[3].id, all[4].id] && rest.next == 5)
    }

    @Test func receiptsAcknowledgeWhatTheyNameAndRejectionsTheirWholeChangeset() throws {
        let f = try Fixture()
        for _ in 0..<2 { try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true)) }
        let sets = try pending(f.store)
        let server = SiteIdentity.make()
        let receipt = Receipt(site: sets[0].site, held: [sets[0].seq...sets[0].lastSeq], serverTime: 1).signed(by: server)
        try f.store.acknowledge(receipts: [receipt], rejected: [Rejection(id: sets[1].id, reason: "form not published")])
        #expect(try pending(f.store).isEmpty)
        #expect(try f.store.unsentCount() == sets[1].entries.count)
        #expect(try f.store.rejectedVersions().count == sets[1].entries.count)
        #expect(try f.store.retryRejected() == sets[1].entries.count)
        #expect(try pending(f.store).map(\.id) == [sets[1].id])
    }

    /// After a login under another name, unsent work takes that name and is
    /// signed again: the old signature no longer matches.
    @Test func adoptingTheServersUserNameSignsAgain() throws {
        let f = try Fixture(enumerator: "Ana")
        try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true))
        try f.store.adoptUser("ana")
        let sets = try pending(f.store)
        #expect(sets.count == 1 && sets[0].author == "ana")
        #expect(sets[0].verify(publicKey: try f.store.identity().current.publicKey))
    }

    /// Unsent versions without a signature (an older store, a tool) are
    /// signed when the store opens.
    @Test func unsignedVersionsAreSignedOnOpening() throws {
        let f = try Fixture()
        try f.store.save(SaveRequest(form: f.form, answers: f.answers(), finalize: true))
        let before = try pending(f.store)
        try DatabaseQueue(path: f.store.path).write { db in
            try db.execute(sql: "DELETE FROM changesets")
            try db.execute(sql: "UPDATE versions SET signed = 0")
        }
        let reopened = try Store(path: f.store.path)
        #expect(try pending(reopened) == before)
    }
}
